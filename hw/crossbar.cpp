// The crossbar: parameters, construction (its devices drawn from the seed), program-and-verify, drift
// compensation and checkpoints. The read path is in crossbar_read.cpp, the pulsed writes in
// crossbar_update.cpp, the conductance state derived from the devices in crossbar_state.cpp.
#include "hw/crossbar.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/parallel.h"
#include "hw/crossbar_blocks.h"

namespace mortal::hw {

// --- parameters ---------------------------------------------------------------------------------------

void UpdateParams::validate() const {
  require(bl >= 1, "update.bl must be >= 1, got {}", bl);
}

void ProgramParams::validate() const {
  require(max_iterations >= 1, "program.max_iterations must be >= 1, got {}", max_iterations);
  check_nonnegative("program.tolerance", tolerance);
}

void TimingParams::validate() const {
  check_nonnegative("timing.t_dac_ns", t_dac_ns);
  check_nonnegative("timing.t_read_ns", t_read_ns);
  check_nonnegative("timing.t_adc_ns", t_adc_ns);
  require(columns_per_adc >= 1, "timing.columns_per_adc must be >= 1, got {}", columns_per_adc);
  check_nonnegative("timing.t_pulse_ns", t_pulse_ns);
  check_nonnegative("timing.t_program_ns", t_program_ns);
}

void CrossbarParams::validate() const {
  device.validate();
  require(max_rows >= 1, "max_rows must be >= 1, got {}", max_rows);
  require(max_cols >= 1, "max_cols must be >= 1, got {}", max_cols);
  check_positive("w_scale", w_scale);
  check_positive("v_read_v", v_read_v);
  dac.validate("dac");
  adc.validate("adc");
  check_nonnegative("out_noise", out_noise);
  check_nonnegative("ir_drop_ohm", ir_drop_ohm);
  pulse_gen.validate("pulse_gen");
  update.validate();
  program.validate();
  timing.validate();
}

CrossbarParams ideal_crossbar() {
  CrossbarParams p;
  p.device = ideal_device();
  p.dac.quantize = false;
  p.adc.quantize = false;
  p.update.kind = UpdateKind::exact;
  return p;
}

CrossbarParams crossbar_preset(const std::string& device) {
  if (device == "ideal") return ideal_crossbar();
  CrossbarParams p;
  p.device = device_preset(device);
  p.out_noise = 0.06;  // aihwkit IOParameters out_noise default
  return p;
}

// --- construction -------------------------------------------------------------------------------------

Crossbar::Crossbar(std::string name, const CrossbarParams& params, Ledger& ledger, int out, int in,
                   std::uint64_t seed, std::string stream)
    : name_(std::move(name)),
      stream_(stream.empty() ? name_ : std::move(stream)),
      p_(params),
      ledger_(&ledger),
      out_(out),
      in_(in),
      row_tiles_((in + params.max_rows - 1) / std::max(params.max_rows, 1)),
      col_tiles_((out + params.max_cols - 1) / std::max(params.max_cols, 1)),
      g_unit_us_(params.device.g_unit_us()),
      dac_(name_ + ".dac", params.dac, ledger),
      row_pulses_(name_ + ".row_pulses", params.pulse_gen, ledger),
      col_pulses_(name_ + ".col_pulses", params.pulse_gen, ledger),
      w_(Mat::Zero(out, in)),
      mode_(params.read_noise_mode),
      read_counter_(ledger.counter(name_, "crossbar_read", 0.0)),
      pulse_counter_(ledger.counter(name_, "pulse", ledger.params().pulse_pj)),
      program_counter_(ledger.counter(name_, "program_pulse", ledger.params().pulse_pj)),
      share_counter_(params.device.charge_sharing
                         ? ledger.counter(name_, "charge_share", ledger.params().periphery_op_pj)
                         : ~Ledger::Handle(0)) {
  p_.validate();
  require(out >= 1 && in >= 1, "{}: a crossbar needs at least one input and one output, got {} x {}", name_,
          out, in);
  count_tiles();
  const int n_adc = p_.adc_per_tile ? row_tiles_ : 1;
  for (int k = 0; k < n_adc; ++k)
    adcs_.emplace_back(n_adc == 1 ? name_ + ".adc" : name_ + ".adc" + std::to_string(k), p_.adc, ledger);
  sample(seed);
}

void Crossbar::sample(std::uint64_t seed) {
  Rng r = make_rng(seed, stream_ + ".devices");
  sample_devices(dev_, p_.device, out_, in_, r);
  Rng rd = make_rng(seed, stream_ + ".dac");
  dac_.sample(in_, rd);
  for (std::size_t k = 0; k < adcs_.size(); ++k) {
    Rng ra = make_rng(seed, stream_ + ".adc", k);
    adcs_[k].sample(out_, ra);
  }
  Rng rr = make_rng(seed, stream_ + ".row_pulses");
  row_pulses_.sample(in_, rr);
  Rng rc = make_rng(seed, stream_ + ".col_pulses");
  col_pulses_.sample(out_, rc);
  clear_empty_faults();
  dirty_ = true;
}

// --- connectivity ---------------------------------------------------------------------------------------

void Crossbar::connect(ConstMatRef present) {
  require(present.rows() == out_ && present.cols() == in_, "{}: connect wants a mask ({}, {}), got {}x{}", name_, out_,
          in_, present.rows(), present.cols());
  for (Eigen::Index i = 0; i < present.size(); ++i)
    require(present.data()[i] == 0.0f || present.data()[i] == 1.0f,
            "{}: a connectivity mask holds 0 (no device) or 1 (a pair), got {} at index {}", name_,
            present.data()[i], i);
  if (present.minCoeff() == 1.0f) {
    present_.resize(0, 0);
    present_per_row_.resize(0);
  } else {
    present_ = present;
    present_per_row_ = present_.colwise().sum();
    w_.array() *= present_.array();
    clear_empty_faults();
    dirty_ = true;
  }
  count_tiles();
}

void Crossbar::count_tiles() {
  tiles_built_ = 0;
  rows_driven_ = 0;
  for (int r0 = 0; r0 < in_; r0 += p_.max_rows)
    for (int c0 = 0; c0 < out_; c0 += p_.max_cols) {
      const int nr = std::min(p_.max_rows, in_ - r0), nc = std::min(p_.max_cols, out_ - c0);
      if (masked() && present_.block(c0, r0, nc, nr).maxCoeff() == 0.0f) continue;
      ++tiles_built_;
      rows_driven_ += nr;
    }
}

long long Crossbar::pairs() const {
  return masked() ? static_cast<long long>(present_per_row_.sum()) : static_cast<long long>(out_) * in_;
}

double Crossbar::cells(int row0, int n, double times) const {
  return times * (masked() ? double(present_per_row_.segment(row0, n).sum()) : double(n) * out_);
}

void Crossbar::clear_empty_faults() {
  if (!masked()) return;
  for (ByteMat* m : {&dev_.stuck_plus, &dev_.stuck_minus})
    for (Eigen::Index i = 0; i < m->size(); ++i)
      if (present_.data()[i] == 0.0f) m->data()[i] = 0;
}

void Crossbar::reseed(std::uint64_t seed) {
  sample(seed);
  out_gain_ = 1.0f;
}

long long Crossbar::age(double days, FastRng& rng) {
  check_nonnegative("age in days", days);
  const double rate = p_.device.stuck_per_day;
  if (rate <= 0 || days <= 0) return 0;
  const double p = -std::expm1(-rate * days);
  long long born = 0;
  for (ByteMat* m : {&dev_.stuck_plus, &dev_.stuck_minus})
    for (Eigen::Index i = 0; i < m->size(); ++i) {
      if ((*m)(i) != 0 || (masked() && present_.data()[i] == 0.0f)) continue;
      const double u = rng.uniform();
      if (u >= p) continue;
      (*m)(i) = u < 0.5 * p ? 1 : 2;
      ++born;
    }
  if (born > 0) dirty_ = true;
  return born;
}

long long Crossbar::stuck_devices() const {
  return (dev_.stuck_plus.array() != 0).count() + (dev_.stuck_minus.array() != 0).count();
}

bool Crossbar::conductance_path() const {
  const auto& d = p_.device;
  return d.drift || d.faults() || p_.ir_drop_ohm > 0;
}

bool Crossbar::read_noise_on() const { return p_.device.read_noise_rel > 0 || p_.device.read_noise_1f; }

// --- program and verify -------------------------------------------------------------------------------

OpTime Crossbar::program(ConstMatRef w, double t_s, FastRng& rng) {
  require(w.rows() == out_ && w.cols() == in_, "{}: program wants w ({}, {}), got {}x{}", name_, out_, in_,
          w.rows(), w.cols());
  const auto& d = p_.device;
  const float inv_scale = float(1.0 / p_.w_scale);
  Mat target = w;
  if (inv_scale != 1.0f) target *= inv_scale;
  target = target.cwiseMax(dev_.w_min).cwiseMin(dev_.w_max);
  if (d.n_states > 0) {
    // Reachable weights are multiples of one conductance level.
    const float level = float((d.g_max_us - d.g_min_us) / (d.n_states - 1) / g_unit_us_);
    target = ((target / level).array().round() * level).matrix();
  }
  int rounds = 1;
  double pulses = 0;
  if (masked()) target.array() *= present_.array();
  if (d.prog_noise_scale == 0) {
    w_ = target;
    pulses = 2.0 * double(pairs());
  } else {
    // Program-and-verify: write both devices of every pair not yet within tolerance, read back, repeat.
    const double gmin = d.g_min_us, gmax = d.g_max_us, gu = g_unit_us_;
    ByteMat done = ByteMat::Zero(out_, in_);
    if (masked()) done = (present_.array() == 0.0f).cast<std::uint8_t>().matrix();  // w_ holds 0 there
    for (rounds = 1; rounds <= p_.program.max_iterations; ++rounds) {
      int left = 0;
      for (int r = 0; r < out_; ++r)
        for (int c = 0; c < in_; ++c) {
          if (done(r, c)) continue;
          const double wt = target(r, c);
          const double gp_t = gmin + std::max(wt, 0.0) * gu, gm_t = gmin + std::max(-wt, 0.0) * gu;
          const double gp = std::clamp(
              gp_t + d.prog_noise_scale * pcm_prog_sigma_us(d.prog_noise, gp_t, gmax) * rng.normal(), gmin, gmax);
          const double gm = std::clamp(
              gm_t + d.prog_noise_scale * pcm_prog_sigma_us(d.prog_noise, gm_t, gmax) * rng.normal(), gmin, gmax);
          w_(r, c) = float((gp - gm) / gu);
          pulses += 2;
          if (std::abs(w_(r, c) - wt) <= p_.program.tolerance)
            done(r, c) = 1;
          else
            ++left;
        }
      if (left == 0) break;
    }
    rounds = std::min(rounds, p_.program.max_iterations);
  }
  ledger_->add(program_counter_, pulses);
  t_program_s_ = t_s;
  out_gain_ = 1.0f;
  dirty_ = true;
  return OpTime{double(rounds) * std::min(in_, p_.max_rows) * p_.timing.t_program_ns};
}

void Crossbar::read_weights(MatRef w, double t_s) {
  w = effective_weights(t_s) * float(p_.w_scale * out_gain_);
}

// --- drift compensation -------------------------------------------------------------------------------

double Crossbar::probe_response(ConstMatRef probe, double t_s, FastRng& rng, OpTime& t) {
  const float saved = out_gain_;
  out_gain_ = 1.0f;
  Mat z(probe.rows(), out_);
  t.ns += forward(z, probe, t_s, rng).ns;
  out_gain_ = saved;
  return double(z.cwiseAbs().sum());
}

OpTime Crossbar::calibrate_drift(ConstMatRef probe, double t_s, FastRng& rng) {
  OpTime t;
  const double response = probe_response(probe, t_s, rng, t);
  probe_reference_ = std::isfinite(response) && response > 0 ? response : 0.0;
  out_gain_ = 1.0f;
  return t;
}

OpTime Crossbar::compensate_drift(ConstMatRef probe, double t_s, FastRng& rng) {
  OpTime t;
  out_gain_ = 1.0f;
  if (!(probe_reference_ > 0)) return t;  // nothing to compensate against (calibrate_drift's probe read nothing)
  const double now = probe_response(probe, t_s, rng, t);
  const double gain = probe_reference_ / now;
  if (std::isfinite(gain) && gain > 0 && now > 0) out_gain_ = float(gain);
  return t;
}


// --- checkpoints ----------------------------------------------------------------------------------------

void Crossbar::save(Checkpoint& c, const std::string& prefix) const {
  c.put(prefix + ".w", w_);
  c.put(prefix + ".dw_up", dev_.dw_up);
  c.put(prefix + ".dw_down", dev_.dw_down);
  c.put(prefix + ".w_min", dev_.w_min);
  c.put(prefix + ".w_max", dev_.w_max);
  c.put(prefix + ".nu_z_plus", dev_.nu_z_plus);
  c.put(prefix + ".nu_z_minus", dev_.nu_z_minus);
  c.put(prefix + ".stuck_plus", Mat(dev_.stuck_plus.cast<float>()));
  c.put(prefix + ".stuck_minus", Mat(dev_.stuck_minus.cast<float>()));
  // The derived-state cache holds within a tolerance of time: a resumed run rebuilds it as of the same
  // moment (cached_log_t, cached_c2), so it continues bit for bit.
  c.put_json(prefix + ".scalars", {{"t_program_s", t_program_s_},
                                   {"out_gain", out_gain_},
                                   {"probe_reference", probe_reference_},
                                   {"cache_valid", !dirty_},
                                   {"cached_log_t", cached_log_t_},
                                   {"cached_c2", cached_c2_}});
}

void Crossbar::restore(const Checkpoint& c, const std::string& prefix) {
  // Shapes and finiteness checked by the reader, the physics here: a crafted checkpoint must not load a
  // state no device could be in.
  const auto dev = [&](const char* name, Mat& m) {
    Mat v;
    c.get(prefix + "." + name, v, out_, in_);
    m = std::move(v);
  };
  dev("w", w_);
  dev("dw_up", dev_.dw_up);
  dev("dw_down", dev_.dw_down);
  dev("w_min", dev_.w_min);
  dev("w_max", dev_.w_max);
  dev("nu_z_plus", dev_.nu_z_plus);
  dev("nu_z_minus", dev_.nu_z_minus);
  const auto flags = [&](const char* name, auto& to) {
    Mat stuck;
    dev(name, stuck);
    for (Eigen::Index i = 0; i < stuck.size(); ++i)
      require(stuck(i) == 0 || stuck(i) == 1 || stuck(i) == 2,
              "checkpoint entry '{}.{}' holds {}, not a stuck flag (0 free, 1 at g_min, 2 at g_max)", prefix,
              name, stuck(i));
    to = stuck.cast<std::uint8_t>();
  };
  flags("stuck_plus", dev_.stuck_plus);
  flags("stuck_minus", dev_.stuck_minus);
  const nlohmann::json& s = c.get_json(prefix + ".scalars");
  t_program_s_ = s.at("t_program_s").get<double>();
  out_gain_ = s.at("out_gain").get<float>();
  probe_reference_ = s.at("probe_reference").get<double>();
  const auto bad = [&](const std::string& what, Eigen::Index i) {
    fail("checkpoint entry '{}': the device at index {} {}", prefix, i, what);
  };
  for (Eigen::Index i = 0; i < w_.size(); ++i) {
    if (!(dev_.w_min(i) < 0 && 0 < dev_.w_max(i)))
      bad(fmt::format("has bounds [{}, {}], which do not hold 0", dev_.w_min(i), dev_.w_max(i)), i);
    if (!(dev_.dw_up(i) >= 0 && dev_.dw_down(i) >= 0))
      bad(fmt::format("has a negative step (dw_up {}, dw_down {})", dev_.dw_up(i), dev_.dw_down(i)), i);
  }
  if (masked())
    for (Eigen::Index i = 0; i < w_.size(); ++i)
      if (present_.data()[i] == 0.0f && (w_.data()[i] != 0.0f || dev_.stuck_plus.data()[i] != 0 ||
                                         dev_.stuck_minus.data()[i] != 0))
        fail("checkpoint entry '{}': cross-point {} holds a weight or a fault, but it is empty (no device): a "
             "checkpoint of a layer of other connectivity?", prefix, i);
  require(std::isfinite(t_program_s_) && std::isfinite(out_gain_) && out_gain_ > 0 &&
              std::isfinite(probe_reference_) && probe_reference_ >= 0,
          "checkpoint entry '{}.scalars' holds an impossible value: {}", prefix, s.dump());
  dirty_ = true;
  if (s.at("cache_valid").get<bool>()) rebuild(s.at("cached_log_t").get<double>(), s.at("cached_c2").get<double>());
}

}  // namespace mortal::hw
