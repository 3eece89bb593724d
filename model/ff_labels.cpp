#include "model/ff_labels.h"

#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include "core/error.h"

namespace mortal {

void LabelCoding::validate(int features) const {
  require(classes >= 2, "label classes must be at least 2, got {}", classes);
  require(classes <= features, "{} label pixels do not fit in {} features", classes, features);
  check_finite("label_value", value);
  check_finite("neutral_value", neutral);
}

namespace {
void copy_images(MatRef out, ConstMatRef images, const LabelCoding& coding) {
  require(out.rows() == images.rows() && out.cols() == images.cols(), "overlay: output {}x{} for images {}x{}",
          out.rows(), out.cols(), images.rows(), images.cols());
  // The label pixels are written in place of the first pixels: they must be there.
  require(coding.classes >= 1 && coding.classes <= out.cols(), "overlay: {} label pixels do not fit in images of {} pixels",
          coding.classes, out.cols());
  if (out.data() != images.data()) out = images;
}
}  // namespace

void overlay_labels(MatRef out, ConstMatRef images, const std::vector<int>& labels, const LabelCoding& coding) {
  require(labels.size() == static_cast<std::size_t>(images.rows()), "overlay: {} labels for {} images",
          labels.size(), images.rows());
  copy_images(out, images, coding);
  out.leftCols(coding.classes).setZero();
  for (Eigen::Index i = 0; i < out.rows(); ++i) {
    const int y = labels[static_cast<std::size_t>(i)];
    require(y >= 0 && y < coding.classes, "overlay: label {} outside 0..{}", y, coding.classes - 1);
    out(i, y) = coding.value;
  }
}

void overlay_label(MatRef out, ConstMatRef images, int label, const LabelCoding& coding) {
  require(label >= 0 && label < coding.classes, "overlay: label {} outside 0..{}", label, coding.classes - 1);
  copy_images(out, images, coding);
  out.leftCols(coding.classes).setZero();
  out.col(label).setConstant(coding.value);
}

void overlay_neutral(MatRef out, ConstMatRef images, const LabelCoding& coding) {
  copy_images(out, images, coding);
  out.leftCols(coding.classes).setConstant(coding.neutral);
}

int random_wrong_label(int true_label, int classes, Rng& rng) {
  boost::random::uniform_int_distribution<int> pick(0, classes - 2);
  const int k = pick(rng);
  return k >= true_label ? k + 1 : k;  // skip the true label: uniform over the others
}

int sample_wrong_label(const float* probs, int true_label, int classes, Rng& rng) {
  double total = 0;
  for (int k = 0; k < classes; ++k)
    if (k != true_label) total += probs[k];
  if (!(total > 0)) return random_wrong_label(true_label, classes, rng);
  boost::random::uniform_real_distribution<double> u(0, total);
  const double r = u(rng);
  double acc = 0;
  int last = -1;
  for (int k = 0; k < classes; ++k) {
    if (k == true_label || probs[k] <= 0) continue;
    acc += probs[k];
    last = k;
    if (r < acc) return k;
  }
  return last;  // rounding at the top end
}

int sample_wrong_label_by_logits(const float* logits, int true_label, int classes, Rng& rng) {
  RowVec p = Eigen::Map<const RowVec>(logits, classes);
  p = (p.array() - p.maxCoeff()).exp();
  return sample_wrong_label(p.data(), true_label, classes, rng);
}

std::vector<int> argmax_rows(ConstMatRef scores) {
  std::vector<int> out(static_cast<std::size_t>(scores.rows()));
  for (Eigen::Index i = 0; i < scores.rows(); ++i) scores.row(i).maxCoeff(&out[static_cast<std::size_t>(i)]);
  return out;
}

std::string to_string(NegativeKind kind) {
  switch (kind) {
    case NegativeKind::hard: return "hard";
    case NegativeKind::hybrid: return "hybrid";
    case NegativeKind::random: break;
  }
  return "random";
}

NegativeKind parse_negative(const std::string& name) {
  if (name == "random") return NegativeKind::random;
  if (name == "hard") return NegativeKind::hard;
  if (name == "hybrid") return NegativeKind::hybrid;
  fail("negatives must be random, hard or hybrid, got '{}'", name);
}

}  // namespace mortal
