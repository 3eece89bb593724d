#pragma once
// Local receptive fields without weight sharing (Hinton 2022, section 3.2, unsupervised): a layer's units
// sit on a grid of locations, several channels at each, and a unit sees only a window of the layer below
// (pixels of the image, or every channel of a few adjacent locations of the layer under it). Its
// connectivity is a mask on the layer's synaptic array; the units of one location share their mask, so the
// layer is a set of blocks, one per location, each a small dense array over the inputs its window gathers.
// A chip maps each block onto its own array: the unconnected cross-points are never built, and a block's
// rows are driven by the inputs its window routes to it.
#include <memory>
#include <string>
#include <vector>

#include "core/synaptic_array.h"

namespace mortal {

// One layer's fields: a window of `window` x `window` locations (pixels of the image) of the layer below,
// every `stride` locations along each side. The grid of locations is (side - window) / stride + 1 per
// side, and the layer's width is its locations times its channels.
struct FieldGeometry {
  int window = 0;
  int stride = 0;
  bool local() const { return window > 0; }
  // "W/S" (e.g. "10/6"), or "dense" for a fully connected layer (window 0). Error naming `spec` otherwise.
  static FieldGeometry parse(const std::string& spec);
  std::string text() const;
};

// A layer's output, as the layer above sees it: side x side locations of `channels` each (the image is
// side x side pixels of one channel); a dense layer's output has no grid (side 0).
struct SpatialShape {
  int side = 0;
  int channels = 0;
  int size() const { return side * side * channels; }
};

// The units of one location and the inputs they see.
struct FieldBlock {
  int first_unit = 0;       // the block's units are [first_unit, first_unit + units)
  int units = 0;
  std::vector<int> inputs;  // sorted indices of the inputs the block sees (the bias column among them)
};

// The blocks of a layer of `units` units with fields `g` over the layer below of shape `below`, whose
// output lies in inputs [0, below.size()); `bias_input` >= 0 (the constant-1 column) is seen by every block.
// Unit (location p, channel c) is unit p x channels + c, locations row by row; input (location q, channel c)
// of the layer below is q x below.channels + c. Error naming the layer's width and the grid when the
// window does not tile `below` or the units do not share out over the locations.
std::vector<FieldBlock> field_blocks(const SpatialShape& below, const FieldGeometry& g, int units, int bias_input);
// The shape of a layer of `units` units with fields `g` over `below` (field_blocks checks it).
SpatialShape field_shape(const SpatialShape& below, const FieldGeometry& g, int units);

// The connectivity the blocks give a layer of `outputs` x `inputs` cross-points: 1 where a unit sees an input,
// 0 elsewhere (what a chip's crossbar is built with: hw::Crossbar::connect).
Mat connectivity_mask(const std::vector<FieldBlock>& blocks, int outputs, int inputs);

// A synaptic array whose connectivity is given by blocks: block b's own array (blocks[b].units outputs,
// blocks[b].inputs.size() inputs) takes its inputs gathered from the layer's input columns and gives the
// layer's outputs [first_unit, first_unit + units). Unconnected cross-points have no weight: they are never
// computed, updated or stored, and read_weights reports them as 0.
class LocalArray final : public SynapticArray {
 public:
  // The blocks partition [0, outputs) in order; every input index lies in [0, inputs).
  LocalArray(int outputs, int inputs, std::vector<FieldBlock> blocks,
             std::vector<std::unique_ptr<SynapticArray>> arrays);

  int inputs() const override { return inputs_; }
  int outputs() const override { return outputs_; }
  void forward(MatRef z, ConstMatRef x) override;
  void update(ConstMatRef x, ConstMatRef d, float lr) override;
  void read_weights(MatRef w) override;

  int blocks() const { return static_cast<int>(blocks_.size()); }
  const FieldBlock& block(int b) const { return blocks_[static_cast<std::size_t>(b)]; }
  SynapticArray& block_array(int b) { return *arrays_[static_cast<std::size_t>(b)]; }
  // The weights that exist: the sum of every block's units x inputs.
  long long connections() const;

 private:
  void gather(int b, ConstMatRef x);  // block b's inputs of x into xb_ (a grown_view of its shape)

  int outputs_, inputs_;
  std::vector<FieldBlock> blocks_;
  std::vector<std::unique_ptr<SynapticArray>> arrays_;
  Mat xb_, wb_;  // scratch: a block's gathered inputs, its weights
};

}  // namespace mortal
