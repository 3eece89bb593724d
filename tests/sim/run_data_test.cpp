#include "sim/run_data.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "test_util.h"

using namespace mortal;

TEST_CASE("a run's images: the files' order without a limit or validation; a limit at the set's size is none",
          "[data][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset files = load_mnist(test::mnist_dir(), "train");
  const RunData all = load_run_data({test::mnist_dir()}, 5);
  CHECK(all.train.labels == files.labels);
  CHECK(all.train.images == files.images);
  CHECK(all.validation.size() == 0);
  CHECK(all.test.size() == 10000);
  // Every scenario selects this way: --train-limit 60000 is the whole set in the same order.
  const RunData limit_at_size = load_run_data({test::mnist_dir(), files.size()}, 5);
  CHECK(limit_at_size.train.labels == files.labels);
}

TEST_CASE("a run's images: a training limit draws by the run's seed, validation by its own seed after it",
          "[data][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const std::string dir = test::mnist_dir();
  const RunData a = load_run_data({dir, 1000, 300, 200, 1}, 3), b = load_run_data({dir, 1000, 300, 200, 1}, 3);
  CHECK(a.train.size() == 800);
  CHECK(a.validation.size() == 200);
  CHECK(a.test.size() == 300);
  CHECK(a.train.labels == b.train.labels);  // same seeds, same images
  CHECK(a.validation.images == b.validation.images);
  const Dataset test_files = load_mnist(dir, "t10k");
  CHECK(a.test.images == test_files.head(300).images);  // a test limit takes the first images

  const RunData other_seed = load_run_data({dir, 1000, 0, 200, 1}, 4);
  CHECK(other_seed.train.images != a.train.images);  // another run's seed, another subset

  // Without a limit the held-out images depend on the validation seed alone.
  const RunData v1 = load_run_data({dir, 0, 0, 300, 1}, 3), v1_other_run = load_run_data({dir, 0, 0, 300, 1}, 9);
  const RunData v2 = load_run_data({dir, 0, 0, 300, 2}, 3);
  CHECK(v1.validation.labels == v1_other_run.validation.labels);
  CHECK(v1.validation.images == v1_other_run.validation.images);
  CHECK(v1.train.size() == 60000 - 300);
  CHECK(v2.validation.images != v1.validation.images);
}

TEST_CASE("a run's images: a limit above what the files hold is refused, naming the option", "[data][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  CHECK_THROWS_WITH(load_run_data({test::mnist_dir(), 60001}, 1),
                    Catch::Contains("train-limit 60001") && Catch::Contains("60000 training images"));
  CHECK_THROWS_WITH(load_run_data({test::mnist_dir(), 0, 10001}, 1),
                    Catch::Contains("test-limit 10001") && Catch::Contains("10000 test images"));
  CHECK_THROWS_WITH(load_run_data({test::mnist_dir(), 100, 0, 100}, 1), Catch::Contains("validation (100)"));
}
