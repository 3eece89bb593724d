#include "sim/sweep_run.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace mortal;

namespace {

SweepSpec chip_drift_sweep(const std::string& path, const std::string& values) {
  SweepSpec s;
  s.axes = {parse_grid(path + "=" + values)};
  s.scenario = "chip_drift";
  s.scenario_args = {"--inputs", "8", "--outputs", "4", "--batch", "2", "--idle", "1,60"};
  return s;
}

const std::string kChipDrift = std::string(MORTAL_BIN_DIR) + "/chip_drift";

}  // namespace

TEST_CASE("a run's JSON flattens to dotted scalar names, long arrays left out", "[sweep]") {
  // A learning curve of 5 records of 13 scalars: 65 columns, one too many; 4 such records fit.
  const nlohmann::json record = {{"epoch", 1}, {"losses", std::vector<double>(12, 0.5)}};
  const nlohmann::json j = {{"a", 1.5}, {"b", {{"c", "x"}, {"d", true}}}, {"rows", {{{"e", 2}}, {{"e", 3}}}},
                            {"long", std::vector<int>(65, 1)}, {"curve", std::vector<nlohmann::json>(5, record)},
                            {"table", "two\nlines"}, {"none", nullptr}};
  CsvRow row;
  flatten_scalars(j, "metrics", row);
  CHECK(row == CsvRow{{"metrics.a", "1.5"}, {"metrics.b.c", "x"}, {"metrics.b.d", "true"},
                      {"metrics.rows.0.e", "2"}, {"metrics.rows.1.e", "3"}});
  CsvRow shorter;
  flatten_scalars({{"curve", std::vector<nlohmann::json>(4, record)}}, "metrics", shorter);
  CHECK(shorter.size() == 52);
  CHECK(shorter.at("metrics.curve.3.losses.11") == "0.5");
}

TEST_CASE("a sweep's hardware paths and options are checked before any run", "[sweep]") {
  check_sweep(chip_drift_sweep("device.dw_min", "0.001,0.002"), kChipDrift);
  check_sweep(chip_drift_sweep("--device", "pcm,reram"), kChipDrift);
  CHECK_THROWS_WITH(check_sweep(chip_drift_sweep("device.no_such", "1"), kChipDrift),
                    Catch::Matchers::Contains("no parameter 'crossbar.device.no_such'"));
  CHECK_THROWS_WITH(check_sweep(chip_drift_sweep("device.dw_min", "0.001,abc"), kChipDrift),
                    Catch::Matchers::Contains("point 1"));
  CHECK_THROWS_WITH(check_sweep(chip_drift_sweep("--no-such-option", "1"), kChipDrift),
                    Catch::Matchers::Contains("--no-such-option"));
  SweepSpec bad_value = chip_drift_sweep("--inputs", "8,x");
  bad_value.scenario_args = {"--outputs", "4", "--idle", "1"};
  CHECK_THROWS_WITH(check_sweep(bad_value, kChipDrift), Catch::Matchers::Contains("point 1"));
  SweepSpec fixed_unknown = chip_drift_sweep("--device", "pcm");
  fixed_unknown.scenario_args.push_back("--bogus=1");
  CHECK_THROWS_WITH(check_sweep(fixed_unknown, kChipDrift), Catch::Matchers::Contains("--bogus"));
}

TEST_CASE("a choice of metrics keeps the columns named and those under a named group, and names what no column matches", "[sweep]") {
  CsvRow row = {{"point", "0"}, {"status", "ok"}, {"metrics.test_error", "0.1"}, {"metrics.test_error_x", "0.2"},
                {"metrics.rival.on_chip_test_error", "0.3"}, {"metrics.other", "1"}};
  CsvRow all = row;
  CHECK(keep_metrics({}, all).empty());
  CHECK(all == row);
  const std::vector<std::string> unknown = keep_metrics({"metrics.test_error", "metrics.rival", "metrics.no_such"}, row);
  CHECK(unknown == std::vector<std::string>{"metrics.no_such"});
  CHECK(row == CsvRow{{"point", "0"}, {"status", "ok"}, {"metrics.test_error", "0.1"},
                      {"metrics.rival.on_chip_test_error", "0.3"}});
}
