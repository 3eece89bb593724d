#pragma once
// Arithmetic and memory traffic of the BP baseline, counted analytically from the layer shapes, for the
// energy ledger to cost (pJ per FLOP, per byte of SRAM or DRAM).
//
// The count models a digital accelerator running fused kernels, not this program's cache behaviour:
//  - forward, per layer: one kernel reads its input activity and the weights, computes product, bias,
//    ReLU (and dropout) and writes its output activity, which stays for the backward pass;
//  - backward, per layer: one kernel for the weight gradient (reads the layer's delta and input, writes
//    the gradient), one for the delta below (reads the delta and the weights, and the activity below for
//    the ReLU mask; writes the delta below). The first layer computes no delta for the data;
//  - update: the optimiser reads each parameter, its gradient and its state, and writes the parameter
//    and its state.
// Amortisation: a mini-batch of B samples reads the weights once per product that uses them (forward,
// delta below), writes the gradients once and runs the optimiser once, so a sample's share of parameter
// traffic and optimiser arithmetic is the per-batch count divided by B. Activity traffic and products are
// per sample. Values are float32 (4 bytes), labels 4-byte integers. Random numbers for dropout are not
// counted.
#include <vector>

#include "model/bp_mlp.h"

namespace mortal {

// The work of one phase for one sample.
struct BpWork {
  double macs = 0;         // multiply-adds of the matrix products (2 FLOPs each)
  double other_flops = 0;  // element-wise: bias, ReLU, dropout, softmax, loss gradient, optimiser
  // Parameters, their gradients and optimiser state: megabytes for a large net, so DRAM-class memory.
  double param_bytes_read = 0;
  double param_bytes_written = 0;
  // Activities, deltas, logits, data and labels: one batch of them fits in on-chip SRAM.
  double activation_bytes_read = 0;
  double activation_bytes_written = 0;

  double flops() const { return 2 * macs + other_flops; }
  double param_bytes() const { return param_bytes_read + param_bytes_written; }
  double activation_bytes() const { return activation_bytes_read + activation_bytes_written; }
  double bytes() const { return param_bytes() + activation_bytes(); }
  BpWork& operator+=(const BpWork& o);
};

struct BpCost {
  int batch = 1;                  // samples over which parameter traffic is amortised
  long long parameters = 0;       // weights and biases
  double param_state_bytes = 0;   // memory for parameters, gradients and optimiser state (inference:
                                  // parameters only)
  BpWork forward, backward, update;  // per sample; backward and update are zero for inference
  BpWork total() const;
};

// Element-wise operations per parameter of one optimiser step, as BpMlp::apply_gradients does them, and the
// arrays of optimiser state per parameter.
double optimizer_flops(BpOptimizer o);
double optimizer_state_arrays(BpOptimizer o);

// Per training sample: forward with softmax and loss gradient, backward, one optimiser step per batch.
BpCost bp_training_cost(const BpMlpParams& p, int batch);

// Per inference sample: forward to the logits and their argmax, no dropout.
BpCost bp_inference_cost(const std::vector<int>& sizes, int batch);

}  // namespace mortal
