#include "model/dataset.h"

#include <boost/random/uniform_int_distribution.hpp>

#include <filesystem>
#include <numeric>

#include "core/error.h"
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

Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path, int num_classes) {
  require(num_classes >= 2, "num_classes must be at least 2, got {}", num_classes);
  IdxArray img = read_idx(images_path);
  IdxArray lab = read_idx(labels_path);
  require(img.dims.size() >= 2, "{}: an image file needs at least 2 dimensions (count, pixels), header has {}",
          images_path, img.dims.size());
  require(lab.dims.size() == 1, "{}: a label file has 1 dimension, header has {}", labels_path,
          lab.dims.size());
  require(img.count() == lab.count(), "{} holds {} images but {} holds {} labels", images_path, img.count(),
          labels_path, lab.count());
  Dataset d;
  d.num_classes = num_classes;
  d.rows = static_cast<int>(img.dims[1]);
  d.cols = img.dims.size() >= 3 ? static_cast<int>(img.item_size() / img.dims[1]) : 1;
  const auto n = static_cast<Eigen::Index>(img.count());
  const auto f = static_cast<Eigen::Index>(img.item_size());
  d.images = Eigen::Map<const Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                 img.data.data(), n, f)
                 .cast<float>() /
             255.0f;
  d.labels.resize(lab.data.size());
  for (std::size_t i = 0; i < lab.data.size(); ++i) {
    require(lab.data[i] < num_classes, "{}: label {} at index {} is out of range [0, {})", labels_path,
            int{lab.data[i]}, i, num_classes);
    d.labels[i] = lab.data[i];
  }
  return d;
}

Dataset load_mnist(const std::string& dir, const std::string& split) {
  require(split == "train" || split == "t10k", "MNIST split must be 'train' or 't10k', got '{}'", split);
  auto find = [&](const std::string& base) {
    std::filesystem::path p = std::filesystem::path(dir) / base;
    if (std::filesystem::exists(p)) return p.string();
    std::filesystem::path gz = p.string() + ".gz";
    if (std::filesystem::exists(gz)) return gz.string();
    fail("{}: MNIST file not found (nor {}.gz); run scripts/setup.sh to fetch it", p.string(), base);
  };
  return load_idx_pair(find(split + "-images-idx3-ubyte"), find(split + "-labels-idx1-ubyte"), 10);
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
          "validation count must lie in [0, {}), got {}", d.size(), validation_count);
  std::vector<int> idx = shuffled_indices(d.size(), seed);
  std::vector<int> val(idx.begin(), idx.begin() + validation_count);
  std::vector<int> train(idx.begin() + validation_count, idx.end());
  return {d.subset(train), d.subset(val)};
}

}  // namespace mortal
