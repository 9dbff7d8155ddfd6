// Zoology's initialisation of the MQAR language model (specs/mixers.md §2.1, _init_weights), as a pure function of
// (config, seed). Draws come from Philox (core/random.hpp): parameter k of model::tensors(config) uses stream k.
//   every nn.Linear weight ~ N(0, 0.02^2), its bias = 0;  word and position embeddings ~ N(0, 0.02^2);
//   out_proj.weight, fc2.weight, output_linear.0.weight ~ N(0, (0.02 / sqrt(2 L))^2)   (L = n_layers);
//   LayerNorm / RMSNorm weight = 1, bias = 0;
//   Conv1d (depthwise, K taps): weight and bias ~ U(-1/sqrt(K), 1/sqrt(K))   (PyTorch's default, kept by zoology);
//   module-specific parameters keep their module's init:
//     base_conv: explicit filter ~ N(0, 1); implicit z[t] = [t/(l_max-1), cos(2π 1e-4 t/l_max), -sin(2π 1e-4 t/l_max)];
//     hyena: z as above, pos_emb.t = linspace(0, 1, l_max), freq = 1, filter_fn.bias ~ N(0, 1),
//            modulation.deltas = linspace(-3.07, -15.35, d) (log(1e-2)/1.5 .. log(1e-2)/0.3);
//     h3: ssm_k B = e_0, ssm_k C ~ N(0, 1), ssm_k_D ~ N(0, 1); S4D-Lin: log_dt ~ U[ln 1e-3, ln 1e-1],
//         inv_A_real = ln 0.5, A_imag = π n, B = 1, C complex normal (each part N(0, 1/2)), D ~ N(0, 1);
//     rwkv: time_* by mixers::rwkv::time_init (n_layer 12, zoology's default);
//     mamba (zoology HEAD's Mamba branch): Linear weights keep PyTorch's U(±1/sqrt(fan_in)), out_proj.weight that
//         divided by sqrt(L); dt_proj.weight ~ U(±R^-1/2); dt_proj.bias = softplus^-1(dt), dt ~ logU[1e-3, 1e-1];
//         A_log[c, n] = ln(n + 1); D = 1.
// Zoology applies _init_weights twice; a second draw from the same laws changes nothing in distribution.
#pragma once
#include <cstdint>

#include "core/contract.hpp"
#include "core/model_config.hpp"

namespace menagerie::train {

// Every parameter of model::tensors(config), frozen ones included, initialised as above (in double).
Named<double> init_parameters(const model::Config& config, std::uint64_t seed);

}  // namespace menagerie::train
