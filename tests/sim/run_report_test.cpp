#include "sim/run_report.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>

#include "test_util.h"

using namespace mortal;

namespace {

nlohmann::json insitu_record() {
  return {{"scenario", "ff_mnist"},
          {"seed", 1},
          {"config", {{"layers", {1000, 1000}}, {"epochs", 3}}},
          {"metrics",
           {{"device", "ecram"},
            {"prediction", "goodness"},
            {"test_error", 0.041},
            {"train_error", 0.012},
            {"validation_examples", 10000},
            {"validation_errors", {{"goodness", 0.048}, {"softmax", 0.061}}},
            {"selected_by_validation", {{"epoch", 2}, {"validation_error", 0.05}, {"test_error", 0.039}}},
            {"energy_training_pj_per_image", 2.5e6},
            {"timing_s", {{"total", 300.0}}},
            {"curve",
             {{{"epoch", 1}, {"test_error", {{"goodness", 0.09}}}},
              {{"epoch", 2}, {"test_error", {{"goodness", 0.039}}}},
              {{"epoch", 3}, {"test_error", {{"goodness", 0.041}}}}}}}}};
}

nlohmann::json bp_record() {
  return {{"scenario", "bp_mnist"},
          {"config", {{"layers", {256}}, {"epochs", 2}}},
          {"metrics",
           {{"test_error", 0.02},
            {"validation_examples", 0},
            {"validation_error", nullptr},  // NaN without a split, written as null
            {"timing_s", {{"total", 12.5}}},
            {"curve", {{{"epoch", 1}, {"test_error", 0.03}}, {{"epoch", 2}, {"test_error", 0.02}}}}}}};
}

}  // namespace

TEST_CASE("a run's summary has its final and best test error, energy, epochs and the curve of its prediction", "[report]") {
  const RunSummary r = summarise_run("runs/ecram.json", insitu_record());
  CHECK(r.scenario == "ff_mnist");
  CHECK(r.device == "ecram");
  CHECK(r.layers == "1000-1000");
  CHECK(r.epochs == 3);
  CHECK(*r.test_error == Approx(0.041));
  CHECK(*r.best_test_error == Approx(0.039));
  CHECK(*r.train_error == Approx(0.012));
  CHECK(*r.chosen_epoch == 2);
  CHECK(*r.chosen_test_error == Approx(0.039));
  CHECK(*r.chosen_held_out_error == Approx(0.05));
  CHECK(*r.held_out_error == Approx(0.048));  // of the prediction the run reports, not the other
  CHECK(*r.energy_pj_per_image == Approx(2.5e6));
  CHECK(r.test_curve.title == "ecram.json");
  REQUIRE(r.test_curve.y.size() == 3);
  CHECK(r.test_curve.y[1] == Approx(3.9));
  CHECK(r.test_curve.x == std::vector<double>{1, 2, 3});
}

TEST_CASE("the comparison table has a row per run with a dash for what a run does not record", "[report]") {
  const std::string t =
      report_table({summarise_run("ecram.json", insitu_record()), summarise_run("bp.json", bp_record())});
  CHECK_THAT(t, Catch::Matchers::Contains("best test error"));
  CHECK_THAT(t, Catch::Matchers::Contains("3.90%"));
  CHECK_THAT(t, Catch::Matchers::Contains("3.90% (epoch 2, held out 5.00%)"));  // the epoch held-out images chose
  CHECK_THAT(t, Catch::Matchers::Contains("4.80%"));                            // the final held-out error
  CHECK_THAT(t, Catch::Matchers::Contains("1.20%"));            // the train error
  CHECK_THAT(t, Catch::Matchers::Contains("2.5 uJ"));
  CHECK_THAT(t, Catch::Matchers::Contains("5.0 min"));
  // bp_mnist: digital, no energy from a ledger.
  const std::string bp_row = t.substr(t.find("bp.json"));
  CHECK_THAT(bp_row, Catch::Matchers::Contains("digital"));
  CHECK_THAT(bp_row, Catch::Matchers::Contains("  -  "));
  CHECK_THAT(bp_row, Catch::Matchers::Contains("12.5 s"));
  CHECK_FALSE(summarise_run("bp.json", bp_record()).held_out_error);
}

TEST_CASE("bp_mnist's one held-out error is read when it held images out", "[report]") {
  nlohmann::json j = bp_record();
  j["metrics"]["validation_examples"] = 5000;
  j["metrics"]["validation_error"] = 0.025;
  CHECK(*summarise_run("bp.json", j).held_out_error == Approx(0.025));
}

TEST_CASE("a file that is not a run's results is refused, naming it", "[report]") {
  test::TempDir dir;
  std::ofstream(dir.file("x.json")) << "{\"grid\": {}}";
  CHECK_THROWS_WITH(load_run_summary(dir.file("x.json")),
                    Catch::Matchers::Contains(dir.file("x.json")) && Catch::Matchers::Contains("not a run's results"));
  std::ofstream(dir.file("y.json")) << "scenario = 1";
  CHECK_THROWS_WITH(load_run_summary(dir.file("y.json")),
                    Catch::Matchers::Contains(dir.file("y.json")) && Catch::Matchers::Contains("not JSON"));
  CHECK_THROWS_WITH(load_run_summary(dir.file("missing.json")), Catch::Matchers::Contains(dir.file("missing.json")));
  nlohmann::json bad_config = insitu_record();
  bad_config["config"] = {1, 2};
  CHECK_THROWS_WITH(summarise_run("c.json", bad_config),
                    Catch::Matchers::Contains("c.json") && Catch::Matchers::Contains("'config' is [1,2]"));
  const nlohmann::json energy = {{"scenario", "mortal_energy"}, {"metrics", {{"tables", {}}}}};
  CHECK_THROWS_WITH(summarise_run("e.json", energy), Catch::Matchers::Contains("e.json") &&
                                                         Catch::Matchers::Contains("no test error"));
}

namespace {

// insitu_record() as run with `seed`, writing `out`, with test error `test` and learning rate `lr`.
nlohmann::json seeded_record(std::uint64_t seed, const std::string& out, double test, double lr = 0.02) {
  nlohmann::json j = insitu_record();
  j["seed"] = seed;
  j["data"] = "train-images-idx3-ubyte 47040016 e9f4d8b3";
  j["config"]["seed"] = seed;
  j["config"]["out"] = out;
  j["config"]["checkpoint"] = out + ".ckpt";
  j["config"]["resume"] = seed == 2;
  j["config"]["lr"] = lr;
  j["metrics"]["test_error"] = test;
  return j;
}

}  // namespace

TEST_CASE("runs that differ only in seed and where they write are one setting: mean and standard error", "[report]") {
  const std::vector<RunSummary> runs = {
      summarise_run("a.json", seeded_record(1, "a.json", 0.015)),
      summarise_run("b.json", seeded_record(9, "b.json", 0.030, 0.01)),
      summarise_run("c.json", seeded_record(2, "c.json", 0.017)),
      summarise_run("d.json", seeded_record(3, "d.json", 0.016)),
  };
  const std::vector<SeedGroup> groups = seed_groups(runs);
  REQUIRE(groups.size() == 2);
  const SeedGroup& g = groups[0];  // in the order of each setting's first run
  CHECK(g.files == std::vector<std::string>{"a.json", "c.json", "d.json"});
  CHECK(g.seeds == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(g.test_error.n == 3);
  CHECK(*g.test_error.mean == Approx(0.016));
  // Sample standard deviation 0.001 (deviations -1, 1, 0 thousandths over n - 1 = 2), over sqrt(3).
  CHECK(*g.test_error.standard_error == Approx(0.001 / std::sqrt(3.0)));
  CHECK(*g.held_out_error.mean == Approx(0.048));
  CHECK(*g.held_out_error.standard_error == Approx(0).margin(1e-12));
  CHECK(g.unfinished == 0);
  // Labels: the binary, the layers, and what sets the groups apart.
  CHECK(g.label == "ff_mnist 1000-1000 lr=0.02");
  CHECK(groups[1].label == "ff_mnist 1000-1000 lr=0.01");
  CHECK(groups[1].files == std::vector<std::string>{"b.json"});
  CHECK_FALSE(groups[1].test_error.standard_error);  // one run has no spread

  const std::string t = seed_group_table(groups);
  CHECK_THAT(t, Catch::Matchers::Contains("1.60% +- 0.06"));
  CHECK_THAT(t, Catch::Matchers::Contains("1,2,3"));
  CHECK_THAT(t.substr(t.find("lr=0.01")), Catch::Matchers::Contains("3.00%"));
}

TEST_CASE("runs on other data or unfinished are told apart in their group", "[report]") {
  nlohmann::json other = seeded_record(2, "b.json", 0.02);
  other["data"] = "train-images-idx3-ubyte 47040016 00000000";
  nlohmann::json running = seeded_record(3, "c.json", 0.02);
  running["status"] = "running";
  running["metrics"].erase("test_error");
  const std::vector<SeedGroup> groups = seed_groups({summarise_run("a.json", seeded_record(1, "a.json", 0.015)),
                                                     summarise_run("b.json", other),
                                                     summarise_run("c.json", running)});
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].files == std::vector<std::string>{"a.json", "c.json"});
  CHECK(groups[0].unfinished == 1);
  CHECK(groups[0].test_error.n == 1);  // the running one records no test error yet
  CHECK(groups[1].label == "ff_mnist 1000-1000 (other data)");
  CHECK_THAT(seed_group_table(groups), Catch::Matchers::Contains("2 (1 unfinished)"));
}

TEST_CASE("a list recorded as an array or as comma-separated text is one setting", "[report]") {
  nlohmann::json array = seeded_record(1, "a.json", 0.015), text = seeded_record(2, "b.json", 0.017);
  array["config"]["drift-times"] = {1, 3600};
  text["config"]["drift-times"] = "1,3600";  // as records of earlier versions hold lists
  nlohmann::json other = seeded_record(3, "c.json", 0.02);
  other["config"]["drift-times"] = {1, 86400};
  const std::vector<SeedGroup> groups = seed_groups(
      {summarise_run("a.json", array), summarise_run("b.json", text), summarise_run("c.json", other)});
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].files == std::vector<std::string>{"a.json", "b.json"});
  CHECK(groups[0].label == "ff_mnist 1000-1000 drift-times=1,3600");
  CHECK(groups[1].label == "ff_mnist 1000-1000 drift-times=1,86400");
}
