#include "sim/run_report.h"

#include <catch2/catch.hpp>

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
  const nlohmann::json energy = {{"scenario", "mortal_energy"}, {"metrics", {{"tables", {}}}}};
  CHECK_THROWS_WITH(summarise_run("e.json", energy), Catch::Matchers::Contains("e.json") &&
                                                         Catch::Matchers::Contains("no test error"));
}
