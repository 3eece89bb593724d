#include "sim/ff_experiment.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <utility>
#include <vector>

#include "core/error.h"
#include "test_util.h"

using namespace mortal;

namespace {

// A small supervised run of batches of 50, random negatives, prediction by goodness.
FFParams quick_params(std::vector<int> layers, int epochs, int train_eval_limit) {
  FFParams p;
  p.layers = std::move(layers);
  p.epochs = epochs;
  p.batch = 50;
  p.negatives = "random";
  p.predict = "goodness";
  p.train_eval_limit = train_eval_limit;
  return p;
}

}  // namespace

TEST_CASE("the half-decay schedule is flat for the first half and reaches zero at the end", "[ff]") {
  CHECK(lr_factor("halfdecay", 0.0) == 1.0f);
  CHECK(lr_factor("halfdecay", 0.49) == 1.0f);
  CHECK(lr_factor("halfdecay", 0.75) == Approx(0.5f));
  CHECK(lr_factor("halfdecay", 1.0) == 0.0f);
  CHECK(lr_factor("constant", 0.9) == 1.0f);
}

TEST_CASE("the decay can start earlier: flat up to decay-from, then linear to zero", "[ff]") {
  CHECK(lr_factor("halfdecay", 0.19, 0.2) == 1.0f);
  CHECK(lr_factor("halfdecay", 0.2, 0.2) == 1.0f);
  CHECK(lr_factor("halfdecay", 0.6, 0.2) == Approx(0.5f));
  CHECK(lr_factor("halfdecay", 0.9, 0.2) == Approx(0.125f));
  CHECK(lr_factor("halfdecay", 1.0, 0.2) == 0.0f);
  CHECK(lr_factor("constant", 0.6, 0.2) == 1.0f);
  FFParams p;
  p.decay_from = 0.2;
  CHECK(p.lr_factor_at(0.6) == Approx(0.5f));
  p.decay_from = 1.0;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("decay-from") && Catch::Contains("1"));
  p.decay_from = -0.1;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("decay-from"));
}

TEST_CASE("FF params reject a bad schedule, goodness, read-out layer or final momentum", "[ff]") {
  FFParams p;
  p.schedule = "sideways";
  CHECK_THROWS_AS(p.validate(), Error);
  p = FFParams{};
  p.goodness = "cube";
  CHECK_THROWS_AS(p.validate(), Error);
  p = FFParams{};
  p.readout_layers = {5};
  CHECK_THROWS_AS(p.validate(), Error);
  p = FFParams{};
  p.momentum_final = 0.5f;  // below --momentum 0.9
  CHECK_THROWS_AS(p.validate(), Error);
  p.momentum_final = 0.99f;
  CHECK_NOTHROW(p.validate());
  CHECK(p.optimiser_params().momentum_at(0.0f) == Approx(0.99f));
  p.optimiser = "adam";
  CHECK_THROWS_AS(p.validate(), Error);
}

TEST_CASE("a small FF net learns a small MNIST subset", "[ff][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset train = load_mnist(test::mnist_dir(), "train").head(2000);
  const Dataset test = load_mnist(test::mnist_dir(), "t10k").head(500);
  FFParams p;
  p.layers = {100, 100};
  p.epochs = 6;
  p.batch = 50;
  p.lr = 0.03f;
  p.lr_schedule = "constant";
  p.negatives = "random";
  p.eval_every = 6;
  p.train_eval_limit = 500;
  const nlohmann::json m = train_ff(p, train, test, 11, false);
  // Chance is 90% error; a linear model on 2000 images makes ~12-15%. FF after 240 steps is far from
  // converged (about 30% here): the bound says both read-outs have learned the digits, well above chance.
  CHECK(m["test_errors"]["goodness"].get<double>() < 0.5);
  CHECK(m["test_errors"]["softmax"].get<double>() < 0.5);
}

TEST_CASE("the greedy schedule trains one layer after the other and reports each", "[ff][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset train = load_mnist(test::mnist_dir(), "train").head(1000);
  const Dataset test = load_mnist(test::mnist_dir(), "t10k").head(200);
  FFParams p;
  p.layers = {50, 50};
  p.epochs = 10;
  p.batch = 100;  // 10 steps an epoch, 100 a layer
  p.schedule = "greedy";
  p.optimiser = "adam";
  p.lr = 0.003f;  // at 0.01 every unit of these small layers goes silent: one label for every image
  p.readout_layers = {0, 1};  // both layers, as the second alone lags the first this early
  p.weight_cost = 0;
  p.lr_schedule = "constant";
  p.negatives = "random";
  p.fixed_negatives = true;
  p.predict = "goodness";
  p.train_eval_limit = 200;
  const nlohmann::json g = train_ff(p, train, test, 11, false);
  REQUIRE(g["layers"].size() == 2);
  REQUIRE(g["epoch_seconds"].size() == 2);
  // Below chance (90% error) by more than 5 standard deviations of a guesser's error on these 200 test
  // images (sqrt(0.9 * 0.1 / 200) = 0.021).
  CHECK(g["test_errors"]["goodness"].get<double>() < 0.9 - 5 * std::sqrt(0.9 * 0.1 / 200));
}

TEST_CASE("the held-out images depend on the validation seed alone, not on the run's seed", "[ff][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  FFParams p;
  p.data_dir = test::mnist_dir();
  p.validation = 300;
  const RunData a = load_ff_data(p, 3), b = load_ff_data(p, 9);
  CHECK(a.validation.size() == 300);
  CHECK(a.train.size() == 60000 - 300);
  CHECK(a.validation.images == b.validation.images);
  CHECK(a.validation.labels == b.validation.labels);
  CHECK(a.train.labels == b.train.labels);
  p.validation_seed = 2;
  const RunData c = load_ff_data(p, 3);
  CHECK(c.validation.labels != a.validation.labels);
  CHECK(c.validation.images != a.validation.images);
}

TEST_CASE("held-out training images give a validation error at every evaluation, and the epoch they choose",
          "[ff][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Split split = split_validation(load_mnist(test::mnist_dir(), "train").head(700), 200, 4);
  const Dataset test_set = load_mnist(test::mnist_dir(), "t10k").head(100);
  FFParams p = quick_params({20}, 3, 100);
  const nlohmann::json m = train_ff(p, split.train, test_set, 3, false, {}, {}, &split.validation);
  REQUIRE(m["curve"].size() == 3);
  CHECK(m["validation_examples"] == 200);
  // The last evaluation is the final one: the same net on the same held-out images.
  CHECK(m["curve"].back()["validation_error"]["goodness"] == m["validation_errors"]["goodness"]);
  // The chosen epoch has the lowest validation error of the curve, and carries that epoch's test error.
  const nlohmann::json& chosen = m["selected_by_validation"];
  REQUIRE(chosen.is_object());
  const int e = chosen["epoch"].get<int>();
  for (const auto& entry : m["curve"])
    CHECK(chosen["validation_error"].get<double>() <= entry["validation_error"]["goodness"].get<double>());
  CHECK(chosen["test_error"] == m["curve"][std::size_t(e - 1)]["test_error"]["goodness"]);
  // Without held-out images, none of it.
  const nlohmann::json plain = train_ff(p, split.train, test_set, 3, false);
  CHECK_FALSE(plain.contains("selected_by_validation"));
  CHECK_FALSE(plain["curve"].back().contains("validation_error"));
  // Equal errors choose the earlier epoch.
  const auto entry = [](int epoch, double test, double validation) {
    return nlohmann::json{{"epoch", epoch},
                          {"test_error", {{"goodness", test}}},
                          {"validation_error", {{"goodness", validation}}}};
  };
  const nlohmann::json curve = {entry(1, 0.3, 0.2), entry(2, 0.1, 0.2)};
  CHECK(select_by_validation(curve, "goodness")["epoch"] == 1);
  CHECK(select_by_validation(curve, "softmax").is_null());
  // The recurrent net's curve and choice the same way.
  p.recurrent = 2;
  p.score_iterations = {1, 2};
  p.epochs = 2;
  const nlohmann::json r = train_ff(p, split.train, test_set, 3, false, {}, {}, &split.validation);
  CHECK(r["curve"].back()["validation_error"]["goodness"] == r["validation_errors"]["goodness"]);
  CHECK(r["selected_by_validation"]["epoch"].get<int>() >= 1);
}

TEST_CASE("a digital checkpoint refuses a run with other settings, a greedy run among them",
          "[ff][checkpoint]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset train = load_mnist(test::mnist_dir(), "train").head(200);
  const Dataset test_set = load_mnist(test::mnist_dir(), "t10k").head(60);
  test::TempDir dir;
  FFParams p = quick_params({8}, 2, 60);
  Checkpointing ck;
  ck.path = dir.file("run.ckpt");
  ck.stop_after = 1;
  ck.fingerprint = {{"lr", 0.02}};
  const nlohmann::json stopped = train_ff(p, train, test_set, 3, false, {}, ck);
  REQUIRE(stopped["status"] == "stopped");
  CHECK(stopped["curve"].size() == 1);
  ck.stop_after = 0;
  ck.resume = true;
  ck.fingerprint = {{"lr", 0.03}};
  CHECK_THROWS_WITH(train_ff(p, train, test_set, 3, false, {}, ck), Catch::Contains("run with other settings"));
  ck.fingerprint = {{"lr", 0.02}};
  const nlohmann::json resumed = train_ff(p, train, test_set, 3, false, {}, ck);
  CHECK(resumed["status"] == "finished");
  CHECK(resumed["curve"].size() == 2);
  // Each evaluation of the curve has the train error beside the test error: at the last epoch, the final
  // one (the same net on the same training-evaluation images).
  CHECK(resumed["curve"].back()["train_error"]["goodness"] == resumed["train_errors"]["goodness"]);
  CHECK(resumed["curve"].back()["test_error"]["goodness"] == resumed["test_errors"]["goodness"]);
  // A pipelined run's checkpoint read by a greedy run (ff_mnist's fingerprint holds the schedule, and refuses
  // it first): the record has no layer.
  p.schedule = "greedy";
  CHECK_THROWS_WITH(train_ff(p, train, test_set, 3, false, {}, ck), Catch::Contains("run.layer is null"));
}

TEST_CASE("a greedy run stopped inside a layer or at a layer's end resumes to the numbers of one never interrupted",
          "[ff][checkpoint]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset train = load_mnist(test::mnist_dir(), "train").head(300);
  const Dataset test_set = load_mnist(test::mnist_dir(), "t10k").head(100);
  test::TempDir dir;
  FFParams p;
  p.layers = {12, 10};
  p.epochs = 5;
  p.schedule = "greedy";
  p.optimiser = "adam";
  p.lr = 0.01f;
  p.lr_schedule = "halfdecay";
  p.train_eval_limit = 100;
  Checkpointing ck;
  ck.fingerprint = {{"schedule", "greedy"}};
  for (const bool full_batch : {false, true}) {
    // Batches drawn from the negatives' stream every epoch, and one full batch of fixed negatives.
    p.batch = full_batch ? 300 : 50;
    p.fixed_negatives = full_batch;
    p.predict = full_batch ? "goodness" : "both";
    const nlohmann::json whole = train_ff(p, train, test_set, 5, false);
    REQUIRE(whole["status"] == "finished");
    // Stopped inside layer 0 (its epoch 3), at layer 0's end (run epoch 5), and inside layer 1 (epoch 2).
    for (const int stop : {3, 5, 7}) {
      CAPTURE(full_batch, stop);
      ck.path = dir.file(fmt::format("greedy_{}_{}.ckpt", full_batch, stop));
      ck.resume = false;
      ck.stop_after = stop;
      const nlohmann::json stopped = train_ff(p, train, test_set, 5, false, {}, ck);
      REQUIRE(stopped["status"] == "stopped");
      CHECK(stopped["stopped_after_epoch"] == stop);
      ck.resume = true;
      ck.stop_after = 0;
      const nlohmann::json resumed = train_ff(p, train, test_set, 5, false, {}, ck);
      REQUIRE(resumed["status"] == "finished");
      CHECK(resumed["test_errors"] == whole["test_errors"]);
      CHECK(resumed["train_errors"] == whole["train_errors"]);
      CHECK(resumed["layers"] == whole["layers"]);
      // The curve to the last digit but for its wall times.
      const auto numbers = [](nlohmann::json curve) {
        for (auto& e : curve) e.erase("seconds");
        return curve.dump();
      };
      CHECK(numbers(resumed["curve"]) == numbers(whole["curve"]));
    }
  }
  // A checkpoint whose record says it stopped past the run's layers is refused by name.
  Checkpoint c = Checkpoint::load(ck.path);
  nlohmann::json run = c.get_json("run");
  run["layer"] = 2;
  c.put_json("run", run);
  c.save(ck.path);
  CHECK_THROWS_WITH(train_ff(p, train, test_set, 5, false, {}, ck), Catch::Contains("run.layer is 2"));
}

TEST_CASE("a net of local receptive fields learns the digits, and a run stopped mid-way resumes to its numbers",
          "[ff][local]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset train = load_mnist(test::mnist_dir(), "train").head(1000);
  const Dataset test_set = load_mnist(test::mnist_dir(), "t10k").head(200);
  test::TempDir dir;
  FFParams p;
  // The paper's geometry at a few channels: 4x4 locations x 4 over the pixels, then 3x3 x 4 over those.
  p.layers = {64, 36};
  p.receptive_fields = {"10/6", "2/1"};
  p.epochs = 3;
  p.batch = 50;
  // Unsupervised, as the paper trains these fields: hybrid negatives, a softmax read-out on both layers.
  p.negatives = "hybrid";
  p.predict = "softmax";
  p.readout_layers = {0, 1};
  p.readout_epochs = 3;
  p.train_eval_limit = 200;
  const nlohmann::json whole = train_ff(p, train, test_set, 4, false);
  // Chance is 90%; a linear read-out of the raw pixels on 1,000 images makes about 15%. The bound says the
  // fields' features carry the digits.
  CHECK(whole["test_errors"]["softmax"].get<double>() < 0.3);
  Checkpointing ck;
  ck.path = dir.file("local.ckpt");
  ck.fingerprint = {{"receptive-fields", {"10/6", "2/1"}}};
  ck.stop_after = 2;
  REQUIRE(train_ff(p, train, test_set, 4, false, {}, ck)["status"] == "stopped");
  ck.stop_after = 0;
  ck.resume = true;
  const nlohmann::json resumed = train_ff(p, train, test_set, 4, false, {}, ck);
  CHECK(resumed["test_errors"] == whole["test_errors"]);
  CHECK(resumed["layers"] == whole["layers"]);
  // Widths that do not share out over the grid are refused by layer.
  p.layers = {60, 36};
  CHECK_THROWS_WITH(train_ff(p, train, test_set, 4, false), Catch::Contains("receptive-fields, layer 0"));
  p.receptive_fields = {"dense", "2/1"};
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("layer 1 has fields 2/1 over a dense layer"));
}

TEST_CASE("the recurrent net learns the digits with hard negatives, and a run stopped mid-way resumes to its "
          "numbers",
          "[ff][recurrent]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset train = load_mnist(test::mnist_dir(), "train").head(1000);
  const Dataset test_set = load_mnist(test::mnist_dir(), "t10k").head(200);
  test::TempDir dir;
  FFParams p;
  p.layers = {100, 100};
  p.recurrent = 4;
  p.score_iterations = {2, 3};
  p.epochs = 4;
  p.batch = 50;
  p.lr = 0.005f;  // every batch takes 4 steps
  p.negatives = "hard";
  p.predict = "goodness";
  p.eval_every = 4;  // the curve's test error at the end only: each evaluation runs every label's iterations
  p.train_eval_limit = 100;
  const nlohmann::json whole = train_ff(p, train, test_set, 6, false);
  REQUIRE(whole["mode"] == "recurrent");
  // Chance is 90%; a linear classifier on these 1,000 images makes about 15%. 4 epochs leave the net far
  // from converged (about 22%; 50% at the feed-forward default rate 0.02, too large for 4 steps a batch):
  // the bound says it has learned to tell the labels apart by goodness.
  CHECK(whole["test_errors"]["goodness"].get<double>() < 0.4);
  Checkpointing ck;
  ck.path = dir.file("recurrent.ckpt");
  ck.fingerprint = {{"recurrent", 4}};
  ck.stop_after = 3;
  REQUIRE(train_ff(p, train, test_set, 6, false, {}, ck)["status"] == "stopped");
  ck.stop_after = 0;
  ck.resume = true;
  const nlohmann::json resumed = train_ff(p, train, test_set, 6, false, {}, ck);
  CHECK(resumed["test_errors"] == whole["test_errors"]);
  CHECK(resumed["layers"] == whole["layers"]);
  // The stopped process's seconds, to its checkpoint, are the resumed run's too.
  CHECK(whole["timing_s"]["earlier_processes"].get<double>() == 0);
  CHECK(resumed["timing_s"]["earlier_processes"].get<double>() > 0);
  // What the recurrent net does not do is refused by name.
  p.schedule = "greedy";
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("schedule greedy"));
  p.schedule = "pipelined";
  p.predict = "both";
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("predict goodness"));
  p.predict = "goodness";
  p.score_iterations = {3, 5};
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("within the 4 iterations"));
  p.recurrent = 0;
  p.damping = 0.5f;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("need --recurrent N"));
}

TEST_CASE("unsupervised FF refuses every option that writes, reads or varies a label, naming it", "[ff][hybrid]") {
  FFParams p;
  p.negatives = "hybrid";
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("predict 'both'"));  // the supervised default, not applied
  p.predict = "softmax";
  CHECK_NOTHROW(p.validate());
  p.fixed_negatives = true;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("fixed-negatives"));
  p.fixed_negatives = false;
  p.pair_negatives = true;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("pair-negatives"));
  p.pair_negatives = false;
  p.neutral_value = 0.2f;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("neutral-value 0.2"));
  p.neutral_value = FFParams{}.neutral_value;
  p.mask_passes = -2;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("mask-passes") && Catch::Contains("-2"));
  FFParams supervised;
  supervised.mask_passes = 3;
  CHECK_THROWS_WITH(supervised.validate(), Catch::Contains("mask-passes 3") && Catch::Contains("'hard'"));
}

TEST_CASE("unsupervised FF reads its last three layers by default, or all of a shallower net", "[ff][hybrid]") {
  FFParams p;
  p.negatives = "hybrid";
  p.layers = {20, 20, 20, 20};
  CHECK(p.chosen_readout_layers() == std::vector<int>{1, 2, 3});
  p.layers = {20, 20};
  CHECK(p.chosen_readout_layers() == std::vector<int>{0, 1});
  p.readout_layers = {1};
  CHECK(p.chosen_readout_layers() == std::vector<int>{1});
  FFParams supervised;
  supervised.layers = {20, 20};
  CHECK(supervised.chosen_readout_layers() == std::vector<int>{1});
}

TEST_CASE("unsupervised FF with hybrid negatives learns features a linear read-out classifies", "[ff][hybrid][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset train = load_mnist(test::mnist_dir(), "train").head(600);
  const Dataset test_set = load_mnist(test::mnist_dir(), "t10k").head(300);
  FFParams p;
  p.layers = {60, 60, 60};
  p.epochs = 2;
  p.batch = 50;
  p.negatives = "hybrid";
  p.predict = "softmax";
  p.compare_readout_layers = {0, 1, 2};
  p.train_eval_limit = 300;
  const nlohmann::json m = train_ff(p, train, test_set, 21, false);
  CHECK(m["mode"] == "unsupervised");
  CHECK(m["mask_passes"] == 6);
  CHECK(m["readout_layers"] == nlohmann::json({0, 1, 2}));
  CHECK(m["compare_readout_layers"] == nlohmann::json({0, 1, 2}));
  CHECK(m["prediction"] == "softmax");
  REQUIRE(m["test_errors"].contains("softmax_compare"));
  REQUIRE(m["train_errors"].contains("softmax"));
  // Chance is 90% error. Two epochs on 600 images are far from converged (about 22% with this seed); the
  // bound says the read-outs learned the digits from features no label shaped.
  CHECK(m["test_error"].get<double>() < 0.5);
  CHECK(m["test_errors"]["softmax_compare"].get<double>() < 0.5);
  // The first layer already tells the real images from the hybrids after two epochs: its goodness of
  // positives is above that of negatives (the layers above, fed by a layer still learning, need longer).
  CHECK(m["layers"][0]["goodness_pos"].get<double>() > m["layers"][0]["goodness_neg"].get<double>());
  // The same seed gives the same run; the greedy schedule trains the read-outs after the layers.
  CHECK(train_ff(p, train, test_set, 21, false)["test_errors"] == m["test_errors"]);
  p.schedule = "greedy";
  p.readout_epochs = 2;
  const nlohmann::json g = train_ff(p, train, test_set, 21, false);
  CHECK(g["test_error"].get<double>() < 0.5);
}

TEST_CASE("layers taken from a checkpoint give a fresh read-out the numbers of the run that trained them",
          "[ff][checkpoint]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset train = load_mnist(test::mnist_dir(), "train").head(300);
  const Dataset test_set = load_mnist(test::mnist_dir(), "t10k").head(100);
  test::TempDir dir;
  // Greedy with random negatives: the read-out learns nothing until the layers are done, then learns
  // afresh on them, as a --layers-from run's does.
  FFParams p;
  p.layers = {12, 10};
  p.epochs = 3;
  p.batch = 50;
  p.schedule = "greedy";
  p.optimiser = "adam";
  p.lr = 0.01f;
  p.negatives = "random";
  p.predict = "softmax";
  p.readout_epochs = 4;
  p.train_eval_limit = 100;
  Checkpointing ck;
  ck.path = dir.file("source.ckpt");
  ck.fingerprint = {{"layers", {12, 10}}, {"negatives", "random"}, {"schedule", "greedy"}, {"seed", 5}};
  const nlohmann::json whole = train_ff(p, train, test_set, 5, false, {}, ck);
  REQUIRE(whole["status"] == "finished");

  FFParams q = p;
  q.schedule = "pipelined";
  q.epochs = 1;  // no layer learns
  q.layers_from = ck.path;
  const nlohmann::json taken = train_ff(q, train, test_set, 5, false);
  REQUIRE(taken["status"] == "finished");
  CHECK(taken["test_errors"] == whole["test_errors"]);
  CHECK(taken["train_errors"] == whole["train_errors"]);
  // The read-out's passes, loss for loss.
  const auto readout_losses = [](const nlohmann::json& curve) {
    std::vector<double> l;
    for (const auto& e : curve)
      if (e.contains("readout_loss")) l.push_back(e["readout_loss"].get<double>());
    return l;
  };
  REQUIRE(readout_losses(taken["curve"]).size() == 4);
  CHECK(readout_losses(taken["curve"]) == readout_losses(whole["curve"]));
  CHECK(taken["layers_from"]["checkpoint"] == ck.path);
  CHECK(taken["layers_from"]["layer"] == 1);
  CHECK(taken["layers_from"]["epoch"] == 3);
  CHECK(taken["layers_from"]["layers_saw_validation_images"] == false);

  // Another net, another input, labels from held-out images, a resume: refused by name.
  FFParams other = q;
  other.layers = {12, 11};
  CHECK_THROWS_WITH(train_ff(other, train, test_set, 5, false),
                    Catch::Contains("source.ckpt") && Catch::Contains("layers [12,10]") && Catch::Contains("[12,11]"));
  other = q;
  other.norm = "l2";
  CHECK_THROWS_WITH(train_ff(other, train, test_set, 5, false), Catch::Contains("norm \"rms\""));
  other = q;
  other.negatives = "hybrid";
  CHECK_THROWS_WITH(train_ff(other, train, test_set, 5, false), Catch::Contains("negatives hybrid"));
  other = q;
  other.validation = 50;
  const Dataset held_out = train.head(50);
  CHECK_THROWS_WITH(train_ff(other, train, test_set, 5, false, {}, {}, &held_out),
                    Catch::Contains("learned with labels from the training images this run holds out"));
  Checkpointing resume;
  resume.path = dir.file("other.ckpt");
  resume.resume = true;
  CHECK_THROWS_WITH(train_ff(q, train, test_set, 5, false, {}, resume), Catch::Contains("without --resume"));
  q.predict = "both";
  CHECK_THROWS_WITH(q.validate(), Catch::Contains("predict must be softmax"));
}

TEST_CASE("an unsupervised net's layers serve a read-out chosen on images they saw without labels", "[ff][hybrid]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset all = load_mnist(test::mnist_dir(), "train").head(400);
  const Dataset test_set = load_mnist(test::mnist_dir(), "t10k").head(100);
  test::TempDir dir;
  FFParams p;
  p.layers = {30, 30};
  p.epochs = 1;
  p.batch = 50;
  p.negatives = "hybrid";
  p.predict = "softmax";
  p.train_eval_limit = 100;
  Checkpointing ck;
  ck.path = dir.file("unsupervised.ckpt");
  ck.fingerprint = {{"layers", {30, 30}}, {"negatives", "hybrid"}, {"seed", 2}};
  REQUIRE(train_ff(p, all, test_set, 2, false, {}, ck)["status"] == "finished");
  // The read-out on 300 of the 400 images, chosen on the other 100, which the layers learned from.
  p.layers_from = ck.path;
  p.validation = 100;
  p.readout_epochs = 3;
  const Split split = split_validation(all, 100, 1);
  const nlohmann::json m = train_ff(p, split.train, test_set, 2, false, {}, {}, &split.validation);
  REQUIRE(m["status"] == "finished");
  CHECK(m["layers_from"]["layers_saw_validation_images"] == true);
  CHECK(m["validation_examples"] == 100);
  // Below chance (90% error) by more than 5 standard deviations of a guesser's on 100 images (0.03).
  CHECK(m["validation_errors"]["softmax"].get<double>() < 0.9 - 5 * std::sqrt(0.9 * 0.1 / 100));
}
