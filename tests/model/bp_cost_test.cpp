#include "model/bp_cost.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace mortal;

TEST_CASE("the training cost of a 3-4-2 net with batch 2 matches a hand count", "[bp]") {
  BpMlpParams p;
  p.sizes = {3, 4, 2};  // 3*4 + 4 + 4*2 + 2 = 26 parameters
  const BpCost c = bp_training_cost(p, 2);
  CHECK(c.batch == 2);
  CHECK(c.parameters == 26);
  CHECK(c.param_state_bytes == 26 * 3 * 4);  // weights, gradients, velocity

  // Forward: products 3*4 + 4*2; bias 4 + ReLU 4; bias 2, softmax and loss gradient 6*2 + 2.
  CHECK(c.forward.macs == 20);
  CHECK(c.forward.other_flops == 8 + 2 + 14);
  CHECK(c.forward.param_bytes_read == 26 * 4 / 2.0);  // every parameter once per batch of 2
  CHECK(c.forward.param_bytes_written == 0);
  CHECK(c.forward.activation_bytes_read == (3 + 4) * 4 + 4);  // layer inputs and the label
  CHECK(c.forward.activation_bytes_written == (4 + 2) * 4);   // hidden activity, output delta

  // Backward: weight gradients 4*2 + 3*4, the delta below the top layer 4*2 (none below the first).
  CHECK(c.backward.macs == 8 + 12 + 8);
  CHECK(c.backward.other_flops == 2 + 4 + 4);  // bias gradients, ReLU mask
  CHECK(c.backward.param_bytes_read == 8 * 4 / 2.0);
  CHECK(c.backward.param_bytes_written == 26 * 4 / 2.0);
  // Top layer: delta (2) and input (4) for the gradient, again for the delta below; first layer: 4 + 3.
  CHECK(c.backward.activation_bytes_read == (6 + 6 + 7) * 4);
  CHECK(c.backward.activation_bytes_written == 4 * 4);

  // SGD update: 4 FLOPs per parameter; reads parameter, gradient, velocity; writes parameter, velocity.
  CHECK(c.update.macs == 0);
  CHECK(c.update.other_flops == 26 * 4 / 2.0);
  CHECK(c.update.param_bytes_read == 26 * 3 * 4 / 2.0);
  CHECK(c.update.param_bytes_written == 26 * 2 * 4 / 2.0);

  const BpWork t = c.total();
  CHECK(t.macs == 48);
  CHECK(t.flops() == 2 * 48 + 24 + 10 + 52);
  CHECK(t.bytes() == 52 + 32 + 24 + 16 + 52 + 76 + 16 + 156 + 104);
}

TEST_CASE("Adam, weight cost and dropout add their element-wise work to the count", "[bp]") {
  BpMlpParams p;
  p.sizes = {3, 4, 2};
  const BpCost sgd = bp_training_cost(p, 2);
  p.optimizer = BpOptimizer::adam;
  p.weight_decay = 1e-4f;
  p.dropout_input = 0.1f;
  p.dropout_hidden = 0.5f;
  const BpCost c = bp_training_cost(p, 2);
  CHECK(c.forward.other_flops == sgd.forward.other_flops + 3 + 4);  // input mask, hidden mask
  CHECK(c.backward.other_flops == sgd.backward.other_flops + 4);    // survivor scale below the top
  // 13 FLOPs per parameter and 2 per weight for the weight cost (20 weights), per batch of 2.
  CHECK(c.update.other_flops == (26 * 13 + 20 * 2) / 2.0);
  CHECK(c.update.param_bytes_read == 26 * 4 * 4 / 2.0);     // parameter, gradient, m, v
  CHECK(c.update.param_bytes_written == 26 * 3 * 4 / 2.0);  // parameter, m, v
  CHECK(c.param_state_bytes == 26 * 4 * 4);
  CHECK(c.total().macs == sgd.total().macs);
}

TEST_CASE("training 784-3x1000 costs three forward passes of products less the data's delta", "[bp]") {
  BpMlpParams p;
  p.sizes = {784, 1000, 1000, 1000, 10};
  const BpCost train = bp_training_cost(p, 100);
  const BpCost infer = bp_inference_cost(p.sizes, 100);
  const double forward_macs = 784.0 * 1000 + 1000.0 * 1000 * 2 + 1000.0 * 10;
  CHECK(infer.forward.macs == forward_macs);
  CHECK(infer.parameters == 2797010);
  CHECK(train.forward.macs == forward_macs);
  CHECK(train.backward.macs == 2 * forward_macs - 784.0 * 1000);
  CHECK(infer.backward.flops() == 0);
  CHECK(infer.update.bytes() == 0);
  // Parameter traffic shrinks with the batch; activity traffic does not.
  const BpCost big = bp_training_cost(p, 1000);
  CHECK(big.total().param_bytes() == Approx(train.total().param_bytes() / 10));
  CHECK(big.total().activation_bytes() == train.total().activation_bytes());
}

TEST_CASE("bad cost parameters are rejected by name", "[bp]") {
  BpMlpParams p;
  p.sizes = {3, 4, 2};
  CHECK_THROWS_WITH(bp_training_cost(p, 0), Catch::Contains("batch"));
  CHECK_THROWS_WITH(bp_inference_cost({3}, 10), Catch::Contains("bp.sizes"));
}
