// `menagerie verify --zoology DIR` (cli/verify_zoology.cpp): the double reference against zoology's PyTorch modules,
// from folders that verify/make_zoology_fixtures.py writes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/layer_mixer.hpp"
#include "core/model_config.hpp"

namespace menagerie::cli {

// The agreement the check asks for: relerr = ||zoology - reference||_2 / ||reference||_2 <= this, per tensor.
inline constexpr double zoology_tolerance = 1e-10;

// Compares every case folder under `dir` and prints one table. Returns whether every tensor agrees; throws
// InputError (exit 2) on bad input: a missing folder or file, a malformed manifest, an unknown mixer id, a tensor
// present on one side only, a shape or dtype that does not match the contract.
bool verify_zoology(const std::string& dir);

// A lone mixer's state_dict aliases: those of a one-layer model of width d holding it, without the layer's prefix
// (hyena's filter frequency under its three names). Also what `menagerie bench mixers --tensors` prints.
std::vector<model::Alias> mixer_aliases(const model::LayerMixer& m, std::int64_t d);

}  // namespace menagerie::cli
