#pragma once
// A stack of FF layers: the input is normalised, each layer's normalised activity is the next layer's
// input. Training schedules and both supervised prediction modes (paper section 3.3).
#include <memory>
#include <vector>

#include "model/ff_labels.h"
#include "model/ff_layer.h"
#include "model/ff_readout.h"

namespace mortal {

// The layers both prediction modes read by default in a net of `layers` layers: all but the first (paper),
// or the only one.
std::vector<int> default_readout_layers(int layers);

class FFNet final : public FFStack {
 public:
  // arrays[l] has units_l outputs and units_{l-1} + 1 inputs (units_{-1} = features). Every layer shares
  // `layer` params; the raw input is normalised with `input_norm`.
  FFNet(std::vector<std::unique_ptr<SynapticArray>> arrays, const FFLayerParams& layer, NormKind input_norm);

  int layers() const { return static_cast<int>(layers_.size()); }
  int features() const { return layers_.front().inputs(); }
  FFLayer& layer(int l) { return layers_[static_cast<std::size_t>(l)]; }
  const FFLayer& layer(int l) const { return layers_[static_cast<std::size_t>(l)]; }
  std::vector<int> default_readout_layers() const { return mortal::default_readout_layers(layers()); }

  // (rows, features): write the raw inputs (label overlaid) here, then call normalise_input().
  MatRef input(int rows) override;
  void normalise_input() override;
  // Layer l's forward on the input it holds (its goodness), and its normalised activity into layer l + 1.
  Eigen::Ref<const Vec> forward(int l) override;
  void pass_on(int l) override;

  // Forward through layers [0, upto) without learning, leaving layer `upto` (if any) with its input.
  void propagate(int upto);

  // Every layer learns from the current batch on the way up (pipelined hardware does this): layer l+1
  // receives layer l's activity from before l's update.  stats: one per layer.
  void train_all(ConstVecRef target, float lr, float scale, std::vector<FFStepStats>& stats);
  // Only layer l learns, from the input it holds (greedy, layer by layer).
  FFStepStats train_layer(int l, ConstVecRef target, float lr, float scale);

  // scores(i, c) = sum over `chosen` layers of s G_l for image i overlaid with label c (s = -1 for min-ssq,
  // so the best label has the largest score).  images: (n, features); scores: (n, classes)
  void goodness_scores(MatRef scores, ConstMatRef images, const LabelCoding& coding, const std::vector<int>& chosen,
                       int chunk = 1000);
  std::vector<int> predict_goodness(ConstMatRef images, const LabelCoding& coding, const std::vector<int>& chosen);

  // One neutral-label pass: the normalised activities of the `chosen` layers side by side.
  // images: (n, features); out: (n, sum of the chosen layers' units)
  void neutral_features(MatRef out, ConstMatRef images, const LabelCoding& coding, const std::vector<int>& chosen,
                        int chunk = 1000);
  // The same pass on the images as they are, no label pixel written (unsupervised FF, section 3.2).
  void image_features(MatRef out, ConstMatRef images, const std::vector<int>& chosen, int chunk = 1000);
  // Same, for inputs already in input() and normalised: fills `out` from the current batch.
  void features_of_current(MatRef out, const std::vector<int>& chosen);
  // The chosen layers' normalised activities of their last forward, side by side (after propagate() through
  // them): several read-outs of one pass.
  void collect_features(MatRef out, const std::vector<int>& chosen);
  int feature_width(const std::vector<int>& chosen) const;

 private:
  void check_chosen(const std::vector<int>& chosen) const;
  // `chunk` images at a time: `write` puts them into input(), then features_of_current().
  template <typename Write>
  void features_in_chunks(MatRef out, ConstMatRef images, const std::vector<int>& chosen, int chunk, Write write);

  std::vector<FFLayer> layers_;
  NormKind input_norm_;
  float norm_eps_;
};

}  // namespace mortal
