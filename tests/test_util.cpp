#include "test_util.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>

#include "core/gzip.h"

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

}  // namespace mortal::test
