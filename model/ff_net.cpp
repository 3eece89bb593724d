#include "model/ff_net.h"

#include <algorithm>

#include "core/error.h"

namespace mortal {

FFNet::FFNet(std::vector<std::unique_ptr<SynapticArray>> arrays, const FFLayerParams& layer, NormKind input_norm)
    : input_norm_(input_norm), norm_eps_(layer.norm_eps) {
  require(!arrays.empty(), "FF net needs at least one layer");
  layers_.reserve(arrays.size());
  for (std::size_t l = 0; l < arrays.size(); ++l) {
    layers_.emplace_back(std::move(arrays[l]), layer);
    if (l > 0)
      require(layers_[l].inputs() == layers_[l - 1].units(),
              "FF layer {} has {} inputs (+ bias) but layer {} has {} units", l, layers_[l].inputs(), l - 1,
              layers_[l - 1].units());
  }
}

std::vector<int> default_readout_layers(int layers) {
  std::vector<int> out;
  for (int l = layers > 1 ? 1 : 0; l < layers; ++l) out.push_back(l);
  return out;
}

MatRef FFNet::input(int rows) { return layers_.front().input(rows); }

void FFNet::normalise_input() {
  FFLayer& first = layers_.front();
  MatRef x = first.input(first.input_rows());
  normalise_rows(x, x, input_norm_, norm_eps_);
}

Eigen::Ref<const Vec> FFNet::forward(int l) {
  layer(l).forward();
  return layer(l).goodness();
}

void FFNet::pass_on(int l) { layer(l).normalised_activity(layer(l + 1).input(layer(l).input_rows())); }

void FFNet::propagate(int upto) {
  require(upto >= 0 && upto <= layers(), "propagate up to layer {} of {}", upto, layers());
  for (int l = 0; l < upto; ++l) {
    forward(l);
    if (l + 1 < layers()) pass_on(l);
  }
}

void FFNet::train_all(ConstVecRef target, float lr, float scale, std::vector<FFStepStats>& stats) {
  stats.resize(static_cast<std::size_t>(layers()));
  for (int l = 0; l < layers(); ++l) {
    stats[static_cast<std::size_t>(l)] = layer(l).train(target, lr, scale);
    if (l + 1 < layers()) pass_on(l);
  }
}

FFStepStats FFNet::train_layer(int l, ConstVecRef target, float lr, float scale) {
  require(l >= 0 && l < layers(), "train_layer {} of {}", l, layers());
  return layer(l).train(target, lr, scale);
}

void FFNet::check_chosen(const std::vector<int>& chosen) const {
  require(!chosen.empty(), "choose at least one layer to read");
  for (int l : chosen) require(l >= 0 && l < layers(), "chosen layer {} outside 0..{}", l, layers() - 1);
}

int FFNet::feature_width(const std::vector<int>& chosen) const {
  int w = 0;
  for (int l : chosen) w += layer(l).units();
  return w;
}

void FFNet::goodness_scores(MatRef scores, ConstMatRef images, const LabelCoding& coding,
                            const std::vector<int>& chosen, int chunk) {
  check_chosen(chosen);
  mortal::goodness_scores(*this, scores, images, coding, chosen, layer(0).params().objective.sign(), chunk);
}

std::vector<int> FFNet::predict_goodness(ConstMatRef images, const LabelCoding& coding, const std::vector<int>& chosen) {
  Mat scores(images.rows(), coding.classes);
  goodness_scores(scores, images, coding, chosen);
  return argmax_rows(scores);
}

void FFNet::features_of_current(MatRef out, const std::vector<int>& chosen) {
  check_chosen(chosen);
  propagate(*std::max_element(chosen.begin(), chosen.end()) + 1);
  collect_features(out, chosen);
}

void FFNet::collect_features(MatRef out, const std::vector<int>& chosen) {
  check_chosen(chosen);
  const int n = layer(0).input_rows();
  require(out.rows() == n && out.cols() == feature_width(chosen), "features: output {}x{}, expected {}x{}",
          out.rows(), out.cols(), n, feature_width(chosen));
  int col = 0;
  for (int l : chosen) {
    layer(l).normalised_activity(out.middleCols(col, layer(l).units()));
    col += layer(l).units();
  }
}

template <typename Write>
void FFNet::features_in_chunks(MatRef out, ConstMatRef images, const std::vector<int>& chosen, int chunk, Write write) {
  require(out.rows() == images.rows(), "features: {} output rows for {} images", out.rows(), images.rows());
  for (Eigen::Index start = 0; start < images.rows(); start += chunk) {
    const int n = static_cast<int>(std::min<Eigen::Index>(chunk, images.rows() - start));
    write(input(n), images.middleRows(start, n));
    normalise_input();
    features_of_current(out.middleRows(start, n), chosen);
  }
}

void FFNet::neutral_features(MatRef out, ConstMatRef images, const LabelCoding& coding,
                             const std::vector<int>& chosen, int chunk) {
  features_in_chunks(out, images, chosen, chunk, [&](MatRef x, ConstMatRef part) { overlay_neutral(x, part, coding); });
}

void FFNet::image_features(MatRef out, ConstMatRef images, const std::vector<int>& chosen, int chunk) {
  require(images.cols() == features(), "features: images of {} pixels for a net of {} inputs", images.cols(),
          features());
  features_in_chunks(out, images, chosen, chunk, [](MatRef x, ConstMatRef part) { x = part; });
}

}  // namespace mortal
