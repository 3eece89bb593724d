#include "hw/chip.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.h"

namespace mortal::hw {

void ChipParams::validate() const {
  require(sizes.size() >= 2, "sizes must list at least an input and an output size, got {} entries",
          sizes.size());
  for (std::size_t k = 0; k < sizes.size(); ++k)
    require(sizes[k] >= 1, "sizes[{}] must be >= 1, got {}", k, sizes[k]);
  crossbar.validate();
  if (!second_device.empty()) second.validate();
  relu.validate("relu");
  damping.validate("damping");
  normaliser.validate("normaliser");
  goodness.validate("goodness");
  sigmoid.validate("sigmoid");
  check_nonnegative("sync_quantum_ns", sync_quantum_ns);
  require(weight_copies >= 1 && weight_copies <= kMaxWeightCopies,
          "weight_copies (devices per weight) must lie in 1..{}, got {}", kMaxWeightCopies, weight_copies);
  for (std::size_t i = 0; i < extra_arrays.size(); ++i) {
    const std::string& a = extra_arrays[i];
    require(!a.empty() && a.find_first_of(". ") == std::string::npos,
            "extra_arrays[{}] must be a name without dots or spaces, got '{}'", i, a);
    require(std::count(extra_arrays.begin(), extra_arrays.end(), a) == 1, "extra_arrays names '{}' twice", a);
    require(a.rfind("copy", 0) != 0, "extra_arrays[{}] '{}' is taken by the weights' copies", i, a);
  }
  require(connectivity.empty() || connectivity.size() + 1 == sizes.size(),
          "connectivity lists {} layers, the chip has {}", connectivity.size(), sizes.size() - 1);
  for (std::size_t k = 0; k < connectivity.size(); ++k) {
    const Mat& m = connectivity[k];
    const Eigen::Index out = sizes[k + 1], in = sizes[k] + (bias_row ? 1 : 0);
    require(m.size() == 0 || (m.rows() == out && m.cols() == in),
            "connectivity[{}] is {}x{}, layer {} is {} x {} cross-points", k, m.rows(), m.cols(), k, out, in);
  }
  require(scales.empty() || scales.size() + 1 == sizes.size(), "scales lists {} layers, the chip has {}",
          scales.size(), sizes.size() - 1);
  for (std::size_t k = 0; k < scales.size(); ++k) {
    check_nonnegative(fmt::format("scales[{}].w_scale", k).c_str(), scales[k].w_scale);
    check_nonnegative(fmt::format("scales[{}].input_range", k).c_str(), scales[k].input_range);
    check_nonnegative(fmt::format("scales[{}].output_range", k).c_str(), scales[k].output_range);
  }
}

void ChipParams::set_second_device(const std::string& name) {
  second = crossbar_preset(name);
  second_device = name;
}

CrossbarParams ChipParams::second_crossbar(int k) const {
  return scaled(second_device.empty() ? crossbar : second, k);
}

CrossbarParams ChipParams::layer_crossbar(int k) const { return scaled(crossbar, k); }

CrossbarParams ChipParams::scaled(CrossbarParams c, int k) const {
  if (scales.empty()) return c;
  const LayerScale& s = scales.at(std::size_t(k));
  if (s.w_scale > 0) c.w_scale = s.w_scale;
  if (s.input_range > 0) c.dac.range = s.input_range;
  if (s.output_range > 0) c.adc.range = s.output_range;
  return c;
}

ChipParams chip_preset(const std::string& device, std::vector<int> sizes) {
  ChipParams p;
  p.sizes = std::move(sizes);
  p.crossbar = crossbar_preset(device);
  return p;
}

// --- layers as synaptic arrays ------------------------------------------------------------------------

int ChipLayer::inputs() const { return chip_->tile(index_).core().inputs(); }
int ChipLayer::outputs() const { return chip_->tile(index_).core().outputs(); }

void ChipLayer::forward(MatRef z, ConstMatRef x) {
  const OpTime t = chip_->forward_at(index_, z, x, chip_->now_s(), chip_->rng());
  chip_->advance_ns(t.ns);
}

void ChipLayer::update(ConstMatRef x, ConstMatRef d, float lr) {
  const OpTime t = chip_->update_at(index_, x, d, lr, chip_->now_s(), chip_->rng());
  chip_->advance_ns(t.ns);
}

void ChipLayer::read_weights(MatRef w) {
  const double t_s = chip_->now_s();
  const int copies = chip_->weight_copies();
  Mat wc;
  for (int c = 0; c < copies; ++c) {
    Crossbar& a = chip_->weights(index_, c);
    if (c == 0) {
      a.read_weights(w, t_s);
    } else {
      wc.resize(w.rows(), w.cols());
      a.read_weights(wc, t_s);
      w += wc;
    }
    // One read per input row (one-hot), every output converted.
    const double n = double(a.inputs()) * a.outputs();
    chip_->ledger().add(chip_->ledger().counter(a.name(), "weight_readout_adc", chip_->ledger().params().adc_conversion_pj),
                        n);
  }
  if (copies > 1) w *= 1.0f / float(copies);
  Crossbar& c = chip_->weights(index_);
  chip_->advance_ns(c.forward_time_ns(c.inputs()));
}

// --- chip -----------------------------------------------------------------------------------------------

Chip::Chip(sc_core::sc_module_name name, const ChipParams& params, Ledger& ledger, std::uint64_t seed)
    : sc_core::sc_module(name), p_(params), ledger_(&ledger), seed_(seed), rng_(seed, "chip.c2c") {
  p_.validate();
  for (int k = 0; k + 1 < int(p_.sizes.size()); ++k) {
    const int in = p_.sizes[std::size_t(k)] + (p_.bias_row ? 1 : 0), out = p_.sizes[std::size_t(k) + 1];
    const std::string layer = fmt::format("layer{}", k);
    tiles_.push_back(std::make_unique<TileModule>(layer.c_str(), p_.layer_crossbar(k), ledger, out, in, seed));
    arrays_.push_back(std::make_unique<ChipLayer>(*this, k));
    const std::string path = std::string(this->name()) + "." + layer;
    extra_.emplace_back();
    for (const std::string& a : p_.extra_arrays)
      extra_.back().push_back(
          std::make_unique<Crossbar>(path + "." + a, p_.second_crossbar(k), ledger, out, in, seed, layer + "." + a));
    copies_.emplace_back();
    for (int c = 1; c < p_.weight_copies; ++c)
      copies_.back().push_back(std::make_unique<Crossbar>(fmt::format("{}.copy{}", path, c), p_.layer_crossbar(k),
                                                          ledger, out, in, seed, fmt::format("{}.copy{}", layer, c)));
    copy_out_.emplace_back();
    if (k < int(p_.connectivity.size()) && p_.connectivity[std::size_t(k)].size() > 0) {
      const Mat& present = p_.connectivity[std::size_t(k)];
      tiles_.back()->core().connect(present);
      for (auto& a : extra_.back()) a->connect(present);
      for (auto& c : copies_.back()) c->connect(present);
    }
    relu_.push_back(std::make_unique<AnalogRelu>(path + ".relu", p_.relu, ledger));
    norm_.push_back(std::make_unique<LengthNormaliser>(path + ".normaliser", p_.normaliser, ledger));
    goodness_.push_back(std::make_unique<GoodnessIntegrator>(path + ".goodness", p_.goodness, ledger));
    sigmoid_.push_back(std::make_unique<SigmoidUnit>(path + ".sigmoid", p_.sigmoid, ledger));
    if (p_.damping_stage) damping_.push_back(std::make_unique<DampingStage>(path + ".damping", p_.damping, ledger));
  }
  draw(seed, false);  // the crossbars drew their devices from this seed as they were built
}

void Chip::reseed(std::uint64_t seed) { draw(seed, true); }

void Chip::draw(std::uint64_t seed, bool crossbars) {
  seed_ = seed;
  Rng r = make_rng(seed, "chip.c2c");
  rng_.seed(r);
  for (int k = 0; k < layers(); ++k) {
    if (crossbars) {
      tiles_[std::size_t(k)]->core().reseed(seed);
      for (auto& e : extra_[std::size_t(k)]) e->reseed(seed);
      for (auto& c : copies_[std::size_t(k)]) c->reseed(seed);
    }
    const int out = tiles_[std::size_t(k)]->core().outputs();
    Rng r1 = make_rng(seed, fmt::format("layer{}.relu", k));
    relu_[std::size_t(k)]->sample(out, r1);
    Rng r2 = make_rng(seed, fmt::format("layer{}.normaliser", k));
    norm_[std::size_t(k)]->sample(out, r2);
    Rng r3 = make_rng(seed, fmt::format("layer{}.goodness", k));
    goodness_[std::size_t(k)]->sample(out, r3);
    Rng r4 = make_rng(seed, fmt::format("layer{}.sigmoid", k));
    sigmoid_[std::size_t(k)]->sample(1, r4);
    if (p_.damping_stage) {  // its own stream: a chip without the stage draws the same individual
      Rng r5 = make_rng(seed, fmt::format("layer{}.damping", k));
      damping_[std::size_t(k)]->sample(out, r5);
    }
  }
}

DampingStage& Chip::damping(int k) {
  require(p_.damping_stage, "chip '{}' was built without damping stages (ChipParams::damping_stage)", name());
  return *damping_.at(std::size_t(k));
}

Crossbar& Chip::weights(int k, int c) {
  require(c >= 0 && c < weight_copies(), "layer {} has {} weight copies, no copy {}", k, weight_copies(), c);
  return c == 0 ? tile(k).core() : *copies_.at(std::size_t(k))[std::size_t(c - 1)];
}

OpTime Chip::forward_at(int k, MatRef z, ConstMatRef x, double t_s, FastRng& rng, ForwardIO io) {
  OpTime t = tile(k).forward_at(z, x, t_s, rng, io);
  if (weight_copies() == 1) return t;
  // The rows of every copy carry the first copy's drive (one DAC or driver per input): its inputs as
  // converted or clipped. Each copy's amplifiers saturate and add their noise; the summing stage averages.
  ConstMatRef driven = tile(k).core().last_inputs();
  Mat& zc = copy_out_.at(std::size_t(k));
  zc.resize(z.rows(), z.cols());
  for (int c = 1; c < weight_copies(); ++c) {
    t.ns = std::max(t.ns, weights(k, c).forward(zc, driven, t_s, rng, ForwardIO{false, io.adc}).ns);
    z += zc;
  }
  z *= 1.0f / float(weight_copies());
  return t;
}

OpTime Chip::update_at(int k, ConstMatRef x, ConstMatRef d, float lr, double t_s, FastRng& rng) {
  OpTime t = tile(k).update_at(x, d, lr, t_s, rng);
  for (int c = 1; c < weight_copies(); ++c) t.ns = std::max(t.ns, weights(k, c).update(x, d, lr, t_s, rng).ns);
  return t;
}

OpTime Chip::write_weight_rows(int k, ConstMatRef delta, int row0, double t_s, FastRng& rng, Crossbar::RowWrite mode) {
  OpTime t;
  for (int c = 0; c < weight_copies(); ++c)
    t.ns = std::max(t.ns, weights(k, c).write_rows(delta, row0, t_s, rng, mode).ns);
  return t;
}

void Chip::program(int k, ConstMatRef w) {
  OpTime t = tile(k).program_at(w, now_s(), rng_);
  for (int c = 1; c < weight_copies(); ++c) t.ns = std::max(t.ns, weights(k, c).program(w, now_s(), rng_).ns);
  advance_ns(t.ns);
}

void Chip::read_out(int k, MatRef w, FastRng& rng, int repeats) {
  Mat wc(w.rows(), w.cols());
  for (int c = 0; c < weight_copies(); ++c) {
    advance_ns(weights(k, c).read_out(c == 0 ? w : MatRef(wc), now_s(), rng, repeats).ns);
    if (c > 0) w += wc;
  }
  if (weight_copies() > 1) w *= 1.0f / float(weight_copies());
}

void Chip::clear_extra_arrays() {
  for (int k = 0; k < layers(); ++k)
    for (int i = 0; i < extra_arrays(); ++i) {
      Crossbar& e = extra(k, i);
      advance_ns(e.program(Mat::Zero(e.outputs(), e.inputs()), now_s(), rng_).ns);
    }
}

std::string Chip::calibrate_drift(FastRng& rng) {
  std::string unusable;
  for (int k = 0; k < layers(); ++k)
    for (int i = 0; i < weight_copies(); ++i) {
      Crossbar& c = weights(k, i);
      advance_ns(c.calibrate_drift(Mat::Constant(1, c.inputs(), 1.0f), now_s(), rng).ns);
      if (unusable.empty() && !(c.drift_probe() > 0))
        unusable = fmt::format("the drift probe of layer {}{} reads no usable response (0 or not finite)", k,
                               weight_copies() > 1 ? fmt::format(" copy {}", i) : std::string());
    }
  return unusable;
}

void Chip::compensate_drift(FastRng& rng) {
  for (int k = 0; k < layers(); ++k)
    for (int i = 0; i < weight_copies(); ++i) {
      Crossbar& c = weights(k, i);
      advance_ns(c.compensate_drift(Mat::Constant(1, c.inputs(), 1.0f), now_s(), rng).ns);
    }
}

void Chip::reset_drift_compensation() {
  for (int k = 0; k < layers(); ++k)
    for (int i = 0; i < weight_copies(); ++i) weights(k, i).reset_output_gain();
}

double Chip::now_s() const { return sim_now_s() + pending_ns_ * 1e-9; }

void Chip::advance_ns(double ns) {
  pending_ns_ += ns;
  if (pending_ns_ > p_.sync_quantum_ns) sync();
}

void Chip::sync() {
  // Inside a running process the caller owns time (it annotates with next_trigger); from sc_main the
  // chip hands its local time to the kernel.
  if (sc_core::sc_get_status() == sc_core::SC_RUNNING || pending_ns_ <= 0) return;
  const double ns = pending_ns_;
  pending_ns_ = 0;
  run_kernel(sc_core::sc_time(ns, sc_core::SC_NS));
}

void Chip::idle(double seconds) {
  check_nonnegative("idle seconds", seconds);
  require(std::isfinite(seconds), "idle seconds must be finite, got {}", seconds);
  sync();
  const double kernel_s = std::clamp(kernel_horizon_s() - sc_core::sc_time_stamp().to_seconds(), 0.0, seconds);
  if (kernel_s > 0) run_kernel(sc_core::sc_time(kernel_s, sc_core::SC_SEC));
  if (seconds > kernel_s) skip_idle(seconds - kernel_s);
  const double days = seconds / 86400.0;
  for (int k = 0; k < layers(); ++k) {
    for (int i = 0; i < weight_copies(); ++i) weights(k, i).age(days, rng_);
    for (int i = 0; i < extra_arrays(); ++i) extra(k, i).age(days, rng_);
  }
}

void Chip::run_kernel(const sc_core::sc_time& t) {
  const auto start = std::chrono::steady_clock::now();
  sc_core::sc_start(t);
  kernel_wall_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Chip::save(Checkpoint& c, const std::string& prefix) const {
  for (int k = 0; k < layers(); ++k) {
    tiles_[std::size_t(k)]->core().save(c, fmt::format("{}.layer{}", prefix, k));
    for (int i = 0; i < extra_arrays(); ++i)
      extra(k, i).save(c, fmt::format("{}.layer{}.{}", prefix, k, p_.extra_arrays[std::size_t(i)]));
    for (std::size_t i = 0; i < copies_[std::size_t(k)].size(); ++i)
      copies_[std::size_t(k)][i]->save(c, fmt::format("{}.layer{}.copy{}", prefix, k, i + 1));
  }
  const auto s = rng_.state();
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  c.put_json(prefix + ".chip", {{"seed", seed_},
                                {"layers", layers()},
                                {"extra_arrays", p_.extra_arrays},
                                {"weight_copies", weight_copies()},
                                {"rng", s},
                                {"kernel_time_ps", now.value()},
                                {"skipped_idle_s", skipped_idle_s()},
                                {"resolution_ps", sc_core::sc_get_time_resolution().to_seconds() * 1e12},
                                {"pending_ns", pending_ns_}});
}

void Chip::restore(const Checkpoint& c, const std::string& prefix) {
  const nlohmann::json& j = c.get_json(prefix + ".chip");
  require(j.at("layers").get<int>() == layers(), "checkpoint chip '{}' has {} layers, this chip {}", prefix,
          j.at("layers").get<int>(), layers());
  // Checkpoints from before the extra arrays were named by the learning rule marked them by role.
  require(!j.contains("momentum_arrays") && j.contains("extra_arrays"),
          "checkpoint chip '{}' was written by an older mortal (its extra arrays are not named); start the run "
          "afresh", prefix);
  const auto saved_extra = j.at("extra_arrays").get<std::vector<std::string>>();
  require(saved_extra == p_.extra_arrays, "checkpoint chip '{}' has the extra arrays [{}], this chip [{}]", prefix,
          fmt::format("{}", fmt::join(saved_extra, ", ")), fmt::format("{}", fmt::join(p_.extra_arrays, ", ")));
  require(j.value("weight_copies", 1) == weight_copies(), "checkpoint chip '{}' has {} copies of its weights, this chip {}",
          prefix, j.value("weight_copies", 1), weight_copies());
  const double resolution_ps = sc_core::sc_get_time_resolution().to_seconds() * 1e12;
  require(j.at("resolution_ps").get<double>() == resolution_ps,
          "checkpoint chip '{}' was saved with a time resolution of {} ps, this process uses {} ps", prefix,
          j.at("resolution_ps").get<double>(), resolution_ps);
  if (j.at("seed").get<std::uint64_t>() != seed_) reseed(j.at("seed").get<std::uint64_t>());
  for (int k = 0; k < layers(); ++k) {
    tiles_[std::size_t(k)]->core().restore(c, fmt::format("{}.layer{}", prefix, k));
    for (int i = 0; i < extra_arrays(); ++i)
      extra(k, i).restore(c, fmt::format("{}.layer{}.{}", prefix, k, p_.extra_arrays[std::size_t(i)]));
    for (int i = 1; i < weight_copies(); ++i) weights(k, i).restore(c, fmt::format("{}.layer{}.copy{}", prefix, k, i));
  }
  rng_.set_state(j.at("rng").get<std::array<std::uint64_t, 4>>());
  const sc_core::sc_time saved = sc_core::sc_time::from_value(j.at("kernel_time_ps").get<std::uint64_t>());
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  require(now <= saved, "checkpoint chip '{}' was saved at {} s of simulated time; this process is already at {} s",
          prefix, saved.to_seconds(), now.to_seconds());
  if (saved > now) run_kernel(saved - now);
  // Idle time skipped past the kernel's horizon (hw/clock.h); none in checkpoints from before it was.
  const double skipped = j.value("skipped_idle_s", 0.0);
  require(std::isfinite(skipped) && skipped >= skipped_idle_s(),
          "checkpoint chip '{}' was saved after {} s of skipped idle time; this process has skipped {} s", prefix,
          skipped, skipped_idle_s());
  skip_idle(skipped - skipped_idle_s());
  pending_ns_ = j.at("pending_ns").get<double>();
  require(std::isfinite(pending_ns_) && pending_ns_ >= 0, "checkpoint chip '{}': pending_ns is {}, not a time", prefix,
          pending_ns_);
}

}  // namespace mortal::hw
