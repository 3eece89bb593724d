#include "model/dataset.h"

#include <boost/random/uniform_int_distribution.hpp>

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "core/input_file.h"
#include "core/rng.h"
#include "model/idx.h"

namespace mortal {

Dataset Dataset::subset(const std::vector<int>& idx) const {
  Dataset out;
  out.num_classes = num_classes;
  out.rows = rows;
  out.cols = cols;
  out.images.resize(static_cast<Eigen::Index>(idx.size()), images.cols());
  out.labels.resize(idx.size());
  for (std::size_t i = 0; i < idx.size(); ++i) {
    out.images.row(static_cast<Eigen::Index>(i)) = images.row(idx[i]);
    out.labels[i] = labels[static_cast<std::size_t>(idx[i])];
  }
  return out;
}

Dataset Dataset::head(int n) const {
  std::vector<int> idx(static_cast<std::size_t>(std::min(n, size())));
  std::iota(idx.begin(), idx.end(), 0);
  return subset(idx);
}

Dataset pair_idx(const IdxArray& images, const std::string& images_name, const IdxArray& labels,
                 const std::string& labels_name, int num_classes) {
  require(num_classes >= 2, "num_classes must be at least 2, got {}", num_classes);
  const auto& dims = images.dims;
  require(dims.size() >= 2, "{}: an image file needs at least 2 dimensions (count, pixels), header has {}",
          images_name, dims.size());
  require(labels.dims.size() == 1, "{}: a label file has 1 dimension, header has {}", labels_name,
          labels.dims.size());
  require(images.count() > 0, "{}: header dimensions {} hold no images: a data set needs at least one example",
          images_name, fmt::join(dims, "x"));
  require(labels.count() > 0, "{}: header dimension {} holds no labels: a data set needs at least one example",
          labels_name, labels.count());
  require(images.count() == labels.count(), "{} holds {} images but {} holds {} labels", images_name,
          images.count(), labels_name, labels.count());
  // Every dimension of an image at least 1, and the pixels of one image countable in an int (a feature
  // index); checked one factor at a time so that no product overflows.
  constexpr std::size_t kMaxInt = static_cast<std::size_t>(std::numeric_limits<int>::max());
  std::size_t features = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) {
    require(dims[i] > 0, "{}: header dimensions {} declare 0 {} per image: an image needs at least one row and "
            "one column", images_name, fmt::join(dims, "x"),
            i == 1 ? "rows" : i == 2 ? "columns" : fmt::format("pixels along dimension {}", i + 1));
    require(features <= kMaxInt / dims[i], "{}: header dimensions {} give more pixels per image than {}",
            images_name, fmt::join(dims, "x"), kMaxInt);
    features *= dims[i];
  }
  require(images.count() <= kMaxInt, "{}: header dimensions {} give more than {} images", images_name,
          fmt::join(dims, "x"), kMaxInt);
  require(images.data.size() / features == images.count() && images.data.size() % features == 0,
          "{}: holds {} pixel bytes, header dimensions {} need {}x{}", images_name, images.data.size(),
          fmt::join(dims, "x"), images.count(), features);
  require(labels.data.size() == labels.count(), "{}: holds {} label bytes, its header declares {}", labels_name,
          labels.data.size(), labels.count());
  Dataset d;
  d.num_classes = num_classes;
  d.rows = static_cast<int>(dims[1]);
  d.cols = static_cast<int>(features / dims[1]);
  const auto n = static_cast<Eigen::Index>(images.count());
  const auto f = static_cast<Eigen::Index>(features);
  d.images = Eigen::Map<const Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                 images.data.data(), n, f)
                 .cast<float>() /
             255.0f;
  d.labels.resize(labels.data.size());
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    require(labels.data[i] < num_classes, "{}: label {} at index {} is out of range [0, {})", labels_name,
            int{labels.data[i]}, i, num_classes);
    d.labels[i] = labels.data[i];
  }
  return d;
}

Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path, int num_classes) {
  require(num_classes >= 2, "num_classes must be at least 2, got {}", num_classes);
  return pair_idx(read_idx(images_path), images_path, read_idx(labels_path), labels_path, num_classes);
}

namespace {

// The file load_mnist reads for `base`: the original name, else the same with .gz.
std::string find_mnist_file(const std::string& dir, const std::string& base) {
  std::filesystem::path p = std::filesystem::path(dir) / base;
  if (std::filesystem::exists(p)) return p.string();
  std::filesystem::path gz = p.string() + ".gz";
  if (std::filesystem::exists(gz)) return gz.string();
  std::error_code ec;
  const std::string what = std::filesystem::is_directory(dir, ec)
                               ? fmt::format("{}: MNIST file not found (nor {}.gz)", p.string(), base)
                               : fmt::format("MNIST folder {} not found", dir);
  fail("{}. Fetch MNIST with scripts/setup.sh from the source tree (it fills data/mnist/, checking each file's "
       "md5), or put the four files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
       "t10k-labels-idx1-ubyte (each may be .gz) into {} by hand; --data DIR or the environment variable "
       "MORTAL_DATA names another folder",
       what, dir);
}

}  // namespace

Dataset load_mnist(const std::string& dir, const std::string& split) {
  require(split == "train" || split == "t10k", "MNIST split must be 'train' or 't10k', got '{}'", split);
  return load_idx_pair(find_mnist_file(dir, split + "-images-idx3-ubyte"),
                       find_mnist_file(dir, split + "-labels-idx1-ubyte"), 10);
}

std::vector<std::string> mnist_files(const std::string& dir) {
  std::vector<std::string> paths;
  for (const char* split : {"train", "t10k"})
    for (const char* kind : {"-images-idx3-ubyte", "-labels-idx1-ubyte"})
      paths.push_back(find_mnist_file(dir, std::string(split) + kind));
  return paths;
}

FileDigest file_digest(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_input_file(path, "data file", kMaxIdxFileBytes);
  // zlib's crc32 takes a uInt length: feed it in pieces.
  uLong crc = crc32(0L, Z_NULL, 0);
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  for (std::size_t at = 0; at < bytes.size(); at += kPiece)
    crc = crc32(crc, bytes.data() + at, static_cast<uInt>(std::min(kPiece, bytes.size() - at)));
  return {std::filesystem::path(path).filename().string(), bytes.size(), fmt::format("{:08x}", crc)};
}

std::string data_digest(const std::vector<std::string>& paths) {
  std::vector<std::string> parts;
  for (const std::string& p : paths) {
    const FileDigest d = file_digest(p);
    parts.push_back(fmt::format("{} {} {}", d.name, d.bytes, d.crc32));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

void gather_examples(const Dataset& d, const int* rows, int n, MatRef images, std::vector<int>& labels) {
  require(images.rows() >= n && images.cols() == d.features(), "gather: {} examples of {} pixels into {}x{}", n,
          d.features(), images.rows(), images.cols());
  labels.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int k = rows[i];
    images.row(i) = d.images.row(k);
    labels[static_cast<std::size_t>(i)] = d.labels[static_cast<std::size_t>(k)];
  }
}

std::vector<int> shuffled_indices(int n, std::uint64_t seed) {
  std::vector<int> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  Rng rng = make_rng(seed, "shuffle");
  for (int i = n - 1; i > 0; --i) {
    boost::random::uniform_int_distribution<int> pick(0, i);
    std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(pick(rng))]);
  }
  return idx;
}

Split split_validation(const Dataset& d, int validation_count, std::uint64_t seed) {
  require(validation_count >= 0 && validation_count < d.size(),
          "validation ({}) must be smaller than the training set ({}), and not negative", validation_count, d.size());
  std::vector<int> idx = shuffled_indices(d.size(), seed);
  std::vector<int> val(idx.begin(), idx.begin() + validation_count);
  std::vector<int> train(idx.begin() + validation_count, idx.end());
  return {d.subset(train), d.subset(val)};
}

}  // namespace mortal
