#include "sim/learning_curve.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_util.h"

using namespace mortal;

namespace {

const Series* find(const std::vector<Series>& all, const std::string& title) {
  for (const Series& s : all)
    if (s.title == title) return &s;
  return nullptr;
}

// The curve of a digital FF run as ff_mnist records it: per-layer statistics every epoch, test and train
// errors of both predictions and a validation error every second epoch, and the softmax read-out's own epochs after training.
nlohmann::json ff_metrics() {
  const auto layers = [](double g) {
    return nlohmann::json::array({{{"loss", 0.5}, {"goodness_pos", g}, {"goodness_neg", g / 4}},
                                  {{"loss", 0.6}, {"goodness_pos", 2 * g}, {"goodness_neg", g / 2}}});
  };
  return {{"prediction", "goodness"},
          {"curve",
           {{{"epoch", 1}, {"seconds", 1.0}, {"layers", layers(10)}},
            {{"epoch", 2},
             {"seconds", 1.0},
             {"layers", layers(20)},
             {"test_error", {{"goodness", 0.05}, {"softmax", 0.07}}},
             {"train_error", {{"goodness", 0.01}, {"softmax", 0.02}}},
             {"validation_error", {{"goodness", 0.04}}}},
            {{"readout_epoch", 1}, {"readout_loss", 0.3}}}}};
}

}  // namespace

TEST_CASE("an FF curve gives each layer's goodness for positive and negative data and the errors it evaluated", "[plot]") {
  const LearningCurve c = learning_curve(ff_metrics());
  REQUIRE(c.goodness.size() == 4);
  const Series* pos2 = find(c.goodness, "layer 2 positive");
  REQUIRE(pos2 != nullptr);
  CHECK(pos2->x == std::vector<double>{1, 2});
  CHECK(pos2->y == std::vector<double>{20, 40});
  const Series* neg1 = find(c.goodness, "layer 1 negative");
  REQUIRE(neg1 != nullptr);
  CHECK(neg1->y == std::vector<double>{2.5, 5});
  // Test errors only where evaluated (epoch 2), in percent; the read-out's epochs are not on the curve.
  const Series* good = find(c.errors, "test error (goodness)");
  REQUIRE(good != nullptr);
  CHECK(good->x == std::vector<double>{2});
  CHECK(good->y[0] == Approx(5.0));
  REQUIRE(find(c.errors, "test error (softmax)") != nullptr);
  // and the train errors beside them, where underfitting shows.
  const Series* train = find(c.errors, "train error (softmax)");
  REQUIRE(train != nullptr);
  CHECK(train->x == std::vector<double>{2});
  CHECK(train->y[0] == Approx(2.0));
  REQUIRE(find(c.errors, "train error (goodness)") != nullptr);
  const Series* validation = find(c.errors, "validation error (goodness)");
  REQUIRE(validation != nullptr);
  CHECK(validation->y[0] == Approx(4.0));
  CHECK(c.errors.size() == 5);
}

TEST_CASE("a BP curve gives train, validation and test errors in percent and no goodness", "[plot]") {
  const nlohmann::json m = {
      {"curve",
       {{{"epoch", 1}, {"train_batch_error", 0.1}, {"validation_error", 0.08}, {"test_error", 0.09}},
        {{"epoch", 2}, {"train_batch_error", 0.05}, {"validation_error", nullptr}, {"test_error", 0.04}}}}};
  const LearningCurve c = learning_curve(m);
  CHECK(c.goodness.empty());
  const Series* test = find(c.errors, "test error");
  REQUIRE(test != nullptr);
  CHECK(test->y[1] == Approx(4.0));
  REQUIRE(find(c.errors, "train error (during the epoch)") != nullptr);
  // A validation error recorded as null (NaN in the run: no validation set) is no point.
  const Series* val = find(c.errors, "validation error");
  REQUIRE(val != nullptr);
  CHECK(val->x == std::vector<double>{1});
}

TEST_CASE("a greedy FF curve puts each entry's statistics on the layer it names", "[plot]") {
  const nlohmann::json m = {
      {"curve",
       {{{"layer", 0}, {"epoch", 1}, {"layers", {{{"goodness_pos", 3.0}, {"goodness_neg", 1.0}}}}},
        {{"layer", 1}, {"epoch", 1}, {"layers", {{{"goodness_pos", 5.0}, {"goodness_neg", 2.0}}}}}}}};
  const LearningCurve c = learning_curve(m);
  const Series* pos2 = find(c.goodness, "layer 2 positive");
  REQUIRE(pos2 != nullptr);
  CHECK(pos2->y == std::vector<double>{5.0});
}

TEST_CASE("a run's curve is drawn beside its results and recorded in them", "[plot]") {
  test::TempDir dir;
  nlohmann::json result = {{"scenario", "ff_mnist"}, {"seed", 1}, {"metrics", ff_metrics()}};
  add_curve_plot(result, dir.file("run.json"));
  CHECK(result["curve_plot"] == dir.file("run_curve.png"));
  CHECK(result["curve_plot_error"] == "");
  std::ifstream png(dir.file("run_curve.png"), std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  CHECK(std::string(magic + 1, 3) == "PNG");
  std::ifstream csv(dir.file("run_curve.csv"));
  std::string header;
  std::getline(csv, header);
  CHECK(header == "panel,series,epoch,value");
}

TEST_CASE("a run without a curve records why it has no plot instead of failing", "[plot]") {
  test::TempDir dir;
  nlohmann::json result = {{"scenario", "chip_drift"}, {"metrics", {{"reads", 3}}}};
  add_curve_plot(result, dir.file("run.json"));
  CHECK(result["curve_plot"] == "");
  CHECK_THAT(result["curve_plot_error"].get<std::string>(), Catch::Matchers::Contains("no learning curve"));
  CHECK(!std::filesystem::exists(dir.file("run_curve.png")));
}

TEST_CASE("without gnuplot a run's curve is a recorded warning, not an error", "[plot]") {
  test::TempDir dir;
  nlohmann::json result = {{"scenario", "ff_mnist"}, {"seed", 1}, {"metrics", ff_metrics()}};
  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", dir.file("nothing-here").c_str(), 1);
  add_curve_plot(result, dir.file("run.json"));
  ::setenv("PATH", path.c_str(), 1);
  CHECK(result["curve_plot"] == "");
  CHECK_THAT(result["curve_plot_error"].get<std::string>(), Catch::Matchers::Contains("gnuplot"));
  CHECK(!std::filesystem::exists(dir.file("run_curve.png")));
}
