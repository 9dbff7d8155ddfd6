// Model parameters through safetensors files (core/model_io.hpp), on a tiny Based hybrid with an attention model's
// position table:
//   - save (F64) then load gives the parameters bitwise; save (F32) then load<float> gives them rounded to float,
//     and the loss computed from the reloaded parameters equals the loss before saving;
//   - the file holds exactly the state_dict names, the tied head once, and save_model's alias metadata;
//   - strictness: a missing, an unexpected, a mis-shaped or an integer tensor, and an lm_head.weight that differs
//     from the word embedding, are each one-line InputErrors naming the parameter; an lm_head.weight equal to the
//     embedding (a plain state_dict) and one standing alone (the alias kept instead) both load;
//   - a two-layer Hyena model's plain state_dict, which repeats each layer's filter frequency
//     filter_fn.implicit_filter.1.freq as .3.freq and .5.freq (one shared Sin module in zoology): equal copies load
//     (also with .1.freq itself absent), and the writer records them as save_model's aliases; a copy that differs
//     in one element, or in dtype, is a one-line InputError naming both keys and saying that they differ.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "core/model_io.hpp"
#include "core/registry.hpp"
#include "reference/model.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using model::LayerMixer;
namespace mx = menagerie::mixers;

model::Config config() {
  model::Config c;
  c.vocab = 13;
  c.d_model = 4;
  c.max_position_embeddings = 6;
  c.mixers = {LayerMixer::of<mx::base_conv::Contract>({1, 1, 4, mx::base_conv::Conv::short_conv, 3, 6}),
              LayerMixer::of<mx::based::Contract>({1, 1, 4, 2, 1, 1e-12})};
  c.hybrid = true;
  return c;
}

class ModelIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / cat("menagerie_model_io_", test_seed(), "_", ::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }

  // The load error message for `file` under config `c`, which must be an InputError.
  std::string load_error(const Safetensors& file, const model::Config& c = config()) {
    write_safetensors(path("bad.safetensors"), file);
    try {
      model::load_parameters<double>(c, path("bad.safetensors"));
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
      return msg;
    }
    ADD_FAILURE() << "the file loaded";
    return "";
  }

  std::filesystem::path dir_;
};

TEST_F(ModelIo, RoundTrips) {
  const auto c = config();
  const auto params = random_inputs(model::tensors(c), test_seed());
  model::save_parameters(c, params, path("f64.safetensors"), DType::f64);
  EXPECT_EQ(model::load_parameters<double>(c, path("f64.safetensors")), params);

  model::save_parameters(c, params, path("f32.safetensors"));
  const auto as_float = model::load_parameters<float>(c, path("f32.safetensors"));
  EXPECT_EQ(as_float, convert<float>(params));
  const model::Batch b{
      2, 6, {1, 5, 12, 0, 3, 3, 7, 2, 9, 11, 4, 6}, {-100, 2, -100, 7, -100, 1, 5, -100, 0, 3, -100, 12}};
  const model::Model<float> m(c);
  EXPECT_EQ(m.loss(as_float, b), m.loss(convert<float>(params), b));

  const Safetensors file = read_safetensors(path("f32.safetensors"));
  std::vector<std::string> names, expected;
  for (const auto& [name, t] : file.tensors) {
    names.push_back(name);
    EXPECT_EQ(t.dtype(), DType::f32) << name;
  }
  for (const auto& s : model::tensors(c)) expected.push_back(s.name);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
  EXPECT_EQ(file.metadata, (std::map<std::string, std::string>{{model::tied_lm_head, model::word_embeddings}}));
}

TEST_F(ModelIo, RejectsMismatchedFilesNamingTheParameter) {
  const auto c = config();
  model::save_parameters(c, random_inputs(model::tensors(c), test_seed()), path("ok.safetensors"));
  const Safetensors ok = read_safetensors(path("ok.safetensors"));
  const std::string norm = "backbone.layers.1.norm2.bias";

  Safetensors missing = ok;
  missing.tensors.erase(norm);
  EXPECT_NE(load_error(missing).find("parameter '" + norm + "' [4] is missing"), std::string::npos);

  Safetensors unexpected = ok;
  unexpected.tensors.emplace("backbone.layers.2.norm1.weight", ok.tensors.at(norm));
  EXPECT_NE(load_error(unexpected).find("tensor 'backbone.layers.2.norm1.weight' is not a parameter"),
            std::string::npos);

  Safetensors shaped = ok;
  shaped.tensors.at(norm) = DynTensor(Tensor<float>({5}, 1.0f));
  EXPECT_NE(load_error(shaped).find("parameter '" + norm + "' has shape [5], expected [4]"), std::string::npos);

  Safetensors integer = ok;
  integer.tensors.at(norm) = DynTensor(Tensor<std::int64_t>({4}, 1));
  EXPECT_NE(load_error(integer).find("parameter '" + norm + "' has dtype int64"), std::string::npos);

  Safetensors untied = ok;
  Tensor<float> head = ok.tensors.at(model::word_embeddings).as<float>();
  head.data()[5] += 1.0f;
  untied.tensors.emplace(model::tied_lm_head, DynTensor(head));
  EXPECT_NE(load_error(untied).find("'lm_head.weight' differs from"), std::string::npos);
}

TEST_F(ModelIo, AcceptsTheTiedHeadUnderEitherName) {
  const auto c = config();
  model::save_parameters(c, random_inputs(model::tensors(c), test_seed()), path("ok.safetensors"));
  const Safetensors ok = read_safetensors(path("ok.safetensors"));
  const auto expected = model::load_parameters<double>(c, path("ok.safetensors"));

  Safetensors both = ok;  // torch.save_file({k: v.clone() for k, v in model.state_dict().items()})
  both.tensors.emplace(model::tied_lm_head, ok.tensors.at(model::word_embeddings));
  write_safetensors(path("both.safetensors"), both);
  EXPECT_EQ(model::load_parameters<double>(c, path("both.safetensors")), expected);

  Safetensors head_only = ok;  // the alias kept instead of the embedding
  head_only.tensors.emplace(model::tied_lm_head, ok.tensors.at(model::word_embeddings));
  head_only.tensors.erase(model::word_embeddings);
  write_safetensors(path("head.safetensors"), head_only);
  EXPECT_EQ(model::load_parameters<double>(c, path("head.safetensors")), expected);
}

// Two Hyena layers (filter MLP width 4): each has one filter frequency that a plain state_dict lists three times.
model::Config hyena_config() {
  model::Config c;
  c.vocab = 11;
  c.d_model = 4;
  c.mixers = {LayerMixer::of<mx::hyena::Contract>({1, 1, 4, 6, 4, 3})};
  return c;
}

std::string freq(std::int64_t layer, int position) {
  return cat("backbone.layers.", layer, ".sequence_mixer.filter_fn.implicit_filter.", position, ".freq");
}

// `ok` with each layer's .1.freq repeated as .3.freq and .5.freq, as a plain state_dict holds it.
Safetensors with_freq_aliases(const Safetensors& ok) {
  Safetensors plain = ok;
  for (std::int64_t l = 0; l < 2; ++l)
    for (const int position : {3, 5}) plain.tensors.emplace(freq(l, position), ok.tensors.at(freq(l, 1)));
  return plain;
}

TEST_F(ModelIo, AcceptsHyenaFrequencyAliasesEqualToTheParameter) {
  const auto c = hyena_config();
  model::save_parameters(c, random_inputs(model::tensors(c), test_seed()), path("ok.safetensors"));
  const Safetensors ok = read_safetensors(path("ok.safetensors"));
  const auto expected = model::load_parameters<double>(c, path("ok.safetensors"));
  for (std::int64_t l = 0; l < 2; ++l) {
    EXPECT_EQ(ok.tensors.count(freq(l, 3)) + ok.tensors.count(freq(l, 5)), 0u);  // stored once, as save_model does
    EXPECT_EQ(ok.metadata.at(freq(l, 3)), freq(l, 1));
    EXPECT_EQ(ok.metadata.at(freq(l, 5)), freq(l, 1));
  }

  write_safetensors(path("plain.safetensors"), with_freq_aliases(ok));
  EXPECT_EQ(model::load_parameters<double>(c, path("plain.safetensors")), expected);

  Safetensors aliases_only = with_freq_aliases(ok);  // an alias kept instead of the canonical name
  aliases_only.tensors.erase(freq(1, 1));
  write_safetensors(path("aliases.safetensors"), aliases_only);
  EXPECT_EQ(model::load_parameters<double>(c, path("aliases.safetensors")), expected);
}

TEST_F(ModelIo, RefusesAHyenaFrequencyAliasThatDiffers) {
  const auto c = hyena_config();
  model::save_parameters(c, random_inputs(model::tensors(c), test_seed()), path("ok.safetensors"));
  const Safetensors ok = read_safetensors(path("ok.safetensors"));
  const std::string both = cat("'", freq(1, 5), "' differs from '", freq(1, 1), "'");

  Safetensors changed = with_freq_aliases(ok);
  Tensor<float> f = ok.tensors.at(freq(1, 1)).as<float>();
  f.data()[2] = std::nextafter(f.data()[2], 2.0f);
  changed.tensors.at(freq(1, 5)) = DynTensor(f);
  const std::string msg = load_error(changed, c);
  EXPECT_NE(msg.find(both), std::string::npos) << msg;
  EXPECT_NE(msg.find("element 2 differs"), std::string::npos) << msg;

  Safetensors widened = with_freq_aliases(ok);  // equal values, but not the same tensor
  widened.tensors.at(freq(1, 5)) = DynTensor(convert<double>(ok.tensors.at(freq(1, 1)).as<float>()));
  EXPECT_NE(load_error(widened, c).find(both + " (dtype float64 against float32)"), std::string::npos);
}

}  // namespace
}  // namespace menagerie::test
