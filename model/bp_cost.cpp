#include "model/bp_cost.h"

#include "core/error.h"

namespace mortal {

namespace {

constexpr double kFloatBytes = 4;  // float32 values
constexpr double kLabelBytes = 4;  // int32 labels

}  // namespace

// SGD: v = mu v + g (2), w -= lr v (2). Adam: m = b1 m + (1 - b1) g (3), v = b2 v + (1 - b2) g^2 (4),
// w -= step m / (sqrt(v) / c2 + eps) (6). The weight cost adds w * wd + g (2) to the weights only.
double optimizer_flops(BpOptimizer o) { return o == BpOptimizer::sgd ? 4 : 13; }
double optimizer_state_arrays(BpOptimizer o) { return o == BpOptimizer::sgd ? 1 : 2; }

BpWork& BpWork::operator+=(const BpWork& o) {
  macs += o.macs;
  other_flops += o.other_flops;
  param_bytes_read += o.param_bytes_read;
  param_bytes_written += o.param_bytes_written;
  activation_bytes_read += o.activation_bytes_read;
  activation_bytes_written += o.activation_bytes_written;
  return *this;
}

BpWork BpCost::total() const {
  BpWork t = forward;
  t += backward;
  t += update;
  return t;
}

BpCost bp_training_cost(const BpMlpParams& p, int batch) {
  p.validate();
  require(batch >= 1, "batch must be at least 1, got {}", batch);
  const double B = batch;
  const int L = p.layers();
  BpCost c;
  c.batch = batch;
  if (p.dropout_input > 0) c.forward.other_flops += p.sizes[0];  // mask and survivor scale
  for (int l = 0; l < L; ++l) {
    const double in = p.sizes[static_cast<std::size_t>(l)];
    const double out = p.sizes[static_cast<std::size_t>(l) + 1];
    const bool hidden = l + 1 < L;
    c.parameters += static_cast<long long>(in * out + out);

    // Forward: product, bias, then ReLU and dropout for a hidden layer.
    BpWork& f = c.forward;
    f.macs += in * out;
    f.param_bytes_read += (in * out + out) * kFloatBytes / B;
    f.activation_bytes_read += in * kFloatBytes;
    f.other_flops += out;  // bias
    if (hidden) {
      f.other_flops += out + (p.dropout_hidden > 0 ? out : 0);
      f.activation_bytes_written += out * kFloatBytes;
    } else {
      // Softmax and loss gradient per class: max, subtract, exp, sum, divide, (p - onehot) / B; then the
      // log of the sum and one subtraction for the loss. Reads the label, writes the output delta.
      f.other_flops += 6 * out + 2;
      f.activation_bytes_read += kLabelBytes;
      f.activation_bytes_written += out * kFloatBytes;
    }

    // Backward: weight and bias gradient from this layer's delta and input.
    BpWork& b = c.backward;
    b.macs += in * out;
    b.activation_bytes_read += (out + in) * kFloatBytes;
    b.other_flops += out;  // bias gradient: sum of the deltas
    b.param_bytes_written += (in * out + out) * kFloatBytes / B;
    if (l > 0) {
      // Delta below: product with the weights, then the ReLU (and dropout) derivative from the activity.
      b.macs += in * out;
      b.param_bytes_read += in * out * kFloatBytes / B;
      b.activation_bytes_read += (out + in) * kFloatBytes;
      b.activation_bytes_written += in * kFloatBytes;
      b.other_flops += in + (p.dropout_hidden > 0 ? in : 0);
    }

    // Update: once per batch over every parameter; reads parameter, gradient and state, writes parameter
    // and state.
    BpWork& u = c.update;
    const double params = in * out + out;
    const double states = optimizer_state_arrays(p.optimizer);
    u.other_flops += (params * optimizer_flops(p.optimizer) + (p.weight_decay > 0 ? 2 * in * out : 0)) / B;
    u.param_bytes_read += params * (2 + states) * kFloatBytes / B;
    u.param_bytes_written += params * (1 + states) * kFloatBytes / B;
  }
  c.param_state_bytes =
      static_cast<double>(c.parameters) * (2 + optimizer_state_arrays(p.optimizer)) * kFloatBytes;
  return c;
}

BpCost bp_inference_cost(const std::vector<int>& sizes, int batch) {
  BpMlpParams p;
  p.sizes = sizes;
  p.validate();
  require(batch >= 1, "batch must be at least 1, got {}", batch);
  const double B = batch;
  const int L = p.layers();
  BpCost c;
  c.batch = batch;
  for (int l = 0; l < L; ++l) {
    const double in = sizes[static_cast<std::size_t>(l)];
    const double out = sizes[static_cast<std::size_t>(l) + 1];
    c.parameters += static_cast<long long>(in * out + out);
    BpWork& f = c.forward;
    f.macs += in * out;
    f.param_bytes_read += (in * out + out) * kFloatBytes / B;
    f.activation_bytes_read += in * kFloatBytes;
    if (l + 1 < L) {
      f.other_flops += 2 * out;  // bias, ReLU
      f.activation_bytes_written += out * kFloatBytes;
    } else {
      f.other_flops += 2 * out;  // bias, argmax comparisons
      f.activation_bytes_written += kLabelBytes;
    }
  }
  c.param_state_bytes = static_cast<double>(c.parameters) * kFloatBytes;
  return c;
}

}  // namespace mortal
