#include "sim/supervision.h"

#include "core/error.h"
#include "model/ff_labels.h"

namespace mortal {

void LabelSupervision::overlays(int i, Rng& rng, Overlay& positive, Overlay& negative) const {
  const int label = d_.labels[std::size_t(i)];
  positive = {label, 1.0f, {}};
  negative = {random_wrong_label(label, d_.num_classes, rng), 0.0f, {}};
}

HybridSupervision::HybridSupervision(const Mat& images, int classes, const HybridMaskParams& masks)
    : images_(images), classes_(classes), masks_(masks) {
  require(images.cols() == masks_.pixels(), "hybrid supervision: images of {} pixels for {}x{} masks", images.cols(),
          masks.width, masks.height);
}

void HybridSupervision::overlays(int i, Rng& rng, Overlay& positive, Overlay& negative) const {
  // No label is read; each overlay's image buffer is kept for the next draw.
  for (Overlay* o : {&positive, &negative}) {
    o->label = 0;
    o->layers.clear();
    o->weight = 1.0f;
  }
  positive.target = 1.0f;
  positive.image.resize(0);
  negative.target = 0.0f;
  negative.image.resize(images_.cols());
  hybrid_negatives(Eigen::Map<Mat>(negative.image.data(), 1, images_.cols()), images_, {i}, masks_, rng);
}

UnlabelledImages UnlabelledImages::of(const Dataset& d, const std::vector<int>& idx) {
  UnlabelledImages u;
  u.num_classes = d.num_classes;
  if (idx.empty()) {
    u.images = d.images;
    return u;
  }
  u.images.resize(Eigen::Index(idx.size()), d.images.cols());
  for (std::size_t r = 0; r < idx.size(); ++r) u.images.row(Eigen::Index(r)) = d.images.row(idx[r]);
  return u;
}

}  // namespace mortal
