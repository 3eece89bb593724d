#include "model/local_array.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/error.h"

namespace mortal {

FieldGeometry FieldGeometry::parse(const std::string& spec) {
  if (spec == "dense") return {};
  FieldGeometry g;
  int used = 0;
  const bool read = std::sscanf(spec.c_str(), "%d/%d%n", &g.window, &g.stride, &used) == 2 &&
                    used == static_cast<int>(spec.size());
  require(read && g.window >= 1 && g.stride >= 1,
          "receptive field '{}' must be WINDOW/STRIDE with both at least 1 (e.g. 10/6), or dense", spec);
  return g;
}

std::string FieldGeometry::text() const { return local() ? fmt::format("{}/{}", window, stride) : "dense"; }

namespace {

// Locations per side of fields `g` over `below`; Error naming the grid when the window does not tile it.
int grid_side(const SpatialShape& below, const FieldGeometry& g) {
  require(below.side > 0, "receptive fields {} over a dense layer: the layer below has no grid of locations",
          g.text());
  require(g.window <= below.side && (below.side - g.window) % g.stride == 0,
          "receptive fields {} do not tile the {}x{} locations below: (side - window) must be a multiple of "
          "the stride",
          g.text(), below.side, below.side);
  return (below.side - g.window) / g.stride + 1;
}

}  // namespace

SpatialShape field_shape(const SpatialShape& below, const FieldGeometry& g, int units) {
  if (!g.local()) return {0, units};
  const int side = grid_side(below, g);
  require(units % (side * side) == 0,
          "a layer of {} units with receptive fields {} over {}x{} locations has a {}x{} grid: its width must be "
          "a multiple of {} (channels per location)",
          units, g.text(), below.side, below.side, side, side, side * side);
  return {side, units / (side * side)};
}

std::vector<FieldBlock> field_blocks(const SpatialShape& below, const FieldGeometry& g, int units, int bias_input) {
  const SpatialShape shape = field_shape(below, g, units);
  std::vector<FieldBlock> blocks;
  for (int r = 0; r < shape.side; ++r) {
    for (int c = 0; c < shape.side; ++c) {
      FieldBlock b;
      b.first_unit = (r * shape.side + c) * shape.channels;
      b.units = shape.channels;
      for (int dr = 0; dr < g.window; ++dr)
        for (int dc = 0; dc < g.window; ++dc) {
          const int q = (r * g.stride + dr) * below.side + c * g.stride + dc;
          for (int ch = 0; ch < below.channels; ++ch) b.inputs.push_back(q * below.channels + ch);
        }
      if (bias_input >= 0) b.inputs.push_back(bias_input);
      blocks.push_back(std::move(b));
    }
  }
  return blocks;
}

LocalArray::LocalArray(int outputs, int inputs, std::vector<FieldBlock> blocks,
                       std::vector<std::unique_ptr<SynapticArray>> arrays)
    : outputs_(outputs), inputs_(inputs), blocks_(std::move(blocks)), arrays_(std::move(arrays)) {
  require(outputs > 0 && inputs > 0, "local array shape must be positive, got {}x{}", outputs, inputs);
  require(!blocks_.empty() && blocks_.size() == arrays_.size(), "local array: {} blocks and {} arrays",
          blocks_.size(), arrays_.size());
  int next = 0;
  for (std::size_t b = 0; b < blocks_.size(); ++b) {
    const FieldBlock& k = blocks_[b];
    require(k.first_unit == next && k.units >= 1,
            "local array: block {} covers units from {} ({} of them), the blocks must cover the outputs in order "
            "from {}",
            b, k.first_unit, k.units, next);
    next += k.units;
    require(!k.inputs.empty(), "local array: block {} sees no input", b);
    for (std::size_t i = 0; i < k.inputs.size(); ++i)
      require(k.inputs[i] >= 0 && k.inputs[i] < inputs && (i == 0 || k.inputs[i] > k.inputs[i - 1]),
              "local array: block {}'s inputs must be increasing indices in [0, {}), got {} at {}", b, inputs,
              k.inputs[i], i);
    require(arrays_[b] && arrays_[b]->outputs() == k.units &&
                arrays_[b]->inputs() == static_cast<int>(k.inputs.size()),
            "local array: block {} needs an array of {}x{}", b, k.units, k.inputs.size());
  }
  require(next == outputs, "local array: the blocks cover {} of its {} outputs", next, outputs);
}

Mat connectivity_mask(const std::vector<FieldBlock>& blocks, int outputs, int inputs) {
  Mat m = Mat::Zero(outputs, inputs);
  for (const FieldBlock& b : blocks)
    for (int i : b.inputs) {
      require(i >= 0 && i < inputs && b.first_unit >= 0 && b.first_unit + b.units <= outputs,
              "a block of units [{}, {}) over input {} lies outside {} x {} cross-points", b.first_unit,
              b.first_unit + b.units, i, outputs, inputs);
      m.block(b.first_unit, i, b.units, 1).setOnes();
    }
  return m;
}

long long LocalArray::connections() const {
  long long n = 0;
  for (const FieldBlock& b : blocks_) n += static_cast<long long>(b.units) * static_cast<long long>(b.inputs.size());
  return n;
}

void LocalArray::gather(int b, ConstMatRef x) {
  const std::vector<int>& idx = blocks_[static_cast<std::size_t>(b)].inputs;
  auto xb = grown_view(xb_, x.rows(), static_cast<Eigen::Index>(idx.size()));  // read back by the caller
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (std::size_t k = 0; k < idx.size(); ++k) xb(i, static_cast<Eigen::Index>(k)) = x(i, idx[k]);
}

void LocalArray::forward(MatRef z, ConstMatRef x) {
  require(x.cols() == inputs_ && z.cols() == outputs_ && z.rows() == x.rows(),
          "local array forward: x is {}x{}, z {}x{}, the array {}x{}", x.rows(), x.cols(), z.rows(), z.cols(),
          outputs_, inputs_);
  for (int b = 0; b < blocks(); ++b) {
    const FieldBlock& k = block(b);
    gather(b, x);
    block_array(b).forward(z.middleCols(k.first_unit, k.units),
                           grown_view(xb_, x.rows(), static_cast<Eigen::Index>(k.inputs.size())));
  }
}

void LocalArray::update(ConstMatRef x, ConstMatRef d, float lr) {
  require(x.cols() == inputs_ && d.cols() == outputs_ && d.rows() == x.rows(),
          "local array update: x is {}x{}, d {}x{}, the array {}x{}", x.rows(), x.cols(), d.rows(), d.cols(),
          outputs_, inputs_);
  for (int b = 0; b < blocks(); ++b) {
    const FieldBlock& k = block(b);
    gather(b, x);
    block_array(b).update(grown_view(xb_, x.rows(), static_cast<Eigen::Index>(k.inputs.size())),
                          d.middleCols(k.first_unit, k.units), lr);
  }
}

void LocalArray::read_weights(MatRef w) {
  require(w.rows() == outputs_ && w.cols() == inputs_, "read_weights: got {}x{}, array is {}x{}", w.rows(), w.cols(),
          outputs_, inputs_);
  w.setZero();
  for (int b = 0; b < blocks(); ++b) {
    const FieldBlock& k = block(b);
    auto wb = grown_view(wb_, k.units, static_cast<Eigen::Index>(k.inputs.size()));
    block_array(b).read_weights(wb);
    for (int u = 0; u < k.units; ++u)
      for (std::size_t i = 0; i < k.inputs.size(); ++i)
        w(k.first_unit + u, k.inputs[i]) = wb(u, static_cast<Eigen::Index>(i));
  }
}

}  // namespace mortal
