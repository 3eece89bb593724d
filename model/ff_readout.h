#pragma once
// Goodness prediction (paper section 3.3), written once for a stack of FF layers on either side of the
// periphery seam (model/ff_step.h): the digital net (model/ff_net.h) and the chip's trainer
// (sim/insitu_ff.h) each offer their layers as an FFStack. Every label's overlay of an image goes up the
// layers, and the label whose chosen layers' goodness, summed, is the largest wins.
#include <functional>
#include <vector>

#include "core/tensor.h"
#include "model/ff_labels.h"

namespace mortal {

class FFStack {
 public:
  virtual ~FFStack() = default;
  // The first layer's raw input for `rows` images, (rows, features): the caller writes them here with a
  // label overlaid.
  virtual MatRef input(int rows) = 0;
  // Normalises what input() holds, as the first layer reads it.
  virtual void normalise_input() = 0;
  // Layer k on the input it holds; returns each row's goodness as the objective counts it.
  virtual Eigen::Ref<const Vec> forward(int k) = 0;
  // Layer k's normalised activity becomes layer k + 1's input.
  virtual void pass_on(int k) = 0;
};

// Called after layer k's forward on rows start .. start + g.size() - 1 of the images, overlaid with `label`.
using LayerSeen = std::function<void(int k, Eigen::Index start, int label, const Eigen::Ref<const Vec>& g)>;

// Every label's overlay of every image (rows of `images`) up through layers 0 .. top - 1, `chunk` images
// at a time, label after label; `seen` after each layer.
void overlay_query(FFStack& stack, ConstMatRef images, const LabelCoding& coding, int top, const LayerSeen& seen,
                   int chunk = 1000);

// scores(i, c) = sum over the `chosen` layers of s G_l for image i overlaid with label c, s = `sign` (-1 for
// min-ssq, so the best label has the largest score). scores: (images, classes).
void goodness_scores(FFStack& stack, MatRef scores, ConstMatRef images, const LabelCoding& coding,
                     const std::vector<int>& chosen, float sign, int chunk = 1000);

}  // namespace mortal
