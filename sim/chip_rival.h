#pragma once
// The rival of FF in situ: BP trained digitally, then programmed by program-and-verify onto a chip of the
// FF chip's seed (the same individual: every layer's devices are drawn from the seed and the layer's name)
// and evaluated there, analog between layers.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "hw/chip.h"
#include "model/bp_mlp.h"
#include "model/dataset.h"
#include "sim/ff_experiment.h"
#include "sim/run_eta.h"

namespace mortal {

// BP weights programmed onto a chip, evaluated there.
class RivalOnChip {
 public:
  RivalOnChip(hw::Chip& chip, std::uint64_t seed) : chip_(chip), rng_(seed, "rival.eval") {}
  void program(const BpMlp& net);
  // Analog between layers, one ADC conversion per class at the output, argmax.
  double error(const Dataset& s);
  hw::FastRng& rng() { return rng_; }

 private:
  hw::Chip& chip_;
  hw::FastRng rng_;
};

// BP of FF's layers (and batch, limits) trained digitally for `epochs`, its progress lines labelled `label`
// and timed in `eta` (may be null). Returns the rival's record so far; `net` holds the trained net.
nlohmann::json train_rival(const FFParams& p, int epochs, std::uint64_t seed, const std::string& label, RunEta* eta,
                           std::unique_ptr<BpMlp>& net);

// The rival chip: the FF chip's `ff` with a layer more for the classes, no extra arrays (it is programmed,
// never trained), and ranges from the digital net's own activities on training images.
hw::ChipParams rival_chip_params(const hw::ChipParams& ff, const BpMlp& net, const Dataset& train);

}  // namespace mortal
