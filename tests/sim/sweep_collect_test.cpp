#include "sim/sweep_collect.h"

#include <catch2/catch.hpp>

#include <filesystem>

#include "test_util.h"

using namespace mortal;

namespace {

SweepSpec grid_2x2() {
  SweepSpec s;
  s.axes = {parse_grid("device.dw_min=0.001,0.002"), parse_grid("--device=pcm,reram")};
  s.seeds = 2;
  s.scenario = "chip_drift";
  return s;
}

CsvRow summary_row(int point, int replica, const std::string& status, const std::string& err) {
  CsvRow r = {{"point", std::to_string(point)}, {"replica", std::to_string(replica)}, {"status", status}};
  if (!err.empty()) r["metrics.test_error"] = err;
  r["metrics.device"] = "pcm";
  return r;
}

}  // namespace

TEST_CASE("a point's summary is the mean and sample spread of its successful runs", "[sweep]") {
  const SweepSpec s = grid_2x2();
  std::vector<std::string> header = sweep_fixed_columns(s);
  header.push_back("metrics.device");
  header.push_back("metrics.test_error");
  const std::vector<CsvRow> rows = {summary_row(0, 0, "ok", "2"), summary_row(0, 1, "ok", "4"), summary_row(1, 0, "ok", "3"),
                                    summary_row(1, 1, "failed", "")};
  const nlohmann::json sum = summarise(s, header, rows);
  CHECK(sum["metrics"] == nlohmann::json{"metrics.test_error"});  // text metrics are not summarised
  REQUIRE(sum["points"].size() == 2);
  const auto& p0 = sum["points"][0]["metrics"]["metrics.test_error"];
  CHECK(p0["mean"].get<double>() == Approx(3));
  CHECK(p0["std"].get<double>() == Approx(std::sqrt(2.0)));
  CHECK(p0["n"] == 2);
  CHECK(sum["points"][1]["failed"] == 1);
  CHECK(sum["points"][1]["metrics"]["metrics.test_error"]["std"].get<double>() == 0);
  CHECK(sum["points"][1]["values"]["--device"] == "reram");
}

TEST_CASE("a two-parameter sweep plots each metric against each parameter and as a heat map", "[sweep]") {
  test::TempDir dir;
  const SweepSpec s = grid_2x2();
  std::vector<std::string> header = sweep_fixed_columns(s);
  header.push_back("metrics.test_error");
  std::vector<CsvRow> rows;
  for (int p = 0; p < 4; ++p)
    for (int r = 0; r < 2; ++r) rows.push_back(summary_row(p, r, "ok", std::to_string(p + 0.5 * r)));
  const nlohmann::json sum = summarise(s, header, rows);
  const auto drawn = plot_sweep(s, sum, default_plot_metrics(sum), dir.path().string());
  CHECK(drawn.size() == 3);
  for (const char* f : {"plots/metrics.test_error_vs_device.dw_min.png", "plots/metrics.test_error_vs_device.png",
                        "plots/metrics.test_error_map.png", "plots/metrics.test_error_map.gp"})
    CHECK(std::filesystem::exists(dir.path() / f));
}
