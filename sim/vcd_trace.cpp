#include "sim/vcd_trace.h"

#include <CLI/CLI.hpp>
#include <systemc>

#include <filesystem>

#include "core/error.h"

namespace mortal {

void TraceOptions::add_options(CLI::App& app) {
  app.add_option("--trace", path,
                 "In situ: record the pipeline's stages, fifos and energy counters of the first training steps as "
                 "signals in this VCD file (docs/trace.md)");
  app.add_option("--trace-steps", steps, "In situ with --trace: training steps (batches) to record");
}

void TraceOptions::validate() const {
  require(steps >= 1, "trace-steps must be at least 1, got {}", steps);
}

VcdTrace::VcdTrace(const std::string& path) : path_(path), part_(path + ".part") {
  // SystemC names the file itself: the name given and ".vcd".
  tf_ = sc_core::sc_create_vcd_trace_file(part_.c_str());
  require(tf_ != nullptr, "--trace {}: cannot create the trace file {}.vcd", path_, part_);
  // The kernel's resolution: a stage's hold time is not a whole number of nanoseconds.
  tf_->set_time_unit(1, sc_core::SC_PS);
}

VcdTrace::~VcdTrace() {
  if (tf_ == nullptr) return;
  sc_core::sc_close_vcd_trace_file(tf_);
  std::error_code ec;
  std::filesystem::remove(part_ + ".vcd", ec);
}

void VcdTrace::close() {
  require(tf_ != nullptr, "--trace {}: the trace is already closed", path_);
  sc_core::sc_close_vcd_trace_file(tf_);
  tf_ = nullptr;
  std::error_code ec;
  std::filesystem::rename(part_ + ".vcd", path_, ec);
  require(!ec, "--trace {}: cannot rename {}.vcd into place: {}", path_, part_, ec.message());
}

}  // namespace mortal
