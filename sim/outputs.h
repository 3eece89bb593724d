#pragma once
// The files a run writes, checked before it spends any time: a run that cannot write its results finds
// out at its start, not after hours of training, and a finished record is never replaced unasked.
#include <string>
#include <utility>
#include <vector>

namespace mortal {

struct RunOutputs {
  std::string results;  // --out: the final record
  // Where the record of the run so far goes (status "running" or "stopped"): the results path, or, when
  // --force replaces a finished record, a file beside it, so the finished record stays whole until the
  // new one is.
  std::string running;

  // After the final record is written: removes a running record kept beside it.
  void finish() const;
};

// A file the run writes besides its results, with the option that names it ("--checkpoint").
struct OutputFile {
  std::string option;
  std::string path;
};

// Refuses (Error naming the option, the path and why): two outputs at one path; a path that cannot be
// written (check_output_path: its folder cannot take a file, or something other than a regular file is
// there); a results path holding anything but the record of an unfinished run (status "running" or
// "stopped"), unless `force`.
RunOutputs prepare_outputs(const std::string& out, bool force, const std::vector<OutputFile>& files);

// The files of a plot drawn at `stem` (sim/plot.h): the PNG, its data and its script.
std::vector<OutputFile> plot_files(const std::string& option, const std::string& stem);

}  // namespace mortal
