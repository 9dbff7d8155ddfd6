// menagerie inspect --checkpoint PATH [--config run.json] [--example N] [--out DIR] [--no-plot]: the matrix-mixer
// view (reference/matrix_view.hpp) of a trained MQAR model. PATH is a run directory (`menagerie train --out`), its
// checkpoint/ directory, or a model-<e>.safetensors file in it; the run's config.json (or --config) gives the model
// and the data. Example N of the first test segment (regenerated from the config's data seed, as the trainer does)
// runs through the double reference model; each layer's mixer input u and parameters are captured on the way and
// the layer's view (M [C, T, T], C heads or channels) is materialised. Writes DIR/matrices.json (tokens, labels,
// predictions, the MQAR key/value/query positions, each layer's M and relerr(finish(M·v), the layer's forward)) and,
// where python3 has matplotlib, DIR/matrices.png (train/plot_matrix_view.py: one row per layer, the mean over C
// and the channel or head of largest norm, with the example's key, value and query positions marked).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/scripts.hpp"
#include "core/io/atomic_file.hpp"
#include "core/json.hpp"
#include "core/model_io.hpp"
#include "reference/matrix_view.hpp"
#include "reference/model.hpp"
#include "reference/numerics.hpp"
#include "synthetics/mixture.hpp"
#include "train/run_config.hpp"

namespace menagerie::cli {

namespace {

namespace fs = std::filesystem;

struct Options {
  std::string checkpoint, config, out;
  std::int64_t example = 0;
  bool no_plot = false;
};

struct Located {
  fs::path run, model, config;
};

// The run directory, model file and config of --checkpoint (see the header).
Located locate(const Options& o) {
  const fs::path p(o.checkpoint);
  require<InputError>(fs::exists(p), "--checkpoint ", p.string(), ": no such file or directory");
  Located l;
  if (fs::is_regular_file(p)) {
    l.model = p;
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    l.run = dir.filename() == "checkpoint" ? dir.parent_path() : dir;
  } else {
    const fs::path ckpt = fs::exists(p / "checkpoint") ? p / "checkpoint" : p;
    l.run = ckpt == p ? p.parent_path() : p;
    const fs::path state = ckpt / "state.json";
    require<InputError>(fs::is_regular_file(state), "--checkpoint ", p.string(),
                        ": no checkpoint/state.json there (expected a run directory of `menagerie train`, its "
                        "checkpoint/ or a model-<epoch>.safetensors)");
    l.model = ckpt / get_field<std::string>(read_json_file(state.string()), "model", state.string());
  }
  l.config = o.config.empty() ? l.run / "config.json" : fs::path(o.config);
  require<InputError>(fs::is_regular_file(l.config), "--checkpoint ", p.string(), ": no run config at ",
                      l.config.string(), " (give one with --config)");
  return l;
}

// For each labelled position t: the earlier position holding the same key, and the value right after it.
json mqar_positions(const std::vector<std::int64_t>& ids, const std::vector<std::int64_t>& labels) {
  json queries = json::array(), keys = json::array(), values = json::array();
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (labels[t] == synthetics::kIgnoreIndex) continue;
    queries.push_back(t);
    std::int64_t key = -1;
    for (std::size_t s = 0; s < t && key < 0; ++s)
      if (ids[s] == ids[t] && labels[s] == synthetics::kIgnoreIndex) key = static_cast<std::int64_t>(s);
    keys.push_back(key);
    values.push_back(key < 0 ? -1 : key + 1);
  }
  return {{"queries", queries}, {"keys", keys}, {"values", values}};
}

void plot(const fs::path& json_file, const fs::path& png) {
  const fs::path script = project_file("train/plot_matrix_view.py");
  const std::string python = python_with("matplotlib");
  if (script.empty() || python.empty()) {
    std::printf("plot: %s; no %s\n", script.empty() ? "train/plot_matrix_view.py not found"
                                                    : "python3 with matplotlib not found (Debian: python3-matplotlib)",
                png.string().c_str());
    return;
  }
  const std::string cmd = python + " " + quoted(script) + " " + quoted(json_file) + " " + quoted(png);
  if (std::system(cmd.c_str()) == 0)
    std::printf("wrote %s\n", png.string().c_str());
  else
    std::printf("plot: %s failed; %s is written\n", cmd.c_str(), json_file.string().c_str());
}

void run(const Options& o) {
  const Located at = locate(o);
  const fs::path out = o.out.empty() ? at.run / "inspect" : fs::path(o.out);
  require_output_dir("--out", out);
  const train::RunConfig c = train::read_run_config(at.config.string());
  const model::Config& mc = c.model;
  const Named<double> params = model::load_parameters<double>(mc, at.model);
  require<InputError>(!c.data.test.empty(), at.config.string(), ": the data have no test segment");
  const auto seeds = synthetics::segment_seeds(c.data.seed, c.data.train.size(), c.data.test.size());
  const auto examples = synthetics::generate_segment(c.data.test[0], seeds.test[0]);
  require<InputError>(o.example >= 0 && o.example < examples.count(), "--example ", o.example,
                      " is out of range: the first test segment holds ", examples.count(), " examples");
  const std::int64_t T = examples.seq_len();
  model::Batch batch;
  batch.T = T;
  for (std::int64_t t = 0; t < T; ++t) {
    batch.ids.push_back(examples.inputs(o.example, t));
    batch.labels.push_back(examples.labels(o.example, t));
  }
  // Each mixer's reference, wrapped to keep what every layer's mixer received and returned (layers in order).
  std::vector<Named<double>> seen_in, seen_out;
  std::vector<model::MixerMath<double>> math;
  for (const auto& m : mc.mixers) {
    auto inner = model::registry_math<double>(m);
    math.push_back({[inner, &seen_in, &seen_out](std::int64_t B, std::int64_t Tn, const model::Tokens& tokens,
                                                 const Named<double>& in, Named<double>& y) {
                      inner.forward(B, Tn, tokens, in, y);
                      seen_in.push_back(in);
                      seen_out.push_back(y);
                    },
                    inner.backward, inner.aux_loss, inner.aux_backward});
  }
  const model::Model<double> net(mc, math);
  const Tensor<double> logits = net.logits(params, batch);
  std::vector<std::int64_t> predictions;
  for (std::int64_t t = 0; t < T; ++t) {
    std::int64_t best = 0;
    for (std::int64_t v = 1; v < mc.vocab; ++v)
      if (logits(0, t, v) > logits(0, t, best)) best = v;
    predictions.push_back(best);
  }
  json doc = {{"checkpoint", at.model.string()}, {"config", at.config.string()}, {"name", c.name},
              {"example", o.example}, {"T", T}, {"tokens", batch.ids}, {"labels", batch.labels},
              {"predictions", predictions}, {"mqar", mqar_positions(batch.ids, batch.labels)}};
  json layers = json::array();
  for (std::int64_t l = 0; l < mc.n_layers; ++l) {
    const auto& mixer = mc.mixer(l);
    const auto view = ref::registry_matrix_view(mixer, 1, T, model::Tokens{&batch.ids, mc.vocab}, seen_in[static_cast<std::size_t>(l)]);
    json layer = {{"layer", l}, {"mixer", std::string(mixer.id())}};
    if (!view) {
      layer["note"] = "no matrix view for this mixer yet";
      std::printf("layer %lld %s: no matrix view yet\n", static_cast<long long>(l), std::string(mixer.id()).c_str());
    } else {
      const double err = ref::relerr(ref::view_output(*view),
                                     ref::convert<Mp>(seen_out[static_cast<std::size_t>(l)].at("y")));
      const std::int64_t C = view->M.size(1);
      std::vector<std::vector<std::vector<double>>> M(static_cast<std::size_t>(C));
      for (std::int64_t ch = 0; ch < C; ++ch)
        for (std::int64_t t = 0; t < T; ++t) {
          std::vector<double> row(static_cast<std::size_t>(T));
          for (std::int64_t s = 0; s < T; ++s) row[static_cast<std::size_t>(s)] = view->M(0, ch, t, s);
          M[static_cast<std::size_t>(ch)].push_back(std::move(row));
        }
      layer.update({{"channel", view->channel}, {"C", C}, {"relerr", err}, {"M", M}});
      std::printf("layer %lld %s: M [%lld %ss, %lld, %lld], relerr(finish(M v), forward) = %.2e\n",
                  static_cast<long long>(l), std::string(mixer.id()).c_str(), static_cast<long long>(C),
                  view->channel.c_str(), static_cast<long long>(T), static_cast<long long>(T), err);
    }
    layers.push_back(std::move(layer));
  }
  doc["layers"] = std::move(layers);
  fs::create_directories(out);
  const fs::path file = out / "matrices.json";
  const std::string text = doc.dump();
  write_file_atomic(file, std::as_bytes(std::span(text.data(), text.size())));
  std::printf("wrote %s\n", file.string().c_str());
  if (!o.no_plot) plot(file, out / "matrices.png");
}

}  // namespace

void add_inspect(CLI::App& app) {
  auto* sub = app.add_subcommand("inspect", "the matrix-mixer view of a trained MQAR model: each layer's token-mixing "
                                            "matrices on one test example, as JSON and a plot");
  static Options o;
  sub->add_option("--checkpoint", o.checkpoint,
                  "a run directory of `menagerie train`, its checkpoint/ or a model-<epoch>.safetensors")
      ->required();
  sub->add_option("--config", o.config, "the run config (default: config.json of the run directory)");
  sub->add_option("--example", o.example, "which example of the first test segment (default 0)");
  sub->add_option("--out", o.out, "output directory (default <run>/inspect): matrices.json, matrices.png");
  sub->add_flag("--no-plot", o.no_plot, "skip the matplotlib plot");
  sub->callback([] { run(o); });
}

}  // namespace menagerie::cli
