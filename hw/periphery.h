#pragma once
// Analog and mixed-signal periphery: DAC, ADC, ReLU, length normaliser, squarer/goodness integrator,
// sigmoid learning-signal unit, pulse generator. Each is a bank of `channels` identical circuits, and each
// circuit has its own gain and offset, drawn once per chip (`*_dtod`), plus output noise on every use
// (`noise`, cycle to cycle). Batches are matrices whose rows are samples (consecutive time steps).
// With all spreads and noise zero a unit computes its ideal function exactly.
#include <string>

#include "core/rng.h"
#include "core/tensor.h"
#include "hw/energy.h"
#include "hw/fast_rng.h"

namespace mortal::hw {

// Spread and noise of one bank of circuits, in units of its output.
struct AnalogParams {
  double gain_dtod = 0.0;    // relative sd of each channel's gain (gain = 1 + gain_dtod N(0,1))
  double offset_dtod = 0.0;  // sd of each channel's offset
  double noise = 0.0;        // sd of output noise per use
  double t_op_ns = 1.0;      // time of one operation on one sample (all channels in parallel)
  void validate(const std::string& unit) const;
};

// What every periphery bank shares: channel count, per-channel gain/offset, a ledger counter.
class PeripheryUnit {
 public:
  PeripheryUnit(std::string name, const AnalogParams& params, Ledger& ledger, const std::string& event,
                double energy_per_op_pj);

  // Draw this instance's gains and offsets for `channels` circuits (the chip's seed decides).
  void sample(int channels, Rng& rng);
  int channels() const { return int(gain_.size()); }
  const RowVec& gain() const { return gain_; }
  const RowVec& offset() const { return offset_; }
  const AnalogParams& analog() const { return analog_; }
  const std::string& name() const { return name_; }
  // Simulated time of one batch of `batch` samples.
  double time_ns(int batch) const { return batch * analog_.t_op_ns; }

 protected:
  // y = gain .* y + offset + noise, per column (channel), in place.
  void apply_spread(MatRef y, FastRng& rng) const;
  bool spread_on() const { return analog_.gain_dtod > 0 || analog_.offset_dtod > 0; }

  std::string name_;
  AnalogParams analog_;
  Ledger* ledger_;
  Ledger::Handle ops_;
  RowVec gain_, offset_;
};

// --- converters ---------------------------------------------------------------------------------------

struct ConverterParams {
  bool quantize = true;  // false: an ideal converter (range and bits ignored)
  int bits = 7;          // resolution; 7-bit DAC, 9-bit ADC are aihwkit's IOParameters defaults
  double range = 1.0;    // full scale: values are clipped to [-range, range]
  AnalogParams analog;
  void validate(const std::string& unit) const;
};

// Digital -> voltage (in normalised input units). x: (batch, channels), v: (batch, channels).
class Dac : public PeripheryUnit {
 public:
  Dac(std::string name, const ConverterParams& params, Ledger& ledger);
  void convert(MatRef v, ConstMatRef x, FastRng& rng) const;
  const ConverterParams& params() const { return params_; }
  // Conversions are booked by the caller that knows how many DAC banks drive a value.
  void book(double conversions) const { ledger_->add(ops_, conversions); }

 private:
  ConverterParams params_;
};

// Current/voltage -> digital. y: (batch, channels) in place.
class Adc : public PeripheryUnit {
 public:
  Adc(std::string name, const ConverterParams& params, Ledger& ledger);
  void convert(MatRef y, FastRng& rng) const;
  const ConverterParams& params() const { return params_; }

 private:
  ConverterParams params_;
};

// Quantise to 2^bits - 1 levels spanning [-range, range] (symmetric, zero representable), clipping outside.
void quantize_symmetric(MatRef y, int bits, double range);

// --- analog functions ---------------------------------------------------------------------------------

// y = max(0, gain x + offset + noise). x, y: (batch, channels).
class AnalogRelu : public PeripheryUnit {
 public:
  AnalogRelu(std::string name, const AnalogParams& params, Ledger& ledger);
  void apply(MatRef y, ConstMatRef x, FastRng& rng) const;
};

// The recurrent net's damped state (model/ff_recurrent.h): a hold capacitor keeps each unit's old state and
// shares its charge with the new sample, y = max(0, gain (keep y + (1 - keep) x) + offset + noise): the mix
// as the capacitors' ratio sets it, then the channel's gain, offset and noise. x, y: (batch, channels); keep
// in [0, 1).
class DampingStage : public PeripheryUnit {
 public:
  DampingStage(std::string name, const AnalogParams& params, Ledger& ledger);
  void apply(MatRef y, ConstMatRef x, float keep, FastRng& rng) const;
};

// y_b = x_b / (sqrt(mean_j x_bj^2) + eps), then per-channel gain/offset/noise: unit mean square, as in
// Hinton's ffnew.m. x, y: (batch, channels).
class LengthNormaliser : public PeripheryUnit {
 public:
  LengthNormaliser(std::string name, const AnalogParams& params, Ledger& ledger, double eps = 1e-4);
  void apply(MatRef y, ConstMatRef x, FastRng& rng) const;

 private:
  double eps_;
};

// Goodness g_b = sum_j gain_j y_bj^2 + sum_j offset_j + noise (one squarer per channel feeding one
// integrator). y: (batch, channels), g: (batch, 1).
class GoodnessIntegrator : public PeripheryUnit {
 public:
  GoodnessIntegrator(std::string name, const AnalogParams& params, Ledger& ledger);
  void apply(MatRef g, ConstMatRef y, FastRng& rng) const;
};

// p = sigmoid(gain (g - theta) + offset) + noise, one circuit per channel. g, p: (batch, channels). FF's
// learning signal is formed from p (model/ff_step.h).
class SigmoidUnit : public PeripheryUnit {
 public:
  SigmoidUnit(std::string name, const AnalogParams& params, Ledger& ledger);
  void apply(MatRef p, ConstMatRef g, float theta, FastRng& rng) const;
};

// Pulse probabilities of a stochastic pulse-coincidence update: p = min(1, scale gain_j |x_bj|); the
// sign travels separately (Gokmen & Vlasov 2016). Offsets shift the probability (then clipped to [0,1]).
// x, p: (batch, channels).
class PulseGenerator : public PeripheryUnit {
 public:
  PulseGenerator(std::string name, const AnalogParams& params, Ledger& ledger);
  void probabilities(MatRef p, ConstMatRef x, float scale) const;
};

}  // namespace mortal::hw
