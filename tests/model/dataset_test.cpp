#include "model/dataset.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "core/error.h"
#include "model/idx.h"
#include "test_util.h"

using namespace mortal;
using Catch::Matchers::Contains;
using Bytes = std::vector<std::uint8_t>;

namespace {

IdxArray idx_array(std::vector<std::uint32_t> dims, Bytes data) {
  IdxArray a;
  a.dims = std::move(dims);
  a.data = std::move(data);
  return a;
}

Bytes idx_bytes(const IdxArray& a) {
  Bytes b = {0, 0, 0x08, static_cast<std::uint8_t>(a.dims.size())};
  for (std::uint32_t d : a.dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
  b.insert(b.end(), a.data.begin(), a.data.end());
  return b;
}

Dataset counting(int n) {
  Dataset d;
  d.num_classes = 10;
  d.rows = 1;
  d.cols = 1;
  d.images.resize(n, 1);
  for (int i = 0; i < n; ++i) {
    d.images(i, 0) = static_cast<float>(i);
    d.labels.push_back(i % 10);
  }
  return d;
}
}  // namespace

TEST_CASE("shuffling is a permutation decided by the seed alone", "[dataset]") {
  std::vector<int> a = shuffled_indices(1000, 42), b = shuffled_indices(1000, 42), c = shuffled_indices(1000, 43);
  CHECK(a == b);
  CHECK(a != c);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> expect(1000);
  std::iota(expect.begin(), expect.end(), 0);
  CHECK(sorted == expect);
}

TEST_CASE("a validation split holds out disjoint examples that together make the whole set", "[dataset]") {
  Dataset d = counting(100);
  Split s = split_validation(d, 20, 7);
  REQUIRE(s.train.size() == 80);
  REQUIRE(s.validation.size() == 20);
  std::vector<int> seen;
  for (int i = 0; i < 80; ++i) seen.push_back(static_cast<int>(s.train.images(i, 0)));
  for (int i = 0; i < 20; ++i) seen.push_back(static_cast<int>(s.validation.images(i, 0)));
  std::sort(seen.begin(), seen.end());
  for (int i = 0; i < 100; ++i) CHECK(seen[static_cast<std::size_t>(i)] == i);
  // labels travel with their images
  for (int i = 0; i < 20; ++i) CHECK(s.validation.labels[static_cast<std::size_t>(i)] == static_cast<int>(s.validation.images(i, 0)) % 10);
  Split again = split_validation(d, 20, 7);
  CHECK(again.validation.images == s.validation.images);
}

TEST_CASE("an impossible validation count is refused", "[dataset]") {
  Dataset d = counting(10);
  CHECK_THROWS_WITH(split_validation(d, 10, 1),
                    Catch::Matchers::Contains("validation (10) must be smaller than the training set (10)"));
  CHECK_THROWS_WITH(split_validation(d, -1, 1), Catch::Matchers::Contains("validation (-1)"));
}

TEST_CASE("images and labels in memory pair into a data set of their shape", "[dataset]") {
  const Dataset d = pair_idx(idx_array({2, 2, 3}, Bytes(12, 255)), "img", idx_array({2}, {1, 0}), "lab", 2);
  CHECK(d.size() == 2);
  CHECK(d.rows == 2);
  CHECK(d.cols == 3);
  CHECK(d.features() == 6);
  CHECK(d.images.minCoeff() == 1.0f);
  CHECK(d.labels == std::vector<int>{1, 0});
  const Dataset flat = pair_idx(idx_array({1, 5}, Bytes(5, 0)), "img", idx_array({1}, {0}), "lab", 2);
  CHECK(flat.rows == 5);
  CHECK(flat.cols == 1);
}

TEST_CASE("images of 0 rows or 0 columns are refused naming the file and the header", "[dataset]") {
  // Such a header once divided by zero while the pairing derived the columns.
  test::TempDir dir;
  test::write_bytes(dir.file("lab"), idx_bytes(idx_array({3}, {0, 1, 2})));
  test::write_bytes(dir.file("rows0"), idx_bytes(idx_array({3, 0, 28}, {})));
  CHECK_THROWS_WITH(load_idx_pair(dir.file("rows0"), dir.file("lab"), 10),
                    Contains(dir.file("rows0")) && Contains("3x0x28") && Contains("0 rows"));
  test::write_bytes(dir.file("cols0"), idx_bytes(idx_array({3, 28, 0}, {})));
  CHECK_THROWS_WITH(load_idx_pair(dir.file("cols0"), dir.file("lab"), 10),
                    Contains(dir.file("cols0")) && Contains("3x28x0") && Contains("0 columns"));
  test::write_bytes(dir.file("pixels0"), idx_bytes(idx_array({3, 0}, {})));
  CHECK_THROWS_WITH(load_idx_pair(dir.file("pixels0"), dir.file("lab"), 10),
                    Contains(dir.file("pixels0")) && Contains("3x0"));
}

TEST_CASE("a data set with no examples is refused naming the file", "[dataset]") {
  test::TempDir dir;
  test::write_bytes(dir.file("img"), idx_bytes(idx_array({0, 28, 28}, {})));
  test::write_bytes(dir.file("lab"), idx_bytes(idx_array({0}, {})));
  CHECK_THROWS_WITH(load_idx_pair(dir.file("img"), dir.file("lab"), 10),
                    Contains(dir.file("img")) && Contains("0x28x28") && Contains("no images"));
  CHECK_THROWS_WITH(pair_idx(idx_array({1, 1}, {0}), "img", idx_array({0}, {}), "lab", 10),
                    Contains("lab") && Contains("no labels"));
}

TEST_CASE("arrays in memory whose data disagrees with their dimensions are refused", "[dataset]") {
  CHECK_THROWS_WITH(pair_idx(idx_array({2, 2, 2}, Bytes(7, 0)), "img", idx_array({2}, {0, 0}), "lab", 10),
                    Contains("img") && Contains("7 pixel bytes"));
  CHECK_THROWS_WITH(pair_idx(idx_array({1, 1}, {0}), "img", idx_array({1}, {}), "lab", 10),
                    Contains("lab") && Contains("0 label bytes"));
  CHECK_THROWS_WITH(pair_idx(idx_array({1, 65536, 65536}, {}), "img", idx_array({1}, {0}), "lab", 10),
                    Contains("img") && Contains("more pixels per image"));
}

TEST_CASE("the MNIST file list names the files load_mnist reads, compressed where only that exists",
          "[dataset]") {
  test::TempDir dir;
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                        "t10k-labels-idx1-ubyte"})
    test::write_bytes(dir.file(f), {0});
  CHECK(mnist_files(dir.path().string()) ==
        std::vector<std::string>{dir.file("train-images-idx3-ubyte"), dir.file("train-labels-idx1-ubyte.gz"),
                                 dir.file("t10k-images-idx3-ubyte.gz"), dir.file("t10k-labels-idx1-ubyte")});
  std::filesystem::remove(dir.file("t10k-labels-idx1-ubyte"));
  CHECK_THROWS_WITH(mnist_files(dir.path().string()), Contains("t10k-labels-idx1-ubyte") && Contains("not found"));
}

TEST_CASE("the data digest follows the files' bytes and names, not their folder", "[dataset]") {
  test::TempDir a, b;
  const Bytes img = idx_bytes(idx_array({1, 2, 2}, {1, 2, 3, 4})), lab = idx_bytes(idx_array({1}, {3}));
  for (const test::TempDir* d : {&a, &b}) {
    test::write_bytes(d->file("img"), img);
    test::write_bytes(d->file("lab"), lab);
  }
  const std::string digest = data_digest({a.file("img"), a.file("lab")});
  CHECK(digest == data_digest({b.file("img"), b.file("lab")}));
  CHECK(digest.find(a.path().string()) == std::string::npos);
  const FileDigest f = file_digest(a.file("img"));
  CHECK(f.name == "img");
  CHECK(f.bytes == img.size());
  CHECK(f.crc32.size() == 8);

  Bytes changed = img;
  changed.back() ^= 1;
  test::write_bytes(b.file("img"), changed);
  CHECK(data_digest({b.file("img"), b.file("lab")}) != digest);
  test::write_bytes(b.file("img"), img);
  std::filesystem::rename(b.file("lab"), b.file("lab2"));
  CHECK(data_digest({b.file("img"), b.file("lab2")}) != digest);
  CHECK_THROWS_WITH(data_digest({b.file("lab")}), Contains(b.file("lab")));
}

TEST_CASE("the digest of the MNIST files names the published files' sizes and CRC-32s", "[dataset][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found in " << test::mnist_dir() << "; run scripts/setup.sh");
    return;
  }
  const std::vector<std::string> files = mnist_files(test::mnist_dir());
  REQUIRE(files.size() == 4);
  // The files scripts/setup.sh fetches (each checked against its published md5): sizes and CRC-32s as
  // Python's zlib.crc32 gives them.
  CHECK(data_digest(files) ==
        "train-images-idx3-ubyte 47040016 e9f4d8b3, train-labels-idx1-ubyte 60008 e0cb4ad2, "
        "t10k-images-idx3-ubyte 7840016 91373bdf, t10k-labels-idx1-ubyte 10008 4ab9eff9");
  CHECK(file_digest(files[3]).name.rfind("t10k-labels-idx1-ubyte", 0) == 0);
}
