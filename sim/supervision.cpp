#include "sim/supervision.h"

#include "model/ff_labels.h"

namespace mortal {

void LabelSupervision::overlays(int i, Rng& rng, Overlay& positive, Overlay& negative) const {
  const int label = d_.labels[std::size_t(i)];
  positive = {label, 1.0f, {}};
  negative = {random_wrong_label(label, d_.num_classes, rng), 0.0f, {}};
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
