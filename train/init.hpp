// Zoology's initialisation of the MQAR language model (docs/mixers.md §2.1, _init_weights), as a pure function of
// (config, seed). Draws come from Philox (core/random.hpp): parameter k of model::tensors(config) uses stream k.
//   every nn.Linear weight ~ N(0, 0.02^2), its bias = 0;  word and position embeddings ~ N(0, 0.02^2);
//   out_proj.weight, fc2.weight, output_linear.0.weight ~ N(0, (0.02 / sqrt(2 L))^2)   (L = n_layers);
//   LayerNorm / RMSNorm weight = 1, bias = 0;
//   Conv1d (depthwise, K taps): weight and bias ~ U(-1/sqrt(K), 1/sqrt(K))   (PyTorch's default, kept by zoology);
//   module-specific parameters keep their module's init: the laws their mixer's contract declares
//     (Contract::init_laws() in core/mixers/<id>.hpp, core/init_law.hpp), found through core/registry.hpp's Mixers;
//     the first law whose pattern matches the parameter's name wins over the generic laws above.
// A parameter that neither a contract law nor a generic law covers is a NotAvailableError naming it.
// Zoology applies _init_weights twice; a second draw from the same laws changes nothing in distribution.
#pragma once
#include <cstdint>

#include "core/contract.hpp"
#include "core/model_config.hpp"

namespace menagerie::train {

// Every parameter of model::tensors(config), frozen ones included, initialised as above (in double).
Named<double> init_parameters(const model::Config& config, std::uint64_t seed);

}  // namespace menagerie::train
