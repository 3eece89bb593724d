#pragma once
// Periodic carry (a multi-device synapse of two significances: Agarwal et al. 2017, Boybat et al. 2018):
// a fine array A beside every layer whose column outputs are scaled by 1/factor before they join those of
// the weights' array C, so a layer's weight is C + A / factor. The update's pulses go to A at factor times
// the step (a device step of A moves the weight by dw_min / factor), each step a 1/every share of A's rows
// is read and carried into C (C += A / factor, then A -= A, row by row), and forward passes read both.
// At the end of training every row is carried, so inference, drift and its compensation use C alone.
// With whole steps, a carry writes only whole nominal steps of the weights' devices (the column pulse
// generators fire floor(held voltage / step) pulses, at most BL) and the fine array gives up exactly
// factor times each step, in whole nominal steps of its own (in as many bursts of at most BL pulses as
// that takes): the remainder stays in the fine array for a later carry instead of being rounded at random
// into the weights.
#include <string>
#include <vector>

#include "hw/chip.h"
#include "sim/rules/rule_step.h"

namespace mortal {

struct FineCarry {
  double factor = 0.0;  // 0: off
  int every = 1;
  bool whole = false;
  // Forward passes read the weights' array alone, not C + A / factor (the accumulator stays hidden, as
  // Tiki-Taka v2's H is): the weight the network sees moves by whole steps only.
  bool hidden = false;
  bool on() const { return factor > 0; }
  void validate() const;
};

// A row write of delta (normalised units) that may exceed the BL pulses of one write (BL nominal steps):
// with a write window of as many bursts of BL slots as the largest change needs.
double write_in_bursts(hw::Crossbar& c, ConstMatRef delta, int row0, double t_s, hw::FastRng& rng,
                       hw::Crossbar::RowWrite mode);

class PeriodicCarry : public UpdateRule {
 public:
  // The fine array is the chip's extra array `array` beside every layer.
  PeriodicCarry(const FineCarry& p, hw::Chip& chip, int array = 0);
  // The fine array keeps the name the chip's second array had before rules were types: the name draws its
  // devices, so a run keeps its numbers.
  static std::vector<std::string> extra_arrays(const FineCarry&) { return {"momentum"}; }

  double step(const RuleStep& s) override;
  double forward_extra(int k, MatRef z, ConstMatRef x, double t_s, hw::FastRng& rng) override;
  void finish(std::vector<hw::FastRng>& layer_rng) override;
  void report(int k, nlohmann::json& layer) const override;
  void save(Checkpoint& c) const override;
  void restore(const Checkpoint& c) override;

  hw::Crossbar& fine(int k) { return chip_.extra(k, array_); }
  // This step's share of layer k's rows carried into its weights, at t_s; returns the duration (ns).
  double carry_next_rows(int k, double t_s, hw::FastRng& rng);

 private:
  double carry_rows(int k, int row0, int n, double t_s, hw::FastRng& rng);

  FineCarry p_;
  hw::Chip& chip_;
  int array_;
  bool in_forward_;             // forward passes read the fine array (not hidden, until finish)
  std::vector<DecayShare> share_;  // per layer: rows carried per step
  std::vector<int> row_;           // per layer: the next row to carry
  std::vector<Mat> r_, dw_, z_;    // per layer: rows read, their writes, the fine array's forward output
};

}  // namespace mortal
