// A training run's configuration (docs/train.md): the model (width, layers, the mixer of each layer), the data
// (a synthetics mixture, synthetics/mixture.hpp), the optimizer (AdamW), the schedule, epochs, batch size, dropout,
// seed, precision and threads. Read from JSON, strictly: an unknown key, a wrong type or a value out of range is a
// one-line FormatError/InputError naming the key path ("run.json: optimizer.lr = -1 must be > 0").
// JSON form (every key but model.d_model, model.mixers, data and optimizer.lr has the default shown):
//   {"name": "attention-d64",
//    "model": {"vocab_size": 8192, "d_model": 64, "n_layers": 2, "max_position_embeddings": 0,
//              "layer_norm_eps": 1e-5, "hybrid": false, "block": "transformer",
//              "mixers": [{"id": "mha", "heads": 1}]},           // layer l uses mixers[l % len]
//    "data": {"seed": 123, "train": [...], "test": [...]},       // synthetics/mixture.hpp's JSON form
//    "optimizer": {"lr": 1e-3, "weight_decay": 0.1, "betas": [0.9, 0.999], "eps": 1e-8},
//    "schedule": "cosine",                                       // or "constant"; cosine stepped per epoch
//    "epochs": 64, "batch_size": 64, "eval_batch_size": 256, "seed": 0,
//    "dropout": {"embedding": 0.1, "attention": 0.1},            // 0 turns one off ("enabled": false all)
//    "early_stop_accuracy": 0.99,                                // stop once valid accuracy > this; > 1 never
//    "accuracy": "per_example",                                  // Zoology HEAD; "pooled" = ICLR-era
//    "precision": "float",                                       // or "double"; "tf32", "bf16" (gpu backend)
//    "threads": 2, "backend": "reference", "shuffle": false,
//    "cuda_graph": false}                                        // gpu backend: replay each step as a CUDA graph
// Ranges: every integer size (model and mixer sizes, epochs, batch sizes, threads) is in [its minimum, kMaxSize];
// optimizer.lr in (0, 1], weight_decay >= 0 with lr x weight_decay < 1, eps in (0, 1]; dropout in [0, 1); the data
// need a train and a test segment; "cuda_graph": true and "precision": "tf32" or "bf16" need "backend": "gpu"
// (docs/gpu-trainer.md). Whether the run fits in memory is checked before it starts (train/memory.hpp).
// Mixer objects: {"id": <an id of core/registry.hpp's Mixers>, <that contract's config_keys>}, e.g.
// {"id": "base_conv", "conv": "long_implicit", "kernel_size": 3, "l_max": 64}: each key's name, default and range
// are declared in core/mixers/<id>.hpp (core/config_key.hpp); an l_max defaults to the data's longest sequence.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "core/model_config.hpp"
#include "synthetics/mixture.hpp"

namespace menagerie::train {

inline constexpr std::int64_t kMaxSize = std::int64_t{1} << 20;  // 1048576

// float: fp32 storage and arithmetic (zoology's mode); double: the reference backend in double; tf32 and bf16: the
// GPU backend's fp32 storage with its cuBLAS GEMMs (projections, the head, the mixers' GEMMs through
// optimized/common/gemm.hpp) on tensor cores, operands rounded to TF32 (10 mantissa bits) or bf16 (7), fp32
// accumulation: the GEMM half of PyTorch's allow_tf32 and bf16 autocast.
enum class Precision { f32, f64, tf32, bf16 };
const char* precision_name(Precision p);  // "float", "double", "tf32", "bf16": the config's spelling
enum class Schedule { cosine, constant };
enum class Accuracy { per_example, pooled };

struct AdamWConfig {
  double lr = 1e-3, weight_decay = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

struct DropoutConfig {
  double embedding = 0.1, attention = 0.1;
};

struct RunConfig {
  std::string name;
  model::Config model;
  synthetics::DatasetSpec data;
  AdamWConfig optimizer;
  Schedule schedule = Schedule::cosine;
  std::int64_t epochs = 64, batch_size = 64, eval_batch_size = 256;
  std::uint64_t seed = 0;
  DropoutConfig dropout;
  double early_stop_accuracy = 0.99;
  Accuracy accuracy = Accuracy::per_example;
  Precision precision = Precision::f32;
  std::int64_t threads = 2;
  std::string backend = "reference";
  bool shuffle = false;
  bool cuda_graph = false;  // the GPU backend captures a step into a CUDA graph and replays it (docs/gpu-trainer.md)
  json source;  // the config as given, after defaults were filled in (recorded in checkpoints and results)
};

// Parses and validates; `where` names the source in messages (the file name). Data segments are checked by
// generating one example of each (cheap), so a bad task parameter is reported before any training starts.
RunConfig parse_run_config(const json& j, std::string_view where);
RunConfig read_run_config(const std::string& path);

// A mixer object and a model object of the JSON form above, alone (`menagerie verify --zoology` reads them from its
// fixtures' manifests): d is the model width; an l_max left out defaults to `longest`. Same messages as above.
model::LayerMixer mixer_from_json(const json& j, std::int64_t d, std::int64_t longest, std::string_view where);
model::Config model_from_json(const json& j, std::int64_t longest, std::string_view where);

// The longest sequence of the data's train and test segments (checked by generating one example of each).
std::int64_t max_sequence_length(const synthetics::DatasetSpec& data, std::string_view where);

// A one-line summary: "mha x2, d_model 64, 2 layers, vocab 64; lr 0.001; 8 epochs x batch 64; seed 0; float".
std::string describe(const RunConfig& c);

}  // namespace menagerie::train
