#include "test_util.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <utility>

#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include "core/gzip.h"
#include "core/rng.h"

namespace mortal::test {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("mortal_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& bytes) {
  return gzip_compress(bytes.data(), bytes.size());
}

std::string mnist_dir() { return MORTAL_DATA_DIR; }

bool have_mnist() { return std::filesystem::exists(mnist_dir() + "/t10k-labels-idx1-ubyte"); }

Dataset noise_dataset(int n, int features, std::uint64_t seed) {
  Rng rng = make_rng(seed, "test.data");
  boost::random::uniform_real_distribution<float> u(0.0f, 1.0f);
  boost::random::uniform_int_distribution<int> label(0, 9);
  Dataset d;
  d.images.resize(n, features);
  for (Eigen::Index i = 0; i < d.images.size(); ++i) d.images.data()[i] = u(rng);
  for (int i = 0; i < n; ++i) d.labels.push_back(label(rng));
  d.num_classes = 10;
  d.rows = 1;
  d.cols = features;
  return d;
}

FFParams small_insitu_params(std::vector<int> layers) {
  FFParams p;
  p.layers = std::move(layers);
  p.batch = 20;
  p.lr = 0.05f;
  p.lr_schedule = "constant";
  p.negatives = "random";
  p.predict = "goodness";
  p.momentum = 0.0f;
  p.weight_cost = 0.0f;
  return p;
}

}  // namespace mortal::test
