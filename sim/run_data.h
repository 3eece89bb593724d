#pragma once
// The images a run learns from, holds out and is tested on: drawn from an MNIST folder the same way by every
// scenario, so that the same options select the same images in ff_mnist, bp_mnist and linear_mnist.
#include <cstdint>
#include <string>

#include "model/dataset.h"

namespace mortal {

// What a run takes from its data folder. A limit of 0 takes every image.
struct DataSelection {
  std::string dir;
  int train_limit = 0;  // training images used (--train-limit)
  int test_limit = 0;   // test images evaluated (--test-limit)
  int validation = 0;   // of the training images used, this many held out (--validation)
  std::uint64_t validation_seed = 1;
};

struct RunData {
  Dataset train, test;
  Dataset validation;  // the training images held out (empty without a validation count)
};

// Loads `s.dir`'s MNIST and selects from it:
// - a training limit below the set's size takes that many images drawn by `seed` (the run's); at the size
//   or 0, every image in the files' order;
// - the validation images are then drawn by s.validation_seed alone, the rest shuffled by it (the split
//   of split_validation); without any, the training images stay as the limit left them;
// - a test limit takes the first images of the test files.
// A limit above what the files hold is refused, naming the option.
RunData load_run_data(const DataSelection& s, std::uint64_t seed);

}  // namespace mortal
