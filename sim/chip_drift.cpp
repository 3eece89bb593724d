#include "sim/chip_drift.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/error.h"
#include "core/rng.h"
#include "hw/chip.h"
#include "sim/cli.h"
#include "sim/hw_config.h"

namespace mortal {

void ChipDriftParams::add_options(CLI::App& app) {
  const std::size_t before = app.get_options().size();
  app.add_option("--device", device, "Device preset: " + hw::device_preset_names());
  app.add_option("--inputs", inputs, "Layer inputs");
  app.add_option("--outputs", outputs, "Layer outputs");
  app.add_option("--batch", batch, "Test inputs per read-out");
  list_option(app.add_option("--idle", idle_s, "Times after programming to read at (s, increasing, comma separated)"));
  list_option(app.add_option("--hw", hw, "Hardware parameter override path=value, repeatable (e.g. device.dw_min=0.002)"),
              false);
  group_options_since(app, before, "Chip");
}

void ChipDriftParams::validate() const {
  hw::device_preset(device).validate();
  hw::ChipParams chip = hw::chip_preset(device, {1, 1});
  hw::EnergyParams energy;
  apply_hw_overrides(chip, energy, hw);  // an unknown path or a bad value is refused before the chip is built
  require(inputs >= 1, "inputs must be >= 1, got {}", inputs);
  require(outputs >= 1, "outputs must be >= 1, got {}", outputs);
  require(batch >= 1, "batch must be >= 1, got {}", batch);
  require(!idle_s.empty(), "idle must list at least one time");
  for (std::size_t k = 0; k < idle_s.size(); ++k) check_positive("idle", idle_s[k]);
  // From the second time on: the message's arguments are evaluated whether or not the check fails.
  for (std::size_t k = 1; k < idle_s.size(); ++k)
    require(idle_s[k] > idle_s[k - 1], "idle times must increase, got {} after {}", idle_s[k], idle_s[k - 1]);
}

namespace {

Mat uniform(int rows, int cols, Rng& rng, float scale) {
  Mat m(rows, cols);
  hw::FastRng fr(rng);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) m(r, c) = scale * (2 * fr.uniform() - 1);
  return m;
}

}  // namespace

nlohmann::json run_chip_drift(const ChipDriftParams& p, std::uint64_t seed) {
  p.validate();
  // Two chips of one design and seed: one read as is, one with global drift compensation.
  hw::ChipParams cp = hw::chip_preset(p.device, {p.inputs, p.outputs});
  hw::EnergyParams energy;
  apply_hw_overrides(cp, energy, p.hw);
  hw::Ledger ledger(energy);
  hw::Chip plain("plain", cp, ledger, seed), comp("compensated", cp, ledger, seed);
  Rng rng = make_rng(seed, "chip_drift.data");
  const Mat w = uniform(p.outputs, p.inputs, rng, 0.5f);
  const Mat x = uniform(p.batch, p.inputs, rng, 1.0f).cwiseAbs();
  const Mat probe = Mat::Ones(8, p.inputs);
  Mat zref = x * w.transpose(), z(p.batch, p.outputs);
  plain.program(0, w);
  comp.program(0, w);
  comp.tile(0).core().calibrate_drift(probe, comp.now_s(), comp.rng());
  const double t0 = hw::sim_now_s();

  nlohmann::json rows = nlohmann::json::array();
  double waited = 0;
  for (double t : p.idle_s) {
    plain.idle(t - waited);
    waited = t;
    plain.layer(0).forward(z, x);
    const double err_plain = double((z - zref).norm() / zref.norm());
    auto& core = comp.tile(0).core();
    comp.advance_ns(core.compensate_drift(probe, comp.now_s(), comp.rng()).ns);
    comp.layer(0).forward(z, x);
    const double err_comp = double((z - zref).norm() / zref.norm());
    rows.push_back({{"idle_s", t},
                    {"sim_time_s", hw::sim_now_s() - t0},
                    {"relative_error", err_plain},
                    {"relative_error_compensated", err_comp},
                    {"compensation_gain", core.output_gain()}});
    fmt::print("t = {:>10.0f} s  relative output error {:.4f}, compensated {:.4f} (gain {:.4f})\n", t, err_plain,
               err_comp, core.output_gain());
  }
  nlohmann::json m;
  m["reads"] = rows;
  m["hardware"] = hw_to_json(cp, energy);
  m["energy"] = ledger.to_json();
  m["energy_table"] = ledger.table();
  m["kernel_wall_s"] = plain.kernel_wall_s() + comp.kernel_wall_s();
  return m;
}

}  // namespace mortal
