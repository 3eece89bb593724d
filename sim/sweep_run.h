#pragma once
// Running a sweep: the scenario checked once before any run, each run a child process writing its own
// JSON, each finished run one durable row of DIR/results.csv. Local workers are threads that each wait
// on one child; sim/sweep_mpi.h hands the same runs to MPI ranks.
#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sim/progress.h"
#include "sim/sweep_grid.h"
#include "sim/sweep_table.h"

namespace mortal {

// The scenario binary: a path (holding '/') as it is, a name from the folder this program lives in.
std::string resolve_scenario(const std::string& scenario);

// Before any run, throws Error naming what the scenario would refuse: an option no run of it knows (its
// --help lists every option; each distinct set of option values is parsed by it with --help, so a value
// of the wrong kind fails too), a hardware axis on a scenario without --hw, an unknown hardware path or a
// value its parameter cannot take (sim/hw_config.h, on the point's --device preset, pcm by default).
void check_sweep(const SweepSpec& spec, const std::string& program);

// Appends the scalars of `j` to `row` under dotted names from `prefix` ("metrics.reads.0.idle_s"); array
// elements by index; arrays longer than 64 elements (learning curves) are left out.
void flatten_scalars(const nlohmann::json& j, const std::string& prefix, CsvRow& row);

// Keeps of `row`'s metric columns (those beginning "metrics.") the ones `wanted` names, each a column or
// the prefix of a group of them (sweep_grid.h, SweepSpec::metrics); all when `wanted` is empty. Returns the
// names in `wanted` that match none of the row's metrics.
std::vector<std::string> keep_metrics(const std::vector<std::string>& wanted, CsvRow& row);

// What one run produced: its row and, when it wrote one, its whole JSON text.
struct RunOutcome {
  CsvRow row;
  std::string json_text;
};
// Runs point `point`, replica `replica` as a child process writing `runs_dir`/ID.json (and ID.log, the
// tails of what it printed). A run that fails (non-zero exit, a signal, no readable JSON) is a row with
// status "failed", its exit code or signal, and the last lines of its stderr in `error`.
RunOutcome run_one(const SweepSpec& spec, const std::string& program, const std::string& runs_dir, int point,
                   int replica);

// One sweep's folder: sweep.json (what the sweep is), results.csv (one row per finished run), runs/.
class SweepDir {
 public:
  // Creates the folder or opens it; a folder holding another sweep is refused, naming each difference,
  // unless the two differ only in --metrics and no run is recorded yet (a sweep stopped at its first run
  // by an unknown metric name reruns with the name corrected).
  SweepDir(const SweepSpec& spec, std::string dir, const std::vector<std::string>& command);

  const SweepSpec& spec() const { return spec_; }
  const std::string& dir() const { return dir_; }
  std::string runs_dir() const { return dir_ + "/runs"; }

  // The runs of `points` (all when empty) without a row yet, point by point, replica by replica.
  std::vector<std::pair<int, int>> pending(const std::vector<int>& points);
  // Starts the progress line over `points`' runs.
  void start_progress(const std::vector<int>& points);
  // Records a finished run (its JSON under runs/ when given): a durable row, then the progress line. A
  // run another process recorded meanwhile is not recorded twice. Only the metrics the sweep keeps go in
  // the row; a successful run that has not every metric --metrics names is refused (Error naming them,
  // and the metrics it has), the row left out. Thread-safe.
  void record(const RunOutcome& outcome);

  int failed() const { return failed_; }

 private:
  SweepSpec spec_;
  std::string dir_;
  SweepTable table_;
  std::mutex mutex_;
  std::unique_ptr<Progress> progress_;
  std::vector<int> progress_points_;
  int total_ = 0, done_ = 0, failed_ = 0;
  void report();
};

// Runs `runs` on `workers` local children at a time.
void run_local(SweepDir& sweep, const std::string& program, const std::vector<std::pair<int, int>>& runs, int workers);

}  // namespace mortal
