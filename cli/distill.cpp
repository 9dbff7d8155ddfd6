// menagerie distill [--out reports/distillation.md] [--seed N] [--no-plot]: Laughing Hyena distillation of three
// long-convolution filters against the modal order m (theory/distillation.hpp: the filters, the columns), written
// atomically as <out> (Markdown, provenance first) and <out minus .md>.csv, and, where python3 has matplotlib,
// <out minus .md>.png (theory/plot_distillation.py: the errors against m). This file parses the flags and writes.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/scripts.hpp"
#include "core/io/atomic_file.hpp"
#include "optimized/common/device.hpp"
#include "theory/distillation.hpp"

namespace menagerie::cli {

namespace {

namespace fs = std::filesystem;

struct Options {
  std::string out = "reports/distillation.md";
  std::uint64_t seed = 0;
  bool no_plot = false;
};

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomic(path, std::as_bytes(std::span(text.data(), text.size())));
  std::printf("wrote %s\n", path.string().c_str());
}

void plot(const fs::path& csv, const fs::path& png) {
  const fs::path script = project_file("theory/plot_distillation.py");
  const std::string python = python_with("matplotlib");
  if (script.empty() || python.empty()) {
    std::printf("plot: %s; no %s\n", script.empty() ? "theory/plot_distillation.py not found"
                                                    : "python3 with matplotlib not found (Debian: python3-matplotlib)",
                png.string().c_str());
    return;
  }
  const std::string cmd = python + " " + quoted(script) + " " + quoted(csv) + " " + quoted(png);
  if (std::system(cmd.c_str()) == 0)
    std::printf("wrote %s\n", png.string().c_str());
  else
    std::printf("plot: %s failed; the tables are written\n", cmd.c_str());
}

}  // namespace

void add_distill(CLI::App& app) {
  auto* sub = app.add_subcommand("distill", "Laughing Hyena distillation: modal SSM fits of long-convolution "
                                            "filters against the order m; writes reports/distillation.md");
  static Options o;
  sub->add_option("--out", o.out, "the report to write (default reports/distillation.md; the .csv and .png beside it)");
  add_seed_option(*sub, o.seed, "seed of the synthetic filters and the random inputs (default 0)");
  sub->add_flag("--no-plot", o.no_plot, "skip the matplotlib plot");
  sub->callback([] {
    const fs::path md(o.out);
    require_output_file("--out", md);
    fs::path stem = md;
    stem.replace_extension();
    const auto t0 = std::chrono::steady_clock::now();
    constexpr int draws = 4;
    const auto rows = theory::run_distillation(o.seed, draws);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_text(md, theory::distillation_markdown(rows, to_markdown(current_provenance()), o.seed, draws, seconds));
    const fs::path csv = stem.string() + ".csv";
    write_text(csv, theory::distillation_csv(rows));
    if (!o.no_plot) plot(csv, stem.string() + ".png");
  });
}

}  // namespace menagerie::cli
