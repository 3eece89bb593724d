#include "hw/clock.h"

#include <systemc>

#include <cmath>

#include "core/error.h"

namespace mortal::hw {
namespace {
double skipped_s = 0.0;
}  // namespace

double sim_now_s() { return sc_core::sc_time_stamp().to_seconds() + skipped_s; }

double kernel_horizon_s() { return sc_core::sc_get_time_resolution().to_seconds() * std::ldexp(1.0, 62); }

double skipped_idle_s() { return skipped_s; }

void skip_idle(double seconds) {
  require(std::isfinite(seconds) && seconds >= 0, "skipped idle time must be finite and >= 0, got {} s", seconds);
  skipped_s += seconds;
}

}  // namespace mortal::hw
