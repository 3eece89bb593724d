#pragma once
// Progress of a long loop: step, loss, accuracy, elapsed time and ETA. On a terminal one line that
// updates in place; otherwise (a log file, CI) one plain line per report. A loop that is one phase of a
// longer run (sim/run_eta.h) prints the run's elapsed time and its ETA to the end of the run.
#include <cstdio>
#include <string>

#include "sim/results.h"
#include "sim/run_eta.h"

namespace mortal {

class Progress {
 public:
  // `label` names the loop ("epoch", "step"), `total` its length.
  Progress(std::string label, int total, std::FILE* stream = stderr);
  ~Progress();

  // The loop continues a run that had already finished `done` (a resumed checkpoint): the ETA comes
  // from what this process has done since, not from work it never timed.
  void resume_at(int done) { first_ = done; }
  // The loop is a phase of `run`, which its caller keeps timed: the line shows the run's elapsed time and
  // ETA instead of the loop's.
  void follow(const RunEta* run) { run_ = run; }
  // Reports that `done` of `total` are finished; `metrics` is free text ("loss 0.31 | acc 91.2%").
  void report(int done, const std::string& metrics);
  void finish();  // ends the updating line, if any

  static std::string format_duration(double seconds);

 private:
  std::string label_;
  int total_;
  std::FILE* stream_;
  bool tty_;
  bool open_line_ = false;
  int first_ = 0;
  const RunEta* run_ = nullptr;
  Stopwatch clock_;
};

}  // namespace mortal
