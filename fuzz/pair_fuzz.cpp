// Feeds two IDX files, an image array and its labels (gzip layer included), to the reader and the pairing
// that makes a data set of them. Input: a 4-byte big-endian length n, then n bytes of the image file
// (fewer if the input ends), then the label file. Allowed outcomes: a data set that keeps the promises
// below, or a mortal::Error.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "model/dataset.h"
#include "model/idx.h"

namespace {

constexpr int kClasses = 10;

void check(bool promise) {
  if (!promise) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::size_t n = (std::size_t{data[0]} << 24) | (std::size_t{data[1]} << 16) |
                        (std::size_t{data[2]} << 8) | std::size_t{data[3]};
  const std::uint8_t* images = data + 4;
  const std::size_t images_size = std::min(n, size - 4);
  const std::uint8_t* labels = images + images_size;
  const std::size_t labels_size = size - 4 - images_size;
  try {
    const mortal::IdxArray img = mortal::parse_idx_maybe_gzip(images, images_size, "images");
    const mortal::IdxArray lab = mortal::parse_idx_maybe_gzip(labels, labels_size, "labels");
    const mortal::Dataset d = mortal::pair_idx(img, "images", lab, "labels", kClasses);
    check(d.size() > 0);
    check(static_cast<std::size_t>(d.size()) == img.count() && d.size() == static_cast<int>(lab.count()));
    check(d.images.rows() == d.size());
    check(d.rows > 0 && d.cols > 0 && d.features() == d.rows * d.cols);
    check(static_cast<std::size_t>(d.features()) == img.item_size());
    check(d.num_classes == kClasses);
    for (int y : d.labels) check(y >= 0 && y < kClasses);
    check(d.images.size() == 0 || (d.images.minCoeff() >= 0.0f && d.images.maxCoeff() <= 1.0f));
  } catch (const mortal::Error&) {
  }
  return 0;
}
