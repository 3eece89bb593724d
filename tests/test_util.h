#pragma once
// Helpers shared by the tests: a scratch folder per test, file writing, MNIST availability.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/dataset.h"
#include "sim/ff_experiment.h"

namespace mortal::test {

// A fresh empty folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::filesystem::path path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& bytes);

// The MNIST folder the setup script fills; tests that need real data skip with a message without it.
std::string mnist_dir();
bool have_mnist();

// n random images of `features` pixels uniform in [0, 1] with random labels of 10 classes, from the seed:
// enough to check arithmetic, not to learn anything.
Dataset noise_dataset(int n, int features, std::uint64_t seed);

// FF settings an in-situ trainer takes, for small nets of these hidden layers: batch 20, a constant rate of
// 0.05, random negatives, prediction by goodness, no momentum and no weight cost.
FFParams small_insitu_params(std::vector<int> layers);

}  // namespace mortal::test
