#include "sim/sweep_grid.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "core/error.h"
#include "test_util.h"

using namespace mortal;

namespace {

SweepSpec two_by_three() {
  SweepSpec s;
  s.axes = {parse_grid("device.dw_min=0.001,0.002"), parse_grid("--lr=0.1,0.2,0.3")};
  s.scenario = "chip_drift";
  return s;
}

}  // namespace

TEST_CASE("a grid is a path and its comma-separated values", "[sweep]") {
  const GridAxis a = parse_grid("--lr=0.01,0.02");
  CHECK(a.path == "--lr");
  CHECK(a.is_option());
  CHECK(a.values == std::vector<std::string>{"0.01", "0.02"});
  CHECK_FALSE(parse_grid("device.dw_min=1").is_option());
  CHECK_THROWS_WITH(parse_grid("device.dw_min"), Catch::Matchers::Contains("PATH=v1"));
  CHECK_THROWS_WITH(parse_grid("x=1,,2"), Catch::Matchers::Contains("empty value"));
}

TEST_CASE("points run over the product of the grids, the last varying fastest", "[sweep]") {
  const SweepSpec s = two_by_three();
  REQUIRE(s.points() == 6);
  CHECK(s.point_values(0) == std::vector<std::string>{"0.001", "0.1"});
  CHECK(s.point_values(2) == std::vector<std::string>{"0.001", "0.3"});
  CHECK(s.point_values(4) == std::vector<std::string>{"0.002", "0.2"});
  CHECK(s.point_args(4) == std::vector<std::string>{"--hw", "device.dw_min=0.002", "--lr=0.2"});
  CHECK_THROWS(s.point_values(6));
}

TEST_CASE("zipped grids pair their values", "[sweep]") {
  SweepSpec s;
  s.axes = {parse_grid("a=1,2,3"), parse_grid("b=x,y,z")};
  s.zip = true;
  s.scenario = "chip_drift";
  s.validate();
  CHECK(s.points() == 3);
  CHECK(s.point_values(1) == std::vector<std::string>{"2", "y"});
  s.axes[1] = parse_grid("b=x,y");
  CHECK_THROWS_WITH(s.validate(), Catch::Matchers::Contains("--zip"));
}

TEST_CASE("a run's seed depends only on the base seed, its point and its replica", "[sweep]") {
  CHECK(sweep_seed(1, 3, 1) == sweep_seed(1, 3, 1));
  std::set<std::uint64_t> seen;
  for (std::uint64_t base : {1, 2})
    for (std::uint64_t p = 0; p < 50; ++p)
      for (std::uint64_t r = 0; r < 4; ++r) seen.insert(sweep_seed(base, p, r));
  CHECK(seen.size() == 400);
  // The documented hash, pinned: a change would give every recorded sweep other seeds. SplitMix64's first
  // output from state 0 is 0xe220a8397b1dcdaf; three chained steps from (0, 0, 0) give:
  CHECK(sweep_seed(0, 0, 0) == 0x238275bc38fcbe91ULL);
}

TEST_CASE("options the sweep sets itself are refused in the scenario's arguments", "[sweep]") {
  SweepSpec s = two_by_three();
  s.scenario_args = {"--seed", "4"};
  CHECK_THROWS_WITH(s.validate(), Catch::Matchers::Contains("--seed"));
  s.scenario_args = {"--out=x.json"};
  CHECK_THROWS_WITH(s.validate(), Catch::Matchers::Contains("--out"));
  s.scenario_args = {"--lr", "0.5"};
  CHECK_THROWS_WITH(s.validate(), Catch::Matchers::Contains("both swept"));
  s.scenario_args = {};
  s.axes.push_back(parse_grid("--lr=1"));
  CHECK_THROWS_WITH(s.validate(), Catch::Matchers::Contains("twice"));
}

TEST_CASE("another grid over the same folder is named field by field", "[sweep]") {
  const SweepSpec a = two_by_three();
  SweepSpec b = a;
  CHECK(identity_differences(a.identity(), b.identity()).empty());
  b.axes[0].values[1] = "0.003";
  b.seeds = 3;
  const auto d = identity_differences(a.identity(), b.identity());
  REQUIRE(d.size() == 2);
  CHECK(d[0] == "grid device.dw_min: 0.001,0.002 recorded, 0.001,0.003 given");
  CHECK(d[1] == "seeds: 1 recorded, 3 given");
}

TEST_CASE("a grid file in JSON or TOML gives the same grids", "[sweep]") {
  test::TempDir dir;
  std::ofstream(dir.file("g.json")) << R"({"grid": {"device.dw_min": [0.001, 0.002], "--device": ["pcm", "reram"]}, "zip": true})";
  std::ofstream(dir.file("g.toml")) << "zip = true\n[grid]\n\"device.dw_min\" = [0.001, 0.002]\n\"--device\" = [\"pcm\", \"reram\"]\n";
  for (const char* name : {"g.json", "g.toml"}) {
    bool zip = false;
    const auto axes = read_grid_file(dir.file(name), zip);
    CHECK(zip);
    REQUIRE(axes.size() == 2);
    for (const auto& a : axes) {
      if (a.path == "device.dw_min") CHECK(a.values == std::vector<std::string>{"0.001", "0.002"});
      else CHECK(a.values == std::vector<std::string>{"pcm", "reram"});
    }
  }
  std::ofstream(dir.file("bad.json")) << R"({"grids": {}})";
  bool zip = false;
  CHECK_THROWS_WITH(read_grid_file(dir.file("bad.json"), zip), Catch::Matchers::Contains("bad.json"));
}

TEST_CASE("metric names get their metrics. prefix, and a choice of metrics is part of the sweep", "[sweep]") {
  CHECK(parse_metric_list("test_error,metrics.rival") == std::vector<std::string>{"metrics.test_error", "metrics.rival"});
  CHECK_THROWS_AS(parse_metric_list("a,,b"), Error);
  SweepSpec a;
  a.axes = {parse_grid("device.dw_min=0.001")};
  a.scenario = "chip_drift";
  SweepSpec b = a;
  // A sweep recorded without a choice (every metric) has no "metrics" field.
  CHECK_FALSE(a.identity().contains("metrics"));
  b.metrics = {"metrics.test_error"};
  CHECK(identity_differences(a.identity(), b.identity()) ==
        std::vector<std::string>{"metrics: all recorded, [\"metrics.test_error\"] given"});
}
