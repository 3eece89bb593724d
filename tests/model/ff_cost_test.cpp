#include "model/ff_cost.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace mortal;

TEST_CASE("digital FF's training count is two rows of forward and gradient products per image", "[energy]") {
  const std::vector<int> sizes = {784, 1000, 1000};
  const double weights = 785.0 * 1000 + 1001.0 * 1000;  // the bias as one more input
  const BpCost c = ff_training_cost(sizes, 100, BpOptimizer::sgd);
  CHECK(c.parameters == 785LL * 1000 + 1001LL * 1000);
  CHECK(c.forward.macs == 2 * weights);
  CHECK(c.backward.macs == 2 * weights);
  // The weights are read once per batch for the forward products; the optimiser's traffic as BP's.
  CHECK(c.forward.param_bytes_read == Approx(weights * 4 / 100));
  CHECK(c.update.other_flops == Approx(4 * weights / 100));
  CHECK(c.update.param_bytes_read == Approx(3 * weights * 4 / 100));
  // Nothing travels between layers backwards: no delta products, unlike BP's count of the same net.
  BpMlpParams bp;
  bp.sizes = {784, 1000, 1000, 10};
  const BpCost b = bp_training_cost(bp, 100);
  CHECK(b.backward.macs > b.forward.macs);
  CHECK(c.backward.macs == c.forward.macs);
}

TEST_CASE("digital FF's inference by goodness runs one forward pass per label", "[energy]") {
  const std::vector<int> sizes = {784, 1000, 1000};
  const BpCost c = ff_inference_cost(sizes, 100, 10, {});
  CHECK(c.forward.macs == 10 * (785.0 * 1000 + 1001.0 * 1000));
  // Reading out layer 0 only stops after it.
  const BpCost first = ff_inference_cost(sizes, 100, 10, {0});
  CHECK(first.forward.macs == 10 * 785.0 * 1000);
  CHECK(c.backward.macs == 0);
  CHECK_THROWS_AS(ff_inference_cost(sizes, 100, 10, {2}), Error);
}
