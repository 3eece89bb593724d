#pragma once
// Negative data for unsupervised FF (Hinton 2022, section 3.2): a hybrid image is digit A where a mask is 1
// and digit B where it is 0. The mask is a random bit image blurred repeatedly with [1/4, 1/2, 1/4]
// horizontally and vertically and thresholded at 0.5, so it is made of large blobs: the hybrid keeps the
// short-range correlations of real digits (strokes) and loses their long-range ones (shapes), which is what
// the layers must learn to tell apart when no label says anything.
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace mortal {

struct HybridMaskParams {
  int width = 28, height = 28;  // MNIST
  // Blurring passes, each one horizontal and one vertical [1/4, 1/2, 1/4]. The paper does not give the
  // count. After k passes a bit is spread by a binomial kernel of standard deviation sqrt(k/2) pixels in
  // each direction; 6 passes (1.7 px) make blobs several pixels across, wider than MNIST's 2-3 px strokes
  // and narrower than a digit, so a hybrid mixes whole stroke segments of both digits.
  int passes = 6;
  void validate() const;  // names the field: "mask-passes"
};

class HybridMasks {
 public:
  explicit HybridMasks(const HybridMaskParams& params);
  const HybridMaskParams& params() const { return params_; }
  int pixels() const { return params_.width * params_.height; }

  // One mask, row-major (width * height), each pixel 0 or 1, drawn from `rng`.
  void draw(Eigen::Ref<RowVec> mask, Rng& rng);
  // The bit image and the blurred image the last draw() thresholded, row-major (for tests and plots).
  const std::vector<double>& last_bits() const { return bits_; }
  const std::vector<double>& last_blurred() const { return blurred_; }

 private:
  void blur_rows(std::vector<double>& out, const std::vector<double>& in) const;
  void blur_columns(std::vector<double>& out, const std::vector<double>& in) const;

  HybridMaskParams params_;
  std::vector<double> bits_, blurred_, scratch_;
};

// out = mask .* a + (1 - mask) .* b, all (pixels).
void mix_images(Eigen::Ref<RowVec> out, const Eigen::Ref<const RowVec>& mask, const Eigen::Ref<const RowVec>& a,
                const Eigen::Ref<const RowVec>& b);

// Row i of `out` becomes the hybrid of image A = pool.row(first[i]) and an image B drawn uniformly from the
// other rows of `pool`, mixed by a fresh mask; B and the mask come from `rng`. out: (first.size(), pixels),
// pool: (n >= 2, pixels).
void hybrid_negatives(MatRef out, ConstMatRef pool, const std::vector<int>& first, HybridMasks& masks, Rng& rng);

}  // namespace mortal
