#pragma once
// Arithmetic and memory traffic of digital Forward-Forward, counted from the layer shapes the way
// model/bp_cost.h counts backprop's, in the same record (BpWork), so one costing serves both.
//
// A training image is two rows, its positive and its negative (the image under a wrong label). Per layer,
// with the bias as one more input (model/ff_layer.h):
//  - forward: one kernel reads the layer's input and the weights, computes the product and the ReLU, the
//    goodness (square and sum per unit) and, for every layer but the last, the normalised activity (square,
//    sum and divide per unit) that is the next layer's input; it writes the activity, which the update reads;
//  - "backward" is FF's local learning step: the learning signal per row (the logistic of the goodness and
//    its derivative: 4 operations), d = c y per unit, and the weight gradient d^T [x 1] (reads d's source y
//    and the input, writes the gradient). Nothing travels between layers;
//  - update: the optimiser once per batch over every parameter, as BP's (model/bp_cost.h).
// The raw input is normalised once per row (square, sum, divide per feature). Peer normalisation, pairing
// of negatives (--pair-negatives halves layer 0's products) and the softmax read-out are not counted.
// Amortisation over a batch of B images (2B rows) as in bp_cost.h: parameter traffic and optimiser work per
// batch divided by B. float32 values.
//
// Inference by goodness (model/ff_net.h, predict_goodness): the image under each of the `classes` labels
// through the layers up to the highest read-out layer, the chosen layers' goodness summed, the largest
// wins: `classes` times a forward pass, then an argmax.
#include <vector>

#include "model/bp_cost.h"

namespace mortal {

// sizes: features first, then the hidden layers' units ({784, 1000, 1000}).
BpCost ff_training_cost(const std::vector<int>& sizes, int batch, BpOptimizer optimizer);

// chosen: the layers whose goodness is summed (0-based; default_readout_layers() when empty).
BpCost ff_inference_cost(const std::vector<int>& sizes, int batch, int classes, const std::vector<int>& chosen);

}  // namespace mortal
