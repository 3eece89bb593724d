#pragma once
// chip_drift: one analog layer programmed with known weights, read after increasing idle times, with and
// without global drift compensation; shows device statistics, simulated time and the energy ledger.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

struct ChipDriftParams {
  std::string device = "pcm";  // device preset (hw/device.h)
  int inputs = 784;
  int outputs = 1000;
  int batch = 256;
  std::vector<double> idle_s = {1, 60, 3600, 86400, 2592000};  // cumulative read-out times after programming
  std::vector<std::string> hw;  // path=value overrides of the preset (sim/hw_config.h), applied in order

  void add_options(CLI::App& app);
  void validate() const;
};

// Builds the chip, programs random weights, reads them out after each idle time; returns the metrics
// section (per time: relative output error without and with compensation, simulated time; ledger).
nlohmann::json run_chip_drift(const ChipDriftParams& p, std::uint64_t seed);

}  // namespace mortal
