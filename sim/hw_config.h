#pragma once
// A chip's whole parameter set as JSON: recorded in every in-situ result, and the way a command line
// overrides any device, crossbar, periphery or energy parameter by its path, e.g.
//   --hw device.dw_min=0.002 --hw crossbar.out_noise=0.02 --hw sigmoid.noise=0.01 --hw energy.pulse_pj=10
// ("device." is short for "crossbar.device."). An unknown path or a value of the wrong kind is an error
// naming both.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "hw/chip.h"
#include "hw/energy.h"

namespace mortal {

// {"crossbar": {..., "device": {...}}, "relu", "normaliser", "goodness", "sigmoid", "scales",
//  "sync_quantum_ns", "energy"}, and "second_device" with "second" (a crossbar) when the second arrays are
// of another device (overridden as second.device.share_noise=...); sizes are the network's and are not
// part of it.
nlohmann::json hw_to_json(const hw::ChipParams& chip, const hw::EnergyParams& energy);
void hw_from_json(const nlohmann::json& j, hw::ChipParams& chip, hw::EnergyParams& energy);

// Applies `path=value` settings in order, then validates. Throws Error naming the setting.
void apply_hw_overrides(hw::ChipParams& chip, hw::EnergyParams& energy, const std::vector<std::string>& settings);

}  // namespace mortal
