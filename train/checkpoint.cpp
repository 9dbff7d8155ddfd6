// Checkpoints; the layout and the crash guarantee are in checkpoint.hpp.
#include "train/checkpoint.hpp"

#include "core/io/atomic_file.hpp"
#include "core/model_io.hpp"

namespace menagerie::train {

namespace fs = std::filesystem;

void save_checkpoint(const fs::path& dir, const Backend& backend, Precision precision, const LoopState& s) {
  fs::create_directories(dir);
  const std::string model_name = cat("model-", s.epochs_done, ".safetensors");
  const std::string optim_name = cat("optimizer-", s.epochs_done, ".safetensors");
  model::save_parameters<double>(backend.config(), backend.parameters(), dir / model_name,
                                 precision == Precision::f64 ? DType::f64 : DType::f32);
  Safetensors optim;
  for (const auto& [name, t] : backend.optimizer_state()) optim.tensors.emplace(name, DynTensor(t));
  optim.metadata.emplace("step", std::to_string(backend.optimizer_step()));
  write_safetensors(dir / optim_name, optim);
  const json state = {{"epochs_done", s.epochs_done}, {"step", s.step},          {"results_bytes", s.results_bytes},
                      {"finished", s.finished},       {"seconds", s.seconds},   {"model", model_name},
                      {"optimizer", optim_name},      {"optimizer_step", backend.optimizer_step()}};
  const std::string text = state.dump(1) + "\n";
  write_file_atomic(dir / "state.json", std::as_bytes(std::span(text.data(), text.size())));
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string f = entry.path().filename().string();
    if ((f.rfind("model-", 0) == 0 || f.rfind("optimizer-", 0) == 0) && f != model_name && f != optim_name)
      fs::remove(entry.path());
  }
}

std::optional<LoopState> read_loop_state(const fs::path& dir) {
  const fs::path state_path = dir / "state.json";
  if (!fs::exists(state_path)) return std::nullopt;
  const json j = read_json_file(state_path);
  const std::string where = state_path.string();
  LoopState s;
  s.epochs_done = get_field<std::int64_t>(j, "epochs_done", where);
  s.step = get_field<std::int64_t>(j, "step", where);
  s.results_bytes = get_field<std::uint64_t>(j, "results_bytes", where);
  s.finished = get_field<bool>(j, "finished", where);
  s.seconds = get_field<double>(j, "seconds", where);
  return s;
}

std::optional<LoopState> load_checkpoint(const fs::path& dir, Backend& backend) {
  const auto s = read_loop_state(dir);
  if (!s) return std::nullopt;
  const fs::path state_path = dir / "state.json";
  const json j = read_json_file(state_path);
  const std::string where = state_path.string();
  backend.set_parameters(
      model::load_parameters<double>(backend.config(), dir / get_field<std::string>(j, "model", where)));
  const Safetensors optim = read_safetensors(dir / get_field<std::string>(j, "optimizer", where));
  Named<double> moments;
  for (const auto& [name, t] : optim.tensors) {
    const auto values = model::as_doubles(t);
    moments.emplace(name, Tensor<double>(t.shape(), values));
  }
  backend.set_optimizer_state(get_field<std::int64_t>(j, "optimizer_step", where), moments);
  return s;
}

}  // namespace menagerie::train
