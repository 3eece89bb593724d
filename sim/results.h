#pragma once
// Run results: one JSON file per run, written atomically, with what is needed to reproduce and compare it.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace mortal {

struct MachineInfo {
  unsigned cores = 0;
  std::string cpu_model;
};
MachineInfo machine_info();

// The record every result starts from: scenario, version, seed, start time, machine, configuration.
nlohmann::json run_record(const std::string& scenario, std::uint64_t seed, const nlohmann::json& config);

// Writes `j` to `path` through a temporary file in the same folder and a rename: a reader sees the old
// file or the whole new one, never half of it. Creates missing parent folders.
void write_json_atomic(const std::string& path, const nlohmann::json& j);

// Same, for text (CSV tables, gnuplot scripts).
void write_text_atomic(const std::string& path, const std::string& text);

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace mortal
