#include "model/hybrid_images.h"

#include <boost/random/uniform_int_distribution.hpp>

#include "core/error.h"

namespace mortal {

void HybridMaskParams::validate() const {
  require(width >= 1 && height >= 1, "hybrid masks need a positive image size, got {}x{}", width, height);
  // 26 passes each way keep every blurred value an exact multiple of 2^-52 in a double: the tie at 0.5 is
  // then seen exactly (HybridMasks::draw).
  require(passes >= 0 && passes <= 26, "mask-passes must be in 0..26, got {}", passes);
}

namespace {
const HybridMaskParams& validated(const HybridMaskParams& p) {
  p.validate();
  return p;
}
}  // namespace

HybridMasks::HybridMasks(const HybridMaskParams& params)
    : params_(validated(params)),
      bits_(static_cast<std::size_t>(pixels())),
      blurred_(bits_.size()),
      scratch_(bits_.size()) {}

// [1/4, 1/2, 1/4] along each row; the edge pixel stands in for its missing neighbour (a mirror at the
// border), so every pixel keeps mean 1/2 and no border is biased towards either image.
void HybridMasks::blur_rows(std::vector<double>& out, const std::vector<double>& in) const {
  const int w = params_.width;
  for (int r = 0; r < params_.height; ++r) {
    const double* x = in.data() + static_cast<std::ptrdiff_t>(r) * w;
    double* y = out.data() + static_cast<std::ptrdiff_t>(r) * w;
    for (int c = 0; c < w; ++c) {
      const double left = x[c > 0 ? c - 1 : 0], right = x[c + 1 < w ? c + 1 : w - 1];
      y[c] = 0.25 * left + 0.5 * x[c] + 0.25 * right;
    }
  }
}

void HybridMasks::blur_columns(std::vector<double>& out, const std::vector<double>& in) const {
  const int w = params_.width, h = params_.height;
  for (int r = 0; r < h; ++r) {
    const double* up = in.data() + static_cast<std::ptrdiff_t>(r > 0 ? r - 1 : 0) * w;
    const double* x = in.data() + static_cast<std::ptrdiff_t>(r) * w;
    const double* down = in.data() + static_cast<std::ptrdiff_t>(r + 1 < h ? r + 1 : h - 1) * w;
    double* y = out.data() + static_cast<std::ptrdiff_t>(r) * w;
    for (int c = 0; c < w; ++c) y[c] = 0.25 * up[c] + 0.5 * x[c] + 0.25 * down[c];
  }
}

void HybridMasks::draw(Eigen::Ref<RowVec> mask, Rng& rng) {
  require(mask.size() == pixels(), "hybrid mask: {} pixels for a {}x{} mask", mask.size(), params_.width,
          params_.height);
  // One 64-bit draw gives 64 pixels' bits.
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < bits_.size(); ++i) {
    if (i % 64 == 0) word = rng();
    bits_[i] = static_cast<double>((word >> (i % 64)) & 1U);
  }
  blurred_ = bits_;
  for (int k = 0; k < params_.passes; ++k) {
    blur_rows(scratch_, blurred_);
    blur_columns(blurred_, scratch_);
  }
  // The blurred values are exact dyadic fractions and 0.5 itself has a positive probability. Under the
  // swap of every bit, b -> 1 - b, the blurred image goes to 1 minus itself: a tie broken by the pixel's own
  // bit is a 1 as often as a 0, so each mask pixel is 1 with probability exactly 1/2.
  for (std::size_t i = 0; i < bits_.size(); ++i) {
    const double v = blurred_[i];
    mask(static_cast<Eigen::Index>(i)) = v > 0.5 || (v == 0.5 && bits_[i] > 0) ? 1.0f : 0.0f;
  }
}

void mix_images(Eigen::Ref<RowVec> out, const Eigen::Ref<const RowVec>& mask, const Eigen::Ref<const RowVec>& a,
                const Eigen::Ref<const RowVec>& b) {
  require(mask.size() == a.size() && a.size() == b.size() && out.size() == a.size(),
          "mix_images: sizes {} (mask), {}, {}, out {}", mask.size(), a.size(), b.size(), out.size());
  out.array() = mask.array() * a.array() + (1.0f - mask.array()) * b.array();
}

void hybrid_negatives(MatRef out, ConstMatRef pool, const std::vector<int>& first, HybridMasks& masks, Rng& rng) {
  const Eigen::Index n = pool.rows();
  require(n >= 2, "hybrid negatives need at least 2 images to mix, got {}", n);
  require(pool.cols() == masks.pixels(), "hybrid negatives: images of {} pixels for {}x{} masks", pool.cols(),
          masks.params().width, masks.params().height);
  require(out.rows() == static_cast<Eigen::Index>(first.size()) && out.cols() == pool.cols(),
          "hybrid negatives: output {}x{} for {} images of {} pixels", out.rows(), out.cols(), first.size(), pool.cols());
  RowVec mask(pool.cols());
  boost::random::uniform_int_distribution<Eigen::Index> pick(0, n - 2);
  for (std::size_t i = 0; i < first.size(); ++i) {
    const Eigen::Index a = first[i];
    require(a >= 0 && a < n, "hybrid negatives: image {} outside 0..{}", a, n - 1);
    const Eigen::Index k = pick(rng);
    const Eigen::Index b = k >= a ? k + 1 : k;  // any image but A itself
    masks.draw(mask, rng);
    mix_images(out.row(static_cast<Eigen::Index>(i)), mask, pool.row(a), pool.row(b));
  }
}

}  // namespace mortal
