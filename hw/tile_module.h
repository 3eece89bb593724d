#pragma once
// The timed SystemC shell around one crossbar core (all physical tiles of one layer, working in parallel).
// A batch is one transaction: the core computes it at the time it is issued and returns how long it took;
// the caller annotates that time (no wait per operation). The shell's only processes replay traced values
// into a VCD file, sample by sample, when tracing is on.
#include <systemc>

#include <deque>
#include <memory>
#include <vector>

#include "hw/crossbar.h"

namespace mortal::hw {

class TileModule : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(TileModule);
  TileModule(sc_core::sc_module_name name, const CrossbarParams& params, Ledger& ledger, int out, int in,
             std::uint64_t seed);

  Crossbar& core() { return *core_; }
  const Crossbar& core() const { return *core_; }

  // The operations, issued at time t_s (seconds of simulated time); each returns its duration.
  OpTime forward_at(MatRef z, ConstMatRef x, double t_s, FastRng& rng, ForwardIO io = {});
  OpTime update_at(ConstMatRef x, ConstMatRef d, float lr, double t_s, FastRng& rng);
  OpTime program_at(ConstMatRef w, double t_s, FastRng& rng);

  // Trace into tf the first n_in input voltages (V), the first n_out output currents (uA) and the
  // expected pulse count of the first n_in rows per sample, plus the device pulses per sample of an
  // update, for operations issued in [t_begin_s, t_end_s]. Call before sc_start.
  void trace_signals(sc_core::sc_trace_file* tf, int n_in, int n_out, double t_begin_s, double t_end_s);

 private:
  struct Frame {
    double at_s;
    std::vector<double> v, i, row_pulses;
    double pulses;
  };
  void replay();
  void record_forward(ConstMatRef z, double t_s);
  void record_update(int batch, double t_s);
  void schedule(Frame f);

  std::unique_ptr<Crossbar> core_;
  bool tracing_ = false;
  double trace_begin_s_ = 0, trace_end_s_ = 0;
  std::vector<double> v_in_, i_out_, row_pulses_;
  double pulses_ = 0;
  std::deque<Frame> frames_;
  sc_core::sc_event frame_event_;
};

}  // namespace mortal::hw
