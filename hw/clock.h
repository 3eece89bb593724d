#pragma once
// The simulated time of the process. The SystemC kernel counts time in a 64-bit integer of its resolution
// (1 ps by default), and sc_time's conversion from seconds goes no further than 2^63 ps, about 106 days. A
// chip idles for months and years (drift, faults appearing with age), so the process's time is the
// kernel's time stamp plus the idle time skipped past a horizon the kernel is never idled beyond. Nothing
// is computed while a chip idles, so skipping loses nothing; every simulated time in hw/ is read here.
namespace mortal::hw {

// The kernel's time stamp plus the skipped idle time, in seconds.
double sim_now_s();
// Idle time past this kernel time (s) is skipped, not run: 2^62 times the kernel's resolution (53 days at
// 1 ps), leaving the kernel as much again for the work that follows.
double kernel_horizon_s();
// The idle time skipped so far (s), and skipping more (a checkpoint's restore sets it forward to its own;
// it never goes back).
double skipped_idle_s();
void skip_idle(double seconds);

}  // namespace mortal::hw
