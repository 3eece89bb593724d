#pragma once
// A VCD trace of an in-situ run's first steps (--trace FILE.vcd): the pipeline's stages and fifos and the
// energy ledger's counters as signals, for a waveform viewer (docs/trace.md: GTKWave).
#include <memory>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace sc_core {
class sc_trace_file;
}  // namespace sc_core

namespace mortal {

struct TraceOptions {
  std::string path;  // --trace: the VCD file; empty: no trace
  int steps = 4;     // --trace-steps: training steps (batches) recorded, from the run's first

  void add_options(CLI::App& app);
  void validate() const;
  bool on() const { return !path.empty(); }
};

// SystemC's VCD writer on a temporary file beside `path`, renamed to `path` by close(): a trace is there
// whole or not at all. Destroyed without close(), it removes the temporary file.
class VcdTrace {
 public:
  explicit VcdTrace(const std::string& path);
  ~VcdTrace();
  VcdTrace(const VcdTrace&) = delete;
  VcdTrace& operator=(const VcdTrace&) = delete;

  sc_core::sc_trace_file* file() { return tf_; }
  void close();

 private:
  std::string path_, part_;
  sc_core::sc_trace_file* tf_ = nullptr;
};

}  // namespace mortal
