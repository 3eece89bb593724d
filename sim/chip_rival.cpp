#include "sim/chip_rival.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "model/softmax.h"
#include "sim/bp_experiment.h"

namespace mortal {

void RivalOnChip::program(const BpMlp& net) {
  for (int k = 0; k < chip_.layers(); ++k) {
    const Mat& w = net.weights(k);
    Mat wb(w.rows(), w.cols() + 1);
    wb.leftCols(w.cols()) = w;
    wb.col(w.cols()) = net.bias(k).transpose();
    chip_.program(k, wb);
  }
}

double RivalOnChip::error(const Dataset& s) {
  const int L = chip_.layers(), chunk = 1000;
  std::vector<int> pred;
  Mat x, z;
  for (int start = 0; start < s.size(); start += chunk) {
    const int m = std::min(chunk, s.size() - start);
    x.resize(m, s.features() + 1);
    x.leftCols(s.features()) = s.images.middleRows(start, m);
    x.col(s.features()).setConstant(hw::kBiasDrive);
    for (int k = 0; k < L; ++k) {
      const bool last = k + 1 == L;
      z.resize(m, chip_.tile(k).core().outputs());
      chip_.advance_ns(chip_.forward_at(k, z, x, chip_.now_s(), rng_, hw::ForwardIO{k == 0, last}).ns);
      if (last) break;
      x.resize(m, z.cols() + 1);
      chip_.relu(k).apply(x.leftCols(z.cols()), z, rng_);
      chip_.advance_ns(chip_.relu(k).time_ns(m));
      x.col(z.cols()).setConstant(hw::kBiasDrive);
    }
    const std::vector<int> p = argmax_rows(z);
    pred.insert(pred.end(), p.begin(), p.end());
  }
  return error_rate(pred, s.labels);
}

namespace {

// The ranges of the rival chip's layers, from the digital net's own activities on training images:
// a full device range for the layer's largest weight, the inputs' and outputs' largest magnitudes.
std::vector<hw::LayerScale> rival_scales(const BpMlp& net, const Dataset& train) {
  const Dataset cal = train.head(std::min(train.size(), 2000));
  Mat a = cal.images, z;
  std::vector<hw::LayerScale> scales;
  for (int k = 0; k < net.params().layers(); ++k) {
    hw::LayerScale s;
    s.w_scale = std::max(double(net.weights(k).cwiseAbs().maxCoeff()), double(net.bias(k).cwiseAbs().maxCoeff()));
    s.input_range = std::max(1.0, double(a.cwiseAbs().maxCoeff()));
    z = (a * net.weights(k).transpose()).rowwise() + net.bias(k);
    s.output_range = 1.1 * double(z.cwiseAbs().maxCoeff()) / s.w_scale;
    a = z.cwiseMax(0.0f);
    scales.push_back(s);
  }
  return scales;
}

}  // namespace

nlohmann::json train_rival(const FFParams& p, int epochs, std::uint64_t seed, const std::string& label, RunEta* eta,
                           std::unique_ptr<BpMlp>& net) {
  BpParams bp;
  bp.data_dir = p.data_dir;
  bp.layers = p.layers;
  bp.epochs = epochs;
  bp.batch = p.batch;
  bp.validation = 0;
  bp.train_limit = p.train_limit;
  bp.test_limit = p.test_limit;
  bp.progress_label = label;
  fmt::print(stderr, "rival: BP trained digitally first ({} epochs, its lines say '{}'), then FF in situ\n", bp.epochs,
             label);
  const nlohmann::json m = run_bp(bp, seed, &net, eta);
  return {{"kind", "BP trained digitally, programmed by program-and-verify"},
          {"epochs", bp.epochs},
          {"digital_test_error", m["test_error"]},
          {"digital_train_error", m["train_error"]}};
}

hw::ChipParams rival_chip_params(const hw::ChipParams& ff, const BpMlp& net, const Dataset& train) {
  hw::ChipParams rp = ff;
  rp.extra_arrays.clear();
  rp.connectivity.clear();  // BP's layers are dense
  rp.sizes.push_back(train.num_classes);
  rp.scales = rival_scales(net, train);
  return rp;
}

}  // namespace mortal
