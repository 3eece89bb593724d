#include "sim/energy_calibration.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "core/error.h"
#include "test_util.h"

using namespace mortal;

namespace {

const std::string kCalibrationTables = std::string(MORTAL_SOURCE_DIR) + "/energy";

}  // namespace

TEST_CASE("the tables put HERMES and the Ambrogio 2023 chip within 2x of their published efficiency", "[energy]") {
  const EnergyTables t = EnergyTables::load(kCalibrationTables);
  const std::vector<CalibrationChip> chips = read_calibrations(kCalibrationTables + "/calibration");
  const std::vector<CalibrationResult> res = calibrate(chips, "all", t);
  REQUIRE(res.size() == 3);
  for (const auto& r : res) {
    INFO(r.chip << " " << r.mode << ": modelled " << r.calibrated_tops_per_w << " TOPS/W (events alone "
                << r.events_tops_per_w << "), published " << r.published_tops_per_w);
    CHECK(r.factor_off() <= 2.0);
  }
}

TEST_CASE("the overhead factor is fitted on the one mode marked fit and applied to every mode", "[energy]") {
  const EnergyTables t = EnergyTables::load(kCalibrationTables);
  const std::vector<CalibrationChip> chips = read_calibrations(kCalibrationTables + "/calibration");
  const double f = fitted_overhead(chips, t);
  CHECK(f >= 1.0);
  for (const auto& r : calibrate(chips, "hermes", t)) {
    CHECK(r.calibrated_tops_per_w == Approx(r.events_tops_per_w / f));
    if (r.fit) CHECK(r.calibrated_tops_per_w == Approx(r.published_tops_per_w));
  }
  // Four phases read and convert four times; the per-product digital work is done once.
  const auto h = calibrate(chips, "hermes", t);
  REQUIRE(h.size() == 2);
  const double ratio = h[0].events_tops_per_w / h[1].events_tops_per_w;
  CHECK(ratio > 3.0);
  CHECK(ratio < 4.0);
  CHECK_THROWS_WITH(calibrate(chips, "truenorth", t), Catch::Matchers::Contains("truenorth"));
}

TEST_CASE("a calibration's product is costed from the tables: a constant changed there moves it", "[energy]") {
  EnergyTables t = EnergyTables::load(kCalibrationTables);
  const CalibrationChip c = read_calibration(kCalibrationTables + "/calibration/hermes.toml");
  const CalibrationMode& one = c.modes.at(0);
  const double before = calibration_ledger(c, one, t).total_energy_pj();
  t.override_setting("adc.enob=9");  // twice the energy per conversion
  const double adc_before = 256 * 25e-3 * 256;
  CHECK(calibration_ledger(c, one, t).total_energy_pj() == Approx(before + adc_before));
}

TEST_CASE("a calibration file with an unknown or missing field is refused by name", "[energy]") {
  test::TempDir dir;
  const std::string f = dir.file("chip.toml");
  {
    std::ofstream o(f);
    o << "title = \"x\"\n[workload]\nrows = { value = 4, unit = \"count\", source = \"s\" }\n"
         "wires = { value = 4, unit = \"count\", source = \"s\" }\n";
  }
  CHECK_THROWS_WITH(read_calibration(f), Catch::Matchers::Contains("workload.wires"));
  {
    std::ofstream o(f);
    o << "title = \"x\"\n[workload]\nrows = { value = 4, unit = \"count\", source = \"s\" }\n";
  }
  CHECK_THROWS_WITH(read_calibration(f), Catch::Matchers::Contains("is missing"));
}
