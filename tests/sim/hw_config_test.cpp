#include "sim/hw_config.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace mortal;

TEST_CASE("hardware settings override any parameter by its path and survive the JSON round trip", "[hw_config]") {
  hw::ChipParams chip = hw::chip_preset("reram", {784, 100});
  hw::EnergyParams energy;
  apply_hw_overrides(chip, energy,
                     {"device.dw_min=0.004", "crossbar.out_noise=0.02", "sigmoid.noise=0.01", "energy.pulse_pj=10",
                      "crossbar.update.bl=15", "crossbar.adc.quantize=false", "device.response.kind=linear_step",
                      "device.response.gamma_up=0.5", "crossbar.read_noise_mode=per_device", "weight_copies=3"});
  CHECK(chip.crossbar.device.dw_min == 0.004);
  CHECK(chip.crossbar.out_noise == 0.02);
  CHECK(chip.sigmoid.noise == 0.01);
  CHECK(energy.pulse_pj == 10.0);
  CHECK(chip.crossbar.update.bl == 15);
  CHECK_FALSE(chip.crossbar.adc.quantize);
  REQUIRE(std::holds_alternative<hw::LinearStep>(chip.crossbar.device.response));
  CHECK(std::get<hw::LinearStep>(chip.crossbar.device.response).gamma_up == 0.5);
  CHECK(chip.crossbar.read_noise_mode == hw::ReadNoiseMode::per_device);
  CHECK(chip.weight_copies == 3);
  // Everything else kept its preset value.
  CHECK(chip.crossbar.device.dw_min_c2c == hw::device_preset("reram").dw_min_c2c);

  hw::ChipParams back = hw::chip_preset("ideal", {784, 100});
  hw::EnergyParams energy_back;
  hw_from_json(hw_to_json(chip, energy), back, energy_back);
  CHECK(hw_to_json(back, energy_back) == hw_to_json(chip, energy));
}

TEST_CASE("a bad hardware setting is refused naming it", "[hw_config]") {
  hw::ChipParams chip = hw::chip_preset("pcm", {784, 100});
  hw::EnergyParams energy;
  const auto refused = [&](const std::string& setting, const std::string& says) {
    INFO(setting);
    try {
      apply_hw_overrides(chip, energy, {setting});
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::Contains(says));
    }
  };
  refused("device.dw_mni=0.1", "no parameter 'crossbar.device.dw_mni'");
  refused("device.dw_min", "must read path=value");
  refused("device.dw_min=fast", "must be a number");
  refused("device.dw_min=nan", "must be a number");
  refused("crossbar.update.bl=2.5", "whole number");
  refused("crossbar.adc.quantize=1", "true or false");
  refused("device.dw_min=-1", "dw_min");
  refused("crossbar.read_noise_mode=loud", "read_noise_mode");
  refused("device.response.kind=exp_step",
          "device.response.kind must be constant_step, soft_bounds or linear_step, got 'exp_step'");
  refused("crossbar.device=1", "no parameter");
  refused("device.dw_~min=1", "names joined by dots");  // '~' once reached the JSON pointer parser
  refused("device..dw_min=1", "names joined by dots");
  refused("scales/0=1", "names joined by dots");
  refused("weight_copies=0", "weight_copies (devices per weight) must lie in 1..16, got 0");
  refused("weight_copies=1.5", "whole number");
}

TEST_CASE("second arrays of another device are recorded and overridden under second.", "[hw_config]") {
  hw::ChipParams chip = hw::chip_preset("reram", {784, 100});
  chip.set_second_device("capacitor");
  hw::EnergyParams energy;
  apply_hw_overrides(chip, energy, {"second.device.share_noise=0.001", "device.dw_min=0.004"});
  CHECK(chip.second.device.share_noise == 0.001);
  CHECK(chip.second.device.dw_min == hw::device_preset("capacitor").dw_min);  // "device." is the weights'
  CHECK(chip.crossbar.device.dw_min == 0.004);
  chip.extra_arrays = {"momentum"};
  CHECK(chip.second_crossbar(0).device.name == "capacitor");
  CHECK(chip.layer_crossbar(0).device.name == "reram");

  hw::ChipParams back = hw::chip_preset("ideal", {784, 100});
  hw::EnergyParams energy_back;
  hw_from_json(hw_to_json(chip, energy), back, energy_back);
  CHECK(back.second_device == "capacitor");
  CHECK(hw_to_json(back, energy_back) == hw_to_json(chip, energy));
  // Without a second device there is no "second" to set, and no share noise on a device that stores no charge.
  hw::ChipParams plain = hw::chip_preset("reram", {784, 100});
  CHECK_THROWS_WITH(apply_hw_overrides(plain, energy, {"second.device.share_noise=0.001"}),
                    Catch::Contains("no parameter"));
  CHECK_THROWS_WITH(apply_hw_overrides(plain, energy, {"device.share_noise=0.001"}), Catch::Contains("charge_sharing"));
}
