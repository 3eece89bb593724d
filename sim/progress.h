#pragma once
// Progress of a long loop: step, loss, accuracy, elapsed time and ETA. On a terminal one line that
// updates in place; otherwise (a log file, CI) one plain line per report.
#include <cstdio>
#include <string>

#include "sim/results.h"

namespace mortal {

class Progress {
 public:
  // `label` names the loop ("epoch", "step"), `total` its length.
  Progress(std::string label, int total, std::FILE* stream = stderr);
  ~Progress();

  // The loop continues a run that had already finished `done` (a resumed checkpoint): the ETA comes
  // from what this process has done since, not from work it never timed.
  void resume_at(int done) { first_ = done; }
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
  Stopwatch clock_;
};

}  // namespace mortal
