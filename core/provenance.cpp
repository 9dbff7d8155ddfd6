#include "core/provenance.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#include "core/build_info.hpp"

namespace menagerie {

namespace {
std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}
}  // namespace

Provenance host_provenance() {
  Provenance p;
  p.version = build::version();
  p.git_sha = build::git_sha();
  p.build_type = build::build_type();
  p.compiler = build::compiler();
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  p.date_utc = buf;
  char host[256] = {};
  p.host = gethostname(host, sizeof host - 1) == 0 ? host : "unknown";
  p.cpu = cpu_model();
  p.cpu_cores = static_cast<int>(std::thread::hardware_concurrency());
  // A CPU step (training, sweeps) does not ask the driver; current_provenance() fills these where a GPU matters.
  p.gpu = "not queried (a CPU step)";
  p.cuda_runtime = p.cuda_driver = "not queried";
  return p;
}

nlohmann::json to_json(const Provenance& p) {
  return {{"version", p.version}, {"git_sha", p.git_sha},   {"build_type", p.build_type},
          {"compiler", p.compiler}, {"date_utc", p.date_utc}, {"host", p.host},
          {"cpu", p.cpu},           {"cpu_cores", p.cpu_cores}, {"gpu", p.gpu},
          {"cuda_runtime", p.cuda_runtime}, {"cuda_driver", p.cuda_driver}};
}

std::string to_markdown(const Provenance& p) {
  std::string s;
  s += "- menagerie " + p.version + ", git " + p.git_sha + ", " + p.build_type + " build, " + p.compiler + "\n";
  s += "- date: " + p.date_utc + "\n";
  s += "- machine: " + p.host + ", " + p.cpu + ", " + std::to_string(p.cpu_cores) + " cores\n";
  s += "- GPU: " + p.gpu + "\n";
  s += "- CUDA runtime " + p.cuda_runtime + ", driver " + p.cuda_driver + "\n";
  return s;
}

}  // namespace menagerie
