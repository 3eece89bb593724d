#include "model/ff_recurrent.h"

#include <algorithm>

#include "core/error.h"
#include "model/ff_labels.h"
#include "model/ff_math.h"

namespace mortal {

void RecurrentParams::validate() const {
  require(iterations >= 1, "recurrent: iterations must be at least 1, got {}", iterations);
  require(damping >= 0 && damping < 1, "recurrent: damping must be in [0, 1), got {}", damping);
  require(score_first >= 1 && score_first <= score_last,
          "recurrent: the scored iterations {}..{} must start at 1 or later and not end before they start",
          score_first, score_last);
  require(score_last <= iterations, "recurrent: the scored iterations {}..{} must lie within the {} iterations the "
          "net learns at", score_first, score_last, iterations);
}

FFRecurrentNet::FFRecurrentNet(std::vector<std::unique_ptr<SynapticArray>> up,
                               std::vector<std::unique_ptr<SynapticArray>> down, const FFLayerParams& layer,
                               NormKind input_norm, RecurrentParams rp, std::vector<std::unique_ptr<FFPeriphery>> io)
    : lp_(layer), input_norm_(input_norm), rp_(rp) {
  lp_.validate();
  rp_.validate();
  require(!up.empty() && up.size() == down.size(), "recurrent net: {} bottom-up and {} top-down arrays", up.size(),
          down.size());
  const int L = static_cast<int>(up.size());
  require(io.empty() || static_cast<int>(io.size()) == L, "recurrent net: circuits for {} layers, arrays for {}",
          io.size(), L);
  for (int l = 0; l < L; ++l) {
    auto& u = up[static_cast<std::size_t>(l)];
    auto& d = down[static_cast<std::size_t>(l)];
    require(u && d, "recurrent net: layer {} lacks an array", l);
    require(u->inputs() >= 2, "recurrent net: layer {}'s bottom-up array needs data and bias inputs, got {}", l,
            u->inputs());
    require(d->outputs() == u->outputs(), "recurrent net: layer {}'s top-down array has {} outputs, its units {}",
            l, d->outputs(), u->outputs());
    if (l > 0)  // the layer below is already in layers_
      require(u->inputs() == units(l - 1) + 1,
              "recurrent net: layer {} has {} inputs (+ bias) but layer {} has {} units", l, u->inputs() - 1, l - 1,
              units(l - 1));
    if (l + 1 < L)
      require(d->inputs() == up[static_cast<std::size_t>(l + 1)]->outputs(),
              "recurrent net: layer {}'s top-down array has {} inputs but layer {} has {} units", l, d->inputs(),
              l + 1, up[static_cast<std::size_t>(l + 1)]->outputs());
    const int units = u->outputs();
    std::unique_ptr<FFPeriphery> circuits = io.empty()
                                                ? std::make_unique<ExactPeriphery>(lp_, lp_.objective.threshold(units))
                                                : std::move(io[static_cast<std::size_t>(l)]);
    require(circuits != nullptr, "recurrent net: layer {} lacks its circuits", l);
    layers_.push_back(Layer{std::move(u), std::move(d), std::move(circuits), PeerState(units, lp_.peer_initial),
                            {}, {}, {}, {}, {}, {}, {}, {}, {}});
  }
  require(classes() >= 2, "recurrent net: the label above the last layer needs at least 2 classes, got {}",
          classes());
}

void FFRecurrentNet::set_running_mean(int l, const RowVec& mean) {
  require(mean.size() == units(l), "peer running means: got {} values, layer {} has {} units", mean.size(), l,
          units(l));
  require(mean.allFinite(), "peer running means of layer {} hold a non-finite value", l);
  at(l).peer.mean = mean;
}

void FFRecurrentNet::resize(int rows) {
  require(rows >= 1, "recurrent net: a run needs at least one row, got {}", rows);
  if (rows == rows_) return;
  for (Layer& L : layers_) {
    const int in = L.up->inputs(), units = L.up->outputs();
    L.below.resize(rows, in);
    L.below.col(in - 1).setConstant(lp_.bias_input);
    L.above.resize(rows, L.down->inputs());
    L.z.resize(rows, units);
    L.zd.resize(rows, units);
    L.y.resize(rows, units);
    L.d.resize(rows, units);
    L.g.resize(rows);
    L.p.resize(rows);
    L.c.resize(rows);
  }
  rows_ = rows;
}

void FFRecurrentNet::start(ConstMatRef images, const std::vector<int>& labels) {
  require(images.cols() == features(), "recurrent net: images of {} pixels for a net of {} inputs", images.cols(),
          features());
  require(static_cast<Eigen::Index>(labels.size()) == images.rows(), "recurrent net: {} labels for {} images",
          labels.size(), images.rows());
  resize(static_cast<int>(images.rows()));
  Layer& first = at(0);
  normalise_rows(first.below.leftCols(features()), images, input_norm_, lp_.norm_eps);
  Layer& top = at(layers() - 1);
  top.above.setZero();
  for (int i = 0; i < rows_; ++i) {
    const int c = labels[static_cast<std::size_t>(i)];
    require(c >= 0 && c < classes(), "recurrent net: label {} outside 0..{}", c, classes() - 1);
    top.above(i, c) = 1;
  }
  normalise_rows(top.above, top.above, lp_.norm, lp_.norm_eps);
  // The bottom-up pass: no top-down input yet.
  for (int l = 0; l < layers(); ++l) {
    Layer& L = at(l);
    L.up->forward(L.y, L.below);
    L.io->activate(L.y, L.g);
    if (l + 1 < layers()) L.io->normalise(at(l + 1).below.leftCols(units(l)), L.y);
  }
  pass_on();
}

void FFRecurrentNet::advance() {
  // Synchronous: every layer's products read the states of the last iteration before any state moves.
  for (Layer& L : layers_) {
    L.up->forward(L.z, L.below);
    L.down->forward(L.zd, L.above);
    L.z += L.zd;
  }
  // Then each layer's ReLU and damping stage: the state moves to keep y + (1 - keep) ReLU(z).
  for (Layer& L : layers_) {
    L.io->rectify(L.z);
    L.io->damp(L.y, L.z, rp_.damping);
  }
}

void FFRecurrentNet::pass_on() {
  for (int l = 0; l < layers(); ++l) {
    Layer& L = at(l);
    if (l + 1 < layers()) L.io->normalise(at(l + 1).below.leftCols(units(l)), L.y);
    if (l > 0) {
      if (l + 1 < layers())
        at(l - 1).above = at(l + 1).below.leftCols(units(l));
      else
        L.io->normalise(at(l - 1).above, L.y);
    }
  }
}

void FFRecurrentNet::iterate() {
  require(rows_ > 0, "recurrent net: iterate before start");
  advance();
  for (Layer& L : layers_) L.io->integrate(L.y, L.g);
  pass_on();
}

void FFRecurrentNet::learn(ConstVecRef target, float lr, float scale, std::vector<FFStepStats>& stats) {
  require(rows_ > 0, "recurrent net: learn before start");
  require(target.size() == rows_, "recurrent net: {} targets for {} rows", target.size(), rows_);
  advance();
  stats.resize(layers_.size());
  const float take = 1 - rp_.damping;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    Layer& L = layers_[l];
    L.io->integrate(L.y, L.g);
    stats[l] = ff_step_activated(*L.io, lp_, L.y, L.g, L.p, L.c, L.d, target, scale, L.peer);
    // The state moves by (1 - damping) ReLU(z), the old state held fixed: the goodness term of the delta
    // (2 scale c y) vanishes where the ReLU's output is 0, where a damped state may still be active; peer
    // normalisation's push ignores the ReLU, as in the feed-forward step. With no damping y is 0 there, and
    // nothing changes. (z holds the ReLU's output, 0 where z was <= 0.)
    ff_delta(L.zd, L.c, L.y, lp_.objective.kind, scale);
    L.d.array() -= (L.z.array() <= 0.0f).cast<float>() * L.zd.array();
    L.d *= take;
    L.up->update(L.below, L.d, lr);
    L.down->update(L.above, L.d, lr);
  }
  pass_on();
}

int FFRecurrentNet::feature_width(const std::vector<int>& chosen) const {
  int w = 0;
  for (int l : chosen) {
    require(l >= 0 && l < layers(), "chosen layer {} outside 0..{}", l, layers() - 1);
    w += units(l);
  }
  return w;
}

void FFRecurrentNet::collect_features(MatRef out, const std::vector<int>& chosen) {
  require(out.rows() == rows_ && out.cols() == feature_width(chosen), "features: output {}x{}, expected {}x{}",
          out.rows(), out.cols(), rows_, feature_width(chosen));
  int col = 0;
  for (int l : chosen) {
    at(l).io->normalise(out.middleCols(col, units(l)), at(l).y);
    col += units(l);
  }
}

void FFRecurrentNet::label_scores(MatRef scores, ConstMatRef images, int chunk) {
  const int C = classes();
  require(scores.rows() == images.rows() && scores.cols() == C,
          "label scores: output {}x{} for {} images of {} classes", scores.rows(), scores.cols(), images.rows(), C);
  const float sign = lp_.objective.sign();
  const int per = std::max(1, chunk / C);  // images per run, each under every label: per x C rows
  Mat rows;
  std::vector<int> labels;
  Vec sum;
  for (Eigen::Index s = 0; s < images.rows(); s += per) {
    const int n = static_cast<int>(std::min<Eigen::Index>(per, images.rows() - s));
    rows.resize(n * C, images.cols());
    labels.resize(static_cast<std::size_t>(n * C));
    for (int c = 0; c < C; ++c) {
      rows.middleRows(c * n, n) = images.middleRows(s, n);
      std::fill(labels.begin() + c * n, labels.begin() + (c + 1) * n, c);
    }
    start(rows, labels);
    sum = Vec::Zero(n * C);
    for (int t = 1; t <= rp_.score_last; ++t) {
      iterate();
      if (t < rp_.score_first) continue;
      for (int l = 0; l < layers(); ++l) sum += sign * goodness(l);
    }
    sum /= static_cast<float>(rp_.score_last - rp_.score_first + 1);
    for (int c = 0; c < C; ++c) scores.block(s, c, n, 1) = sum.segment(c * n, n);
  }
}

std::vector<int> FFRecurrentNet::predict(ConstMatRef images) {
  Mat scores(images.rows(), classes());
  label_scores(scores, images);
  return argmax_rows(scores);
}

}  // namespace mortal
