#include "model/local_array.h"

#include <catch2/catch.hpp>

#include <boost/random/normal_distribution.hpp>
#include <memory>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "model/digital_array.h"

using namespace mortal;

namespace {

Mat local_random(int rows, int cols, Rng& rng) {
  Mat m(rows, cols);
  boost::random::normal_distribution<float> n(0.0f, 1.0f);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = n(rng);
  return m;
}

// Dense arrays for `blocks`, each holding the rows and columns of `w` its block has.
std::vector<std::unique_ptr<SynapticArray>> local_arrays_from(const std::vector<FieldBlock>& blocks, const Mat& w,
                                                        const OptimiserParams& opt) {
  std::vector<std::unique_ptr<SynapticArray>> arrays;
  for (const FieldBlock& b : blocks) {
    auto a = std::make_unique<DigitalArray>(b.units, static_cast<int>(b.inputs.size()), opt);
    a->write_weights(w(Eigen::seqN(b.first_unit, b.units), b.inputs));
    arrays.push_back(std::move(a));
  }
  return arrays;
}

}  // namespace

TEST_CASE("the paper's receptive fields: 4x4 x 128 over the image, 3x3 x 220 and 2x2 x 512 over the grids below",
          "[local]") {
  const FieldGeometry g1 = FieldGeometry::parse("10/6"), g2 = FieldGeometry::parse("2/1");
  const SpatialShape image{28, 1};
  const std::vector<FieldBlock> l1 = field_blocks(image, g1, 2048, 784);
  REQUIRE(l1.size() == 16);
  for (std::size_t b = 0; b < l1.size(); ++b) {
    CHECK(l1[b].first_unit == static_cast<int>(b) * 128);
    CHECK(l1[b].units == 128);
    REQUIRE(l1[b].inputs.size() == 101);  // 10 x 10 pixels and the bias
    CHECK(l1[b].inputs.back() == 784);
  }
  // Location (0, 0) sees pixels (0..9, 0..9); location (3, 3) the 10 x 10 from (18, 18), the image's corner.
  CHECK(l1[0].inputs[0] == 0);
  CHECK(l1[0].inputs[9] == 9);
  CHECK(l1[0].inputs[10] == 28);
  CHECK(l1[0].inputs[99] == 9 * 28 + 9);
  CHECK(l1[15].inputs[0] == 18 * 28 + 18);
  CHECK(l1[15].inputs[99] == 27 * 28 + 27);
  // Location (1, 2) starts at pixel (6, 12).
  CHECK(l1[6].inputs[0] == 6 * 28 + 12);

  const SpatialShape s1 = field_shape(image, g1, 2048);
  CHECK(s1.side == 4);
  CHECK(s1.channels == 128);
  const std::vector<FieldBlock> l2 = field_blocks(s1, g2, 1980, 2048);
  REQUIRE(l2.size() == 9);
  CHECK(l2[0].units == 220);
  REQUIRE(l2[0].inputs.size() == 4 * 128 + 1);
  // Location (0, 0) of the 3x3 grid sees every channel of locations 0, 1, 4 and 5 of the 4x4 grid below.
  CHECK(l2[0].inputs[0] == 0);
  CHECK(l2[0].inputs[127] == 127);
  CHECK(l2[0].inputs[128] == 128);
  CHECK(l2[0].inputs[256] == 4 * 128);
  CHECK(l2[0].inputs[511] == 6 * 128 - 1);
  // Location (2, 2) sees locations 10, 11, 14 and 15.
  CHECK(l2[8].inputs[0] == 10 * 128);
  CHECK(l2[8].inputs[511] == 16 * 128 - 1);

  const SpatialShape s2 = field_shape(s1, g2, 1980);
  CHECK(s2.side == 3);
  CHECK(s2.channels == 220);
  const std::vector<FieldBlock> l3 = field_blocks(s2, g2, 2048, 1980);
  REQUIRE(l3.size() == 4);
  CHECK(l3[3].units == 512);
  CHECK(l3[3].inputs.size() == 4 * 220 + 1);
  CHECK(l3[3].inputs[0] == 4 * 220);  // location (1, 1) of the 2x2 grid starts at location 4 of the 3x3
}

TEST_CASE("receptive fields that do not fit are refused, naming the width, the window and the grid", "[local]") {
  const SpatialShape image{28, 1};
  CHECK_THROWS_WITH(field_blocks(image, FieldGeometry::parse("10/6"), 1000, 784),
                    Catch::Contains("1000 units") && Catch::Contains("multiple of 16"));
  CHECK_THROWS_WITH(field_blocks(image, FieldGeometry::parse("9/6"), 160, 784),
                    Catch::Contains("9/6 do not tile the 28x28"));
  CHECK_THROWS_WITH(field_blocks(image, FieldGeometry::parse("30/1"), 160, 784), Catch::Contains("do not tile"));
  CHECK_THROWS_WITH(field_blocks(SpatialShape{0, 100}, FieldGeometry::parse("2/1"), 160, 100),
                    Catch::Contains("over a dense layer"));
  for (const char* bad : {"10x6", "0/1", "10/0", "10/6x", "", "/6", "-2/1"})
    CHECK_THROWS_WITH(FieldGeometry::parse(bad), Catch::Contains("WINDOW/STRIDE"));
  CHECK_FALSE(FieldGeometry::parse("dense").local());
  CHECK(FieldGeometry::parse("10/6").text() == "10/6");
}

TEST_CASE("a local array whose blocks each see every input equals one dense array, step by step", "[local]") {
  Rng rng(5);
  const int outputs = 7, inputs = 6;
  const Mat w0 = local_random(outputs, inputs, rng);
  std::vector<int> all(inputs);
  std::iota(all.begin(), all.end(), 0);
  const std::vector<FieldBlock> blocks = {{0, 2, all}, {2, 4, all}, {6, 1, all}};
  OptimiserParams sgd;
  sgd.momentum = 0.9f;
  sgd.weight_cost = 0.01f;
  OptimiserParams adam;
  adam.kind = OptimiserKind::adam;
  for (const OptimiserParams& opt : {OptimiserParams{}, sgd, adam}) {
    CAPTURE(to_string(opt.kind), opt.momentum);
    DigitalArray dense(outputs, inputs, opt);
    dense.write_weights(w0);
    LocalArray local(outputs, inputs, blocks, local_arrays_from(blocks, w0, opt));
    CHECK(local.connections() == outputs * inputs);
    Mat zd(5, outputs), zl(5, outputs), wd(outputs, inputs), wl(outputs, inputs);
    for (int step = 0; step < 4; ++step) {
      const Mat x = local_random(5, inputs, rng), d = local_random(5, outputs, rng);
      dense.forward(zd, x);
      local.forward(zl, x);
      CHECK((zd - zl).cwiseAbs().maxCoeff() <= 1e-5f);
      dense.update(x, d, 0.05f);
      local.update(x, d, 0.05f);
      dense.read_weights(wd);
      local.read_weights(wl);
      CHECK((wd - wl).cwiseAbs().maxCoeff() <= 1e-5f);
    }
  }
}

TEST_CASE("a local array computes the masked product, and learns only the weights its fields have", "[local]") {
  Rng rng(8);
  // A 4x4 image of 2 channels, fields 2/2 (a 2x2 grid of 3 units each), the bias as input 32.
  const SpatialShape below{4, 2};
  const std::vector<FieldBlock> blocks = field_blocks(below, FieldGeometry::parse("2/2"), 12, 32);
  REQUIRE(blocks.size() == 4);
  const Mat w0 = local_random(12, 33, rng);
  LocalArray local(12, 33, blocks, local_arrays_from(blocks, w0, OptimiserParams{}));
  CHECK(local.connections() == 12 * 9);  // 2 x 2 locations x 2 channels and the bias, for each unit
  Mat mask = Mat::Zero(12, 33);
  for (const FieldBlock& b : blocks)
    for (int u = 0; u < b.units; ++u)
      for (int i : b.inputs) mask(b.first_unit + u, i) = 1;
  Mat w(12, 33);
  local.read_weights(w);
  CHECK(w == Mat(w0.cwiseProduct(mask)));
  const Mat x = local_random(3, 33, rng), d = local_random(3, 12, rng);
  Mat z(3, 12);
  local.forward(z, x);
  CHECK((z - x * w.transpose()).cwiseAbs().maxCoeff() <= 1e-5f);
  local.update(x, d, 0.1f);
  Mat after(12, 33);
  local.read_weights(after);
  // Plain SGD: the dense step masked; nothing grows where no device is.
  const Mat expected = w + 0.1f * Mat((d.transpose() * x).cwiseProduct(mask));
  CHECK((after - expected).cwiseAbs().maxCoeff() <= 1e-5f);
  CHECK(Mat(after.cwiseProduct(Mat::Ones(12, 33) - mask)).cwiseAbs().maxCoeff() == 0.0f);
}

TEST_CASE("a local array refuses blocks that do not cover its outputs in order or see inputs it lacks", "[local]") {
  const auto arrays = [](const std::vector<FieldBlock>& blocks) {
    std::vector<std::unique_ptr<SynapticArray>> a;
    for (const FieldBlock& b : blocks)
      a.push_back(std::make_unique<DigitalArray>(b.units, static_cast<int>(b.inputs.size())));
    return a;
  };
  const std::vector<FieldBlock> gap = {{0, 2, {0, 1}}, {3, 1, {1}}};
  CHECK_THROWS_WITH(LocalArray(4, 3, gap, arrays(gap)), Catch::Contains("in order from 2"));
  const std::vector<FieldBlock> short_of = {{0, 2, {0, 1}}};
  CHECK_THROWS_WITH(LocalArray(4, 3, short_of, arrays(short_of)), Catch::Contains("cover 2 of its 4 outputs"));
  const std::vector<FieldBlock> outside = {{0, 4, {0, 3}}};
  CHECK_THROWS_WITH(LocalArray(4, 3, outside, arrays(outside)), Catch::Contains("got 3 at 1"));
  const std::vector<FieldBlock> unsorted = {{0, 4, {2, 1}}};
  CHECK_THROWS_WITH(LocalArray(4, 3, unsorted, arrays(unsorted)), Catch::Contains("increasing"));
}
