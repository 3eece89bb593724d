#include "model/ff_cost.h"

#include <algorithm>

#include "core/error.h"
#include "model/ff_net.h"

namespace mortal {

namespace {

constexpr double kValueBytes = 4;     // float32
constexpr double kRowsPerImage = 2;  // positive and negative
constexpr double kSignalFlops = 4;   // per row: goodness minus threshold, logistic, target minus p, scale

void check_shape(const std::vector<int>& sizes, int batch) {
  require(sizes.size() >= 2, "an FF net needs inputs and at least one layer, got {} sizes", sizes.size());
  for (int s : sizes) require(s >= 1, "every layer needs at least one unit, got {}", s);
  require(batch >= 1, "batch must be at least 1, got {}", batch);
}

// One row through layer l: product, ReLU, goodness, and (unless `last`) the normalised activity.
void forward_row(BpWork& f, double in, double out, bool last) {
  f.macs += in * out;
  f.other_flops += out + 2 * out + (last ? 0 : 3 * out);
  f.activation_bytes_read += in * kValueBytes;
  f.activation_bytes_written += out * kValueBytes;
}

}  // namespace

BpCost ff_training_cost(const std::vector<int>& sizes, int batch, BpOptimizer optimizer) {
  check_shape(sizes, batch);
  const double B = batch, R = kRowsPerImage;
  const int L = int(sizes.size()) - 1;
  BpCost c;
  c.batch = batch;
  c.forward.other_flops += R * 3 * sizes[0];  // the raw input's normalisation
  for (int l = 0; l < L; ++l) {
    const double in = sizes[std::size_t(l)] + 1.0, out = sizes[std::size_t(l) + 1];  // + the bias input
    const double params = in * out;
    c.parameters += static_cast<long long>(params);
    BpWork row;
    forward_row(row, in, out, l + 1 == L);
    row.macs *= R;
    row.other_flops *= R;
    row.activation_bytes_read *= R;
    row.activation_bytes_written *= R;
    c.forward += row;
    c.forward.param_bytes_read += params * kValueBytes / B;

    BpWork& g = c.backward;  // the local learning step
    g.other_flops += R * (kSignalFlops + out);
    g.macs += R * in * out;
    g.activation_bytes_read += R * (out + in) * kValueBytes;
    g.param_bytes_written += params * kValueBytes / B;

    BpWork& u = c.update;
    const double states = optimizer_state_arrays(optimizer);
    u.other_flops += params * optimizer_flops(optimizer) / B;
    u.param_bytes_read += params * (2 + states) * kValueBytes / B;
    u.param_bytes_written += params * (1 + states) * kValueBytes / B;
  }
  c.param_state_bytes = double(c.parameters) * (2 + optimizer_state_arrays(optimizer)) * kValueBytes;
  return c;
}

BpCost ff_inference_cost(const std::vector<int>& sizes, int batch, int classes, const std::vector<int>& chosen_in) {
  check_shape(sizes, batch);
  require(classes >= 2, "goodness prediction needs at least 2 classes, got {}", classes);
  const int L = int(sizes.size()) - 1;
  const std::vector<int> chosen = chosen_in.empty() ? default_readout_layers(L) : chosen_in;
  for (int k : chosen) require(k >= 0 && k < L, "read-out layer {} is not one of the {} layers", k, L);
  const int top = *std::max_element(chosen.begin(), chosen.end()) + 1;
  const double B = batch, C = classes;
  BpCost c;
  c.batch = batch;
  c.forward.other_flops += C * 3 * sizes[0];
  for (int l = 0; l < L; ++l) {
    const double in = sizes[std::size_t(l)] + 1.0, out = sizes[std::size_t(l) + 1];
    c.parameters += static_cast<long long>(in * out);
    if (l >= top) continue;
    BpWork row;
    forward_row(row, in, out, l + 1 == top);
    row.macs *= C;
    row.other_flops *= C;
    row.activation_bytes_read *= C;
    row.activation_bytes_written *= C;
    c.forward += row;
    // Each label's pass reads the weights once per batch.
    c.forward.param_bytes_read += C * in * out * kValueBytes / B;
    if (std::find(chosen.begin(), chosen.end(), l) != chosen.end()) c.forward.other_flops += C;  // goodness sum
  }
  c.forward.other_flops += C;  // argmax
  c.param_state_bytes = double(c.parameters) * kValueBytes;
  return c;
}

}  // namespace mortal
