#pragma once
// The FF step's periphery seam (model/ff_step.h) on a chip: layer k's analog ReLU, goodness integrator,
// sigmoid unit and length normaliser, each with the gains, offsets and noise its chip drew. Each use
// adds the circuit's simulated time, which the caller takes to advance its clock.
#include "hw/chip.h"
#include "model/ff_step.h"

namespace mortal {

class ChipPeriphery final : public FFPeriphery {
 public:
  // Layer k of `chip`, for a layer of threshold theta, its noise drawn from `rng` (which must outlive this).
  ChipPeriphery(hw::Chip& chip, int k, const FFObjective& objective, float theta, hw::FastRng& rng);

  // The analog ReLU; the integrator's sum of squares (times 1 / units for the mean goodness). activate is
  // the one, then the other.
  void rectify(MatRef y) override;
  void integrate(ConstMatRef y, VecRef g) override;
  // The layer's damping stage (hw::DampingStage; a chip built with ChipParams::damping_stage).
  void damp(MatRef y, ConstMatRef x, float keep) override;
  // The sigmoid unit on s (G - theta) / T.
  void probability(VecRef p, ConstVecRef g) override;
  // From the sigmoid unit's output, clamped to [1e-7, 1 - 1e-7].
  double cross_entropy(ConstVecRef p, ConstVecRef g, ConstVecRef target) const override;
  void normalise(MatRef out, ConstMatRef y) override;

  // The simulated time of the uses since the last call, in ns.
  double take_ns();
  // The stream the circuits' noise comes from; the layer's other uses on the chip draw from it too.
  hw::FastRng& rng() { return *rng_; }

 private:
  hw::Chip* chip_;
  int k_;
  FFObjective objective_;
  float theta_;
  hw::FastRng* rng_;
  Mat scaled_;  // the sigmoid unit's input
  double ns_ = 0;
};

}  // namespace mortal
