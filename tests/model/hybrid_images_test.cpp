#include "model/hybrid_images.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "core/error.h"

using namespace mortal;

namespace {

// Mean and standard error of the mean of per-mask figures (the masks are independent, the pixels of one
// mask are not: the spread between masks is the honest error).
struct MeanError {
  double mean, error;
};
MeanError mean_error(const std::vector<double>& v) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  for (double x : v) s += (x - m) * (x - m);
  s /= static_cast<double>(v.size() - 1);
  return {m, std::sqrt(s / static_cast<double>(v.size()))};
}

double binomial(int n, int k) { return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0)); }

}  // namespace

TEST_CASE("a hybrid mask takes about half its pixels from each image", "[ff][hybrid]") {
  HybridMasks masks(HybridMaskParams{});
  Rng rng = make_rng(11, "test.hybrid");
  RowVec mask(masks.pixels());
  std::vector<double> fraction;
  for (int j = 0; j < 2000; ++j) {
    masks.draw(mask, rng);
    for (Eigen::Index i = 0; i < mask.size(); ++i) REQUIRE((mask(i) == 0.0f || mask(i) == 1.0f));
    fraction.push_back(mask.mean());
  }
  // Each pixel is 1 with probability exactly 1/2 (the tie at 0.5 broken by the pixel's own bit); a mask's
  // fraction varies a lot from mask to mask (large blobs), so the bound is 5 standard errors of the mean.
  const MeanError f = mean_error(fraction);
  INFO("mean fraction " << f.mean << " +- " << f.error);
  CHECK(std::abs(f.mean - 0.5) < 5 * f.error);
  CHECK(f.error < 0.01);  // 2000 masks pin it to about a percent
}

TEST_CASE("a hybrid mask is made of blobs: neighbours agree as the blurring predicts, far pixels do not",
          "[ff][hybrid]") {
  // A larger mask than MNIST's, read away from its border, where the blurring is the plain convolution.
  const int side = 64, passes = 6, margin = 2 * passes, masks_drawn = 300;
  HybridMasks masks(HybridMaskParams{side, side, passes});
  Rng rng = make_rng(12, "test.hybrid");
  RowVec mask(masks.pixels());
  const std::vector<int> lags = {1, 2, 4, 8};
  // per mask: the mean product of +-1 pixel values at each horizontal and vertical lag, of the mask and of
  // the bit image it came from
  std::vector<std::vector<double>> agree(lags.size()), agree_bits(lags.size());
  for (int j = 0; j < masks_drawn; ++j) {
    masks.draw(mask, rng);
    const std::vector<double>& bits = masks.last_bits();
    for (std::size_t k = 0; k < lags.size(); ++k) {
      const int d = lags[k];
      double sum = 0, sum_bits = 0;
      int pairs = 0;
      for (int r = margin; r + d < side - margin; ++r)
        for (int c = margin; c + d < side - margin; ++c) {
          const int i = r * side + c;
          for (const int other : {i + d, i + d * side}) {
            sum += (2.0 * mask(i) - 1) * (2.0 * mask(other) - 1);
            sum_bits += (2 * bits[static_cast<std::size_t>(i)] - 1) * (2 * bits[static_cast<std::size_t>(other)] - 1);
            ++pairs;
          }
        }
      agree[k].push_back(sum / pairs);
      agree_bits[k].push_back(sum_bits / pairs);
    }
  }
  // The blurred image is a sum of many independent bits, near Gaussian. k passes of [1/4, 1/2, 1/4] are the
  // Binomial(2k, 1/2) kernel, so two pixels d apart along a row have correlation
  // rho = P(Bin(4k) = 2k + d) / P(Bin(4k) = 2k) = C(4k, 2k + d) / C(4k, 2k) (the vertical kernel cancels),
  // and the signs of a Gaussian pair of correlation rho agree with correlation (2 / pi) asin(rho). The bound
  // adds to 5 standard errors 0.01 for the field being a sum of about 40 effective bits, not a Gaussian
  // (measured: within 0.003 of the Gaussian figure at every lag).
  double previous = 1;
  for (std::size_t k = 0; k < lags.size(); ++k) {
    const int d = lags[k];
    const double rho = binomial(4 * passes, 2 * passes + d) / binomial(4 * passes, 2 * passes);
    const double expected = 2 / M_PI * std::asin(rho);
    const MeanError m = mean_error(agree[k]), b = mean_error(agree_bits[k]);
    INFO("lag " << d << ": mask " << m.mean << " +- " << m.error << ", expected " << expected << "; bits " << b.mean
                << " +- " << b.error);
    CHECK(std::abs(m.mean - expected) < 0.01 + 5 * m.error);
    CHECK(m.mean < previous);  // decays with distance
    previous = m.mean;
    // independent bits: no correlation at any lag
    CHECK(std::abs(b.mean) < 5 * b.error);
  }
  // Neighbours agree far more often than independent bits (correlation 0) would.
  CHECK(mean_error(agree[0]).mean > 0.6);
}

TEST_CASE("a hybrid image is the first digit where the mask is 1 and the second where it is 0", "[ff][hybrid]") {
  HybridMasks masks(HybridMaskParams{});
  Rng rng = make_rng(13, "test.hybrid");
  RowVec mask(masks.pixels()), out(masks.pixels());
  const RowVec a = RowVec::LinSpaced(masks.pixels(), 0.01f, 0.99f), b = RowVec::Constant(masks.pixels(), -1.0f);
  masks.draw(mask, rng);
  mix_images(out, mask, a, b);
  int from_a = 0;
  for (Eigen::Index i = 0; i < out.size(); ++i) {
    CHECK(out(i) == (mask(i) == 1.0f ? a(i) : b(i)));
    from_a += mask(i) == 1.0f;
  }
  CHECK(from_a > 0);
  CHECK(from_a < masks.pixels());
}

TEST_CASE("hybrid negatives mix each image with another one, drawn afresh and the same from the same seed",
          "[ff][hybrid]") {
  // Four images of constant, distinct values: every pixel of a hybrid names the image it came from.
  Mat pool(4, 28 * 28);
  for (int i = 0; i < 4; ++i) pool.row(i).setConstant(static_cast<float>(i + 1));
  HybridMasks masks(HybridMaskParams{});
  const std::vector<int> first = {0, 1, 2, 3, 0, 1, 2, 3};
  Mat out(8, pool.cols()), again(8, pool.cols()), next(8, pool.cols());
  Rng rng = make_rng(14, "test.hybrid"), same = make_rng(14, "test.hybrid");
  hybrid_negatives(out, pool, first, masks, rng);
  hybrid_negatives(again, pool, first, masks, same);
  hybrid_negatives(next, pool, first, masks, rng);
  CHECK(out == again);
  CHECK(out != next);
  for (Eigen::Index i = 0; i < out.rows(); ++i) {
    const float a = static_cast<float>(first[static_cast<std::size_t>(i)] + 1);
    int other = 0;
    for (Eigen::Index p = 0; p < out.cols(); ++p) {
      const float v = out(i, p);
      REQUIRE((v == 1 || v == 2 || v == 3 || v == 4));
      if (v != a) {
        if (other == 0) other = static_cast<int>(v);
        CHECK(v == other);  // one second image per hybrid, never the first one itself
      }
    }
  }
}

TEST_CASE("hybrid masks refuse an impossible number of passes or image size, naming it", "[ff][hybrid]") {
  CHECK_THROWS_WITH(HybridMasks(HybridMaskParams{28, 28, -1}), Catch::Contains("mask-passes") && Catch::Contains("-1"));
  CHECK_THROWS_WITH(HybridMasks(HybridMaskParams{28, 28, 27}), Catch::Contains("mask-passes"));
  CHECK_THROWS_WITH(HybridMasks(HybridMaskParams{0, 28, 6}), Catch::Contains("0x28"));
  Mat one(1, 28 * 28), out(1, 28 * 28);
  HybridMasks masks(HybridMaskParams{});
  Rng rng = make_rng(15, "test.hybrid");
  CHECK_THROWS_WITH(hybrid_negatives(out, one, {0}, masks, rng), Catch::Contains("at least 2 images"));
}
