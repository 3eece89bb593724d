#include "hw/tile_module.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "hw/clock.h"

namespace mortal::hw {

TileModule::TileModule(sc_core::sc_module_name name, const CrossbarParams& params, Ledger& ledger, int out,
                       int in, std::uint64_t seed)
    : sc_core::sc_module(name),
      core_(std::make_unique<Crossbar>(this->name(), params, ledger, out, in, seed, basename())) {
  // An SC_METHOD, not an SC_THREAD: no coroutine stack (cheaper, and clean under AddressSanitizer).
  SC_METHOD(replay);
  sensitive << frame_event_;
  dont_initialize();
}

OpTime TileModule::forward_at(MatRef z, ConstMatRef x, double t_s, FastRng& rng, ForwardIO io) {
  const OpTime t = core_->forward(z, x, t_s, rng, io);
  if (tracing_ && t_s >= trace_begin_s_ && t_s <= trace_end_s_) record_forward(z, t_s);
  return t;
}

OpTime TileModule::update_at(ConstMatRef x, ConstMatRef d, float lr, double t_s, FastRng& rng) {
  const OpTime t = core_->update(x, d, lr, t_s, rng);
  if (tracing_ && t_s >= trace_begin_s_ && t_s <= trace_end_s_ &&
      core_->params().update.kind == UpdateKind::pulsed)
    record_update(int(x.rows()), t_s);
  return t;
}

OpTime TileModule::program_at(ConstMatRef w, double t_s, FastRng& rng) { return core_->program(w, t_s, rng); }

void TileModule::trace_signals(sc_core::sc_trace_file* tf, int n_in, int n_out, double t_begin_s, double t_end_s) {
  require(tf != nullptr, "{}: trace needs a trace file", name());
  require(n_in >= 0 && n_in <= core_->inputs(), "{}: n_in must lie in 0..{}, got {}", name(), core_->inputs(),
          n_in);
  require(n_out >= 0 && n_out <= core_->outputs(), "{}: n_out must lie in 0..{}, got {}", name(),
          core_->outputs(), n_out);
  require(t_begin_s <= t_end_s, "{}: trace window [{}, {}] is empty", name(), t_begin_s, t_end_s);
  tracing_ = true;
  trace_begin_s_ = t_begin_s;
  trace_end_s_ = t_end_s;
  // Sized once: sc_trace keeps the addresses.
  v_in_.assign(std::size_t(n_in), 0.0);
  row_pulses_.assign(std::size_t(n_in), 0.0);
  i_out_.assign(std::size_t(n_out), 0.0);
  const std::string base = basename();
  for (int i = 0; i < n_in; ++i) {
    sc_core::sc_trace(tf, v_in_[std::size_t(i)], fmt::format("{}.v_in_{}", base, i));
    sc_core::sc_trace(tf, row_pulses_[std::size_t(i)], fmt::format("{}.row_pulses_{}", base, i));
  }
  for (int j = 0; j < n_out; ++j) sc_core::sc_trace(tf, i_out_[std::size_t(j)], fmt::format("{}.i_out_ua_{}", base, j));
  sc_core::sc_trace(tf, pulses_, base + ".device_pulses");
}

void TileModule::schedule(Frame f) {
  const double now = sim_now_s();
  const double delay = std::max(0.0, f.at_s - now);
  frames_.push_back(std::move(f));
  frame_event_.notify(sc_core::sc_time(delay, sc_core::SC_SEC));
}

void TileModule::record_forward(ConstMatRef z, double t_s) {
  const auto& p = core_->params();
  const Mat& xq = core_->last_inputs();
  const double v_per_unit = p.v_read_v / p.dac.range;
  // Output current of a column: v_per_unit g_unit sum_i x_i w_ij (uA), from the converted output.
  const double i_per_unit = v_per_unit * p.device.g_unit_us() / p.w_scale;
  const double step_s = core_->forward_time_ns(1) * 1e-9;
  for (Eigen::Index b = 0; b < z.rows(); ++b) {
    Frame f{t_s + double(b) * step_s, {}, {}, std::vector<double>(row_pulses_.size(), 0.0), 0.0};
    for (std::size_t i = 0; i < v_in_.size(); ++i) f.v.push_back(xq(b, Eigen::Index(i)) * v_per_unit);
    for (std::size_t j = 0; j < i_out_.size(); ++j) f.i.push_back(z(b, Eigen::Index(j)) * i_per_unit);
    schedule(std::move(f));
  }
}

void TileModule::record_update(int batch, double t_s) {
  const Mat& p = core_->last_row_probabilities();
  const int bl = core_->params().update.bl;
  const double step_s = core_->update_time_ns(1) * 1e-9;
  // The sampled-count update has no per-sample split of device pulses: each sample shows the mean.
  const double per_sample = core_->last_pulses() / std::max(batch, 1);
  for (int b = 0; b < batch && p.rows() == batch; ++b) {
    Frame f{t_s + b * step_s, std::vector<double>(v_in_.size(), 0.0), std::vector<double>(i_out_.size(), 0.0),
            {}, per_sample};
    for (std::size_t i = 0; i < row_pulses_.size(); ++i) f.row_pulses.push_back(bl * p(b, Eigen::Index(i)));
    schedule(std::move(f));
  }
  Frame end{t_s + batch * step_s, std::vector<double>(v_in_.size(), 0.0),
            std::vector<double>(i_out_.size(), 0.0), std::vector<double>(row_pulses_.size(), 0.0), 0.0};
  schedule(std::move(end));
}

void TileModule::replay() {
  const double now = sim_now_s();
  // Apply every frame that is due (the last one wins; 0.5 ps: half the default time resolution), then
  // wait for the next.
  while (!frames_.empty() && frames_.front().at_s <= now + 0.5e-12) {
    Frame& f = frames_.front();
    std::copy(f.v.begin(), f.v.end(), v_in_.begin());
    std::copy(f.i.begin(), f.i.end(), i_out_.begin());
    std::copy(f.row_pulses.begin(), f.row_pulses.end(), row_pulses_.begin());
    pulses_ = f.pulses;
    frames_.pop_front();
  }
  if (!frames_.empty())
    frame_event_.notify(sc_core::sc_time(std::max(0.0, frames_.front().at_s - now), sc_core::SC_SEC));
}

}  // namespace mortal::hw
