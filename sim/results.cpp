#include "sim/results.h"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "core/atomic_file.h"
#include "core/blas_kernels.h"
#include "core/error.h"
#include "sim/version.h"

namespace mortal {

MachineInfo machine_info() {
  MachineInfo m;
  m.cores = std::thread::hardware_concurrency();
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) m.cpu_model = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  }
  if (m.cpu_model.empty()) m.cpu_model = "unknown";
  return m;
}

nlohmann::json run_record(const std::string& scenario, std::uint64_t seed, const nlohmann::json& config) {
  const MachineInfo m = machine_info();
  char when[32];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {{"scenario", scenario},
          {"version", version()},
          {"seed", seed},
          {"started_at", when},
          {"machine", {{"cores", m.cores}, {"cpu_model", m.cpu_model}, {"blas_kernels", blas_kernels()}}},
          {"config", config}};
}

void write_text_atomic(const std::string& path, const std::string& text) { write_file_atomic(path, text); }

void write_json_atomic(const std::string& path, const nlohmann::json& j) {
  // NaN and infinities are not JSON: nlohmann writes them as null, which a reader would take for "absent".
  write_text_atomic(path, j.dump(2) + "\n");
}

}  // namespace mortal
