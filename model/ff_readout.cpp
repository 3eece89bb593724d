#include "model/ff_readout.h"

#include <algorithm>

#include "core/error.h"

namespace mortal {

void overlay_query(FFStack& stack, ConstMatRef images, const LabelCoding& coding, int top, const LayerSeen& seen,
                   int chunk) {
  require(top >= 1 && chunk >= 1, "overlay_query: {} layers in chunks of {}", top, chunk);
  for (Eigen::Index start = 0; start < images.rows(); start += chunk) {
    const int n = int(std::min<Eigen::Index>(chunk, images.rows() - start));
    for (int c = 0; c < coding.classes; ++c) {
      overlay_label(stack.input(n), images.middleRows(start, n), c, coding);
      stack.normalise_input();
      for (int k = 0; k < top; ++k) {
        seen(k, start, c, stack.forward(k));
        if (k + 1 < top) stack.pass_on(k);
      }
    }
  }
}

void goodness_scores(FFStack& stack, MatRef scores, ConstMatRef images, const LabelCoding& coding,
                     const std::vector<int>& chosen, float sign, int chunk) {
  require(!chosen.empty(), "choose at least one layer to read");
  require(scores.rows() == images.rows() && scores.cols() == coding.classes,
          "goodness_scores: scores {}x{} for {} images and {} labels", scores.rows(), scores.cols(), images.rows(),
          coding.classes);
  const int top = *std::max_element(chosen.begin(), chosen.end()) + 1;
  std::vector<bool> read(std::size_t(top), false);
  for (int k : chosen) read[std::size_t(k)] = true;
  scores.setZero();
  overlay_query(
      stack, images, coding, top,
      [&](int k, Eigen::Index start, int c, const Eigen::Ref<const Vec>& g) {
        if (read[std::size_t(k)]) scores.block(start, c, g.size(), 1) += sign * g;
      },
      chunk);
}

}  // namespace mortal
