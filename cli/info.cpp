// menagerie info: version, git SHA, build type, CUDA runtime/driver versions and the GPUs seen (or "no GPU").
#include <cstdio>

#include "cli/commands.hpp"
#include "core/build_info.hpp"
#include "optimized/common/device.hpp"

namespace menagerie::cli {

void add_info(CLI::App& app) {
  auto* sub = app.add_subcommand("info", "print version, build, CUDA versions and the GPUs this process sees");
  static bool as_json = false;
  sub->add_flag("--json", as_json, "print the provenance as JSON");
  sub->callback([] {
    const Provenance p = current_provenance();
    if (as_json) {
      std::printf("%s\n", to_json(p).dump(2).c_str());
      return;
    }
    const DeviceReport r = device_report();
    std::printf("menagerie %s (git %s)\n", p.version.c_str(), p.git_sha.c_str());
    std::printf("build:        %s, %s, CUDA kernels %s\n", p.build_type.c_str(), p.compiler.c_str(),
                build::with_cuda() ? "built" : "not built (cpu-only)");
    std::printf("host:         %s, %s, %d cores\n", p.host.c_str(), p.cpu.c_str(), p.cpu_cores);
    std::printf("CUDA runtime: %s\nCUDA driver:  %s\n", p.cuda_runtime.c_str(), p.cuda_driver.c_str());
    if (r.gpus.empty()) std::printf("GPUs:         no GPU (%s)\n", r.note.c_str());
    for (const auto& g : r.gpus)
      std::printf("GPU %d:        %s, sm_%d%d, %d SMs, %.1f GiB, L2 %.0f MiB\n", g.index, g.name.c_str(), g.cc_major,
                  g.cc_minor, g.sm_count, static_cast<double>(g.memory_bytes) / (1 << 30),
                  static_cast<double>(g.l2_bytes) / (1 << 20));
  });
}

}  // namespace menagerie::cli
