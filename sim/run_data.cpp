#include "sim/run_data.h"

#include <utility>

#include "sim/cli.h"

namespace mortal {

RunData load_run_data(const DataSelection& s, std::uint64_t seed) {
  Dataset full = load_mnist(s.dir, "train");
  Dataset test = load_mnist(s.dir, "t10k");
  require_limit("train-limit", s.train_limit, full.size(), "training images");
  require_limit("test-limit", s.test_limit, test.size(), "test images");
  if (s.train_limit > 0 && s.train_limit < full.size())
    full = full.subset(shuffled_indices(full.size(), seed)).head(s.train_limit);
  if (s.test_limit > 0) test = test.head(s.test_limit);
  RunData d;
  d.test = std::move(test);
  if (s.validation > 0) {
    Split split = split_validation(full, s.validation, s.validation_seed);
    d.train = std::move(split.train);
    d.validation = std::move(split.validation);
  } else {
    d.train = std::move(full);
  }
  return d;
}

}  // namespace mortal
