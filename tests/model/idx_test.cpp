#include "model/idx.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>

#include "core/error.h"
#include "model/dataset.h"
#include "test_util.h"

using namespace mortal;
using Catch::Matchers::Contains;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes idx_bytes(std::vector<std::uint32_t> dims, const Bytes& data) {
  Bytes b = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// Three 2x3 images with pixel values 0..17 and their labels.
Bytes images3() {
  Bytes px(18);
  for (int i = 0; i < 18; ++i) px[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i * 15);
  return idx_bytes({3, 2, 3}, px);
}
Bytes labels3() { return idx_bytes({3}, {2, 0, 1}); }

}  // namespace

TEST_CASE("an IDX image file is read with the count and shape its header declares", "[idx]") {
  test::TempDir dir;
  test::write_bytes(dir.file("img"), images3());
  test::write_bytes(dir.file("lab"), labels3());
  Dataset d = load_idx_pair(dir.file("img"), dir.file("lab"), 3);
  REQUIRE(d.size() == 3);
  REQUIRE(d.rows == 2);
  REQUIRE(d.cols == 3);
  REQUIRE(d.features() == 6);
  CHECK(d.images(0, 0) == 0.0f);
  CHECK(d.images(2, 5) == Approx(17 * 15 / 255.0));
  CHECK(d.labels == std::vector<int>{2, 0, 1});
}

TEST_CASE("a gzip-compressed IDX file reads the same as the plain one", "[idx]") {
  test::TempDir dir;
  test::write_bytes(dir.file("img.gz"), test::gzip(images3()));
  test::write_bytes(dir.file("lab.gz"), test::gzip(labels3()));
  test::write_bytes(dir.file("img"), images3());
  test::write_bytes(dir.file("lab"), labels3());
  Dataset gz = load_idx_pair(dir.file("img.gz"), dir.file("lab.gz"), 3);
  Dataset plain = load_idx_pair(dir.file("img"), dir.file("lab"), 3);
  CHECK(gz.images == plain.images);
  CHECK(gz.labels == plain.labels);
}

TEST_CASE("a wrong magic number is refused naming the file", "[idx]") {
  test::TempDir dir;
  Bytes b = images3();
  b[2] = 0x0D;  // float data
  test::write_bytes(dir.file("bad"), b);
  CHECK_THROWS_WITH(read_idx(dir.file("bad")), Contains("wrong magic number") && Contains(dir.file("bad")));
}

TEST_CASE("header dimensions that disagree with the file size are refused", "[idx]") {
  test::TempDir dir;
  Bytes b = images3();
  b.push_back(7);  // one byte more than 3x2x3
  test::write_bytes(dir.file("long"), b);
  CHECK_THROWS_WITH(read_idx(dir.file("long")), Contains("does not match the header") && Contains("3x2x3"));
}

TEST_CASE("truncated data is refused naming the missing bytes", "[idx]") {
  test::TempDir dir;
  Bytes b = images3();
  b.resize(b.size() - 5);
  test::write_bytes(dir.file("short"), b);
  CHECK_THROWS_WITH(read_idx(dir.file("short")), Contains("truncated data") && Contains("need 18 bytes"));
  Bytes header_only = {0, 0, 0x08, 3, 0, 0};
  test::write_bytes(dir.file("header"), header_only);
  CHECK_THROWS_WITH(read_idx(dir.file("header")), Contains("truncated header"));
}

TEST_CASE("a label out of range is refused naming its index", "[idx]") {
  test::TempDir dir;
  test::write_bytes(dir.file("img"), images3());
  test::write_bytes(dir.file("lab"), idx_bytes({3}, {2, 9, 1}));
  CHECK_THROWS_WITH(load_idx_pair(dir.file("img"), dir.file("lab"), 3),
                    Contains("label 9 at index 1 is out of range") && Contains(dir.file("lab")));
}

TEST_CASE("image and label counts that differ are refused", "[idx]") {
  test::TempDir dir;
  test::write_bytes(dir.file("img"), images3());
  test::write_bytes(dir.file("lab"), idx_bytes({2}, {2, 0}));
  CHECK_THROWS_WITH(load_idx_pair(dir.file("img"), dir.file("lab"), 3),
                    Contains("holds 3 images but") && Contains("holds 2 labels"));
}

TEST_CASE("a corrupt gzip stream is refused", "[idx]") {
  test::TempDir dir;
  Bytes z = test::gzip(images3());
  Bytes flipped = z;
  for (std::size_t i = 12; i < flipped.size() - 8; ++i) flipped[i] ^= 0x5a;
  test::write_bytes(dir.file("flipped.gz"), flipped);
  CHECK_THROWS_WITH(read_idx(dir.file("flipped.gz")), Contains("corrupt gzip stream"));
  Bytes cut(z.begin(), z.begin() + static_cast<long>(z.size() / 2));
  test::write_bytes(dir.file("cut.gz"), cut);
  CHECK_THROWS_WITH(read_idx(dir.file("cut.gz")), Contains("corrupt gzip stream") && Contains("truncated"));
}

TEST_CASE("a multi-member gzip IDX file reads as the concatenation of its members", "[idx]") {
  test::TempDir dir;
  const Bytes b = images3();
  const Bytes head(b.begin(), b.begin() + 10), tail(b.begin() + 10, b.end());
  Bytes z = test::gzip(head);
  const Bytes z2 = test::gzip(tail);
  z.insert(z.end(), z2.begin(), z2.end());
  test::write_bytes(dir.file("img.gz"), z);
  const IdxArray a = read_idx(dir.file("img.gz"));
  CHECK(a.dims == std::vector<std::uint32_t>{3, 2, 3});
  CHECK(a.data == Bytes(b.begin() + 16, b.end()));
}

TEST_CASE("a gzip stream is inflated no further than its IDX header declares", "[idx]") {
  test::TempDir dir;
  Bytes b = images3();
  b.resize(b.size() + (std::size_t{16} << 20), 0);  // 16 MiB past the 18 bytes the header declares
  test::write_bytes(dir.file("bomb.gz"), test::gzip(b));
  CHECK_THROWS_WITH(read_idx(dir.file("bomb.gz")), Contains(dir.file("bomb.gz")) && Contains("3x2x3") &&
                                                       Contains("need 18 data bytes") &&
                                                       Contains("the gzip stream inflates to more"));
}

TEST_CASE("a header declaring more data than the reader accepts is refused before inflating", "[idx]") {
  test::TempDir dir;
  test::write_bytes(dir.file("huge.gz"), test::gzip(idx_bytes({2048, 1024, 1024}, {})));
  CHECK_THROWS_WITH(read_idx(dir.file("huge.gz")),
                    Contains(dir.file("huge.gz")) && Contains("2048x1024x1024") &&
                        Contains(fmt::format("more than the {} data bytes", kMaxIdxDataBytes)));
}

TEST_CASE("a data file that is a directory or a FIFO is refused naming its path", "[idx]") {
  test::TempDir dir;
  std::filesystem::create_directory(dir.file("train-images-idx3-ubyte"));
  CHECK_THROWS_WITH(read_idx(dir.file("train-images-idx3-ubyte")),
                    Contains(dir.file("train-images-idx3-ubyte")) && Contains("a directory"));
  REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(read_idx(dir.file("fifo")), Contains(dir.file("fifo")) && Contains("a FIFO"));
}

TEST_CASE("a missing file is refused naming it", "[idx]") {
  CHECK_THROWS_WITH(read_idx("/nonexistent/mnist"), Contains("/nonexistent/mnist") && Contains("cannot open"));
}

TEST_CASE("the real MNIST files read with their published counts", "[idx][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found in " << test::mnist_dir() << "; run scripts/setup.sh");
    return;
  }
  Dataset test_set = load_mnist(test::mnist_dir(), "t10k");
  CHECK(test_set.size() == 10000);
  CHECK(test_set.rows == 28);
  CHECK(test_set.cols == 28);
  CHECK(test_set.images.minCoeff() == 0.0f);
  CHECK(test_set.images.maxCoeff() == 1.0f);
  std::vector<int> counts(10, 0);
  for (int y : test_set.labels) ++counts[static_cast<std::size_t>(y)];
  CHECK(counts[0] == 980);  // the MNIST test set's published class sizes
  CHECK(counts[1] == 1135);
}
