#pragma once
// Analog momentum (heavy ball, ffnew.m's moving-average form v = mu v + (1 - mu) g, W += lr v): a momentum
// array V beside every layer holds gain times lr0 v (lr0 the base learning rate). Each step the gradient's
// pulses go to V, its rows are read and written into the weights at lr / lr0 (lr_at), and its decay is
// written back into a 1/every share of its own rows (cyclically; every = 1 is exact momentum, larger values
// cut the decay's pulses). With share, the decay is no write at all: a momentum array of charge-storing
// cells (capacitors: --second-device capacitor) shares every cell's charge once per step, V = mu V
// (hw::Crossbar::share_charge), which is exact momentum without a decay pulse.
#include <string>
#include <vector>

#include "hw/chip.h"
#include "model/digital_array.h"
#include "sim/rules/rule_step.h"

namespace mortal {

// The in-situ options of analog momentum (ff_mnist's --momentum-*).
struct AnalogMomentum {
  double gain = 64.0;
  int every = 1;
  std::string decay = "pulses";  // or "share"
  // Where the learning-rate schedule acts: "transfer" (V accumulates (1 - mu) G lr0 g at the base rate lr0
  // and the transfer writes (lr / lr0) V / G into W: W += lr v, as digital momentum SGD does) or "gradient"
  // (V accumulates (1 - mu) G lr g and the transfer writes V / G: the velocity, and with it the weight of
  // V's read noise against it, shrinks with the rate).
  std::string lr_at = "transfer";
  bool share() const { return decay == "share"; }
  bool lr_at_transfer() const { return lr_at == "transfer"; }
  void validate() const;
};

struct AnalogMomentumParams {
  AnalogMomentum array;
  // The momentum (constant, or rising as the rate decays: --momentum-final), as digital momentum SGD of
  // these settings has it (FFParams::optimiser_params).
  OptimiserParams momentum;
  float base_lr = 0;  // lr0
  void validate() const;
};

class AnalogMomentumRule : public UpdateRule {
 public:
  // V is the chip's extra array `array` beside every layer.
  AnalogMomentumRule(const AnalogMomentumParams& p, hw::Chip& chip, int array = 0);
  static std::vector<std::string> extra_arrays(const AnalogMomentumParams&) { return {"momentum"}; }

  double step(const RuleStep& s) override;
  void report(int k, nlohmann::json& layer) const override;
  void save(Checkpoint& c) const override;
  void restore(const Checkpoint& c) override;

 protected:
  // Where V's transfer goes: delta (normalised units of the target, already times transfer_gain()) written
  // into layer k at t_s; returns its duration. The weights, here.
  virtual double transfer(int k, ConstMatRef delta, double t_s, hw::FastRng& rng);
  virtual float transfer_gain() const { return 1.0f; }
  hw::Chip& chip_;

 private:
  hw::Crossbar& velocity(int k) { return chip_.extra(k, array_); }
  AnalogMomentumParams p_;
  int array_;
  std::vector<DecayShare> share_;  // per layer: rows decayed per step
  std::vector<int> row_;           // per layer: the next row to decay
  std::vector<Mat> r_, dw_;        // per layer: V as read, a write
};

}  // namespace mortal
