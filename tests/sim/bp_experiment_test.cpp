#include "sim/bp_experiment.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "test_util.h"

using namespace mortal;

TEST_CASE("bad bp_mnist options are rejected by name", "[bp]") {
  BpParams p;
  p.epochs = 0;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("epochs"));
  p = BpParams{};
  p.layers = {1000, 0};
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("layers[1]"));
  p = BpParams{};
  p.optimizer = "rmsprop";
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("optimizer"));
  p = BpParams{};
  p.lr_schedule = "step";
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("lr-schedule"));
  p = BpParams{};
  p.lr = 0;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("lr"));
  p = BpParams{};
  p.dropout_input = -0.1f;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("dropout-input"));
  p = BpParams{};
  p.train_limit = -1;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("train-limit"));
}

TEST_CASE("the network of bp_mnist is input, hidden layers, classes", "[bp]") {
  BpParams p;
  p.layers = {30, 20};
  p.batch = 7;
  const BpMlpParams m = p.model_params(784, 10);
  CHECK(m.sizes == std::vector<int>{784, 30, 20, 10});
  CHECK(m.max_batch == 7);
}

TEST_CASE("a short bp_mnist run reports errors, a learning curve and its costs", "[bp][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  BpParams p;
  p.data_dir = test::mnist_dir();
  p.layers = {32};
  p.epochs = 2;
  p.train_limit = 1200;
  p.validation = 200;
  p.test_limit = 500;
  const nlohmann::json m = run_bp(p, 3);
  CHECK(m["train_examples"] == 1000);
  CHECK(m["validation_examples"] == 200);
  CHECK(m["test_examples"] == 500);
  CHECK(m["curve"].size() == 2);
  CHECK(m["test_error"].get<double>() < 0.5);  // chance is 0.9
  const auto& t = m["cost_per_sample"]["training"]["total"];
  CHECK(t["macs"].get<double>() == Approx(3 * (784.0 * 32 + 32 * 10) - 784.0 * 32));
  CHECK(m["cost_of_run"]["training_samples"].get<double>() == 2000);
}
