#pragma once
// Child processes without a shell: a program and its arguments reach it as they are (no quoting, no
// globbing), its output comes back through pipes, and how it ended is told apart (exit code or signal).
#include <string>
#include <vector>

namespace mortal {

struct ProcessOptions {
  bool merge_output = false;         // stderr into the same capture as stdout (in `out`)
  std::size_t keep_bytes = 1 << 20;  // of each stream, the last this many bytes are kept
};

struct ProcessResult {
  bool started = false;  // false: the program could not be run (`error` says why)
  int exit_code = 0;     // when it exited; -1 when a signal ended it
  int signal = 0;        // the signal that ended it, or 0
  std::string error;
  std::string out, err;  // what it printed (the tails, see keep_bytes)
  bool ok() const { return started && signal == 0 && exit_code == 0; }
  // "exit code 3", "killed by signal 9 (Killed)", "not started: No such file or directory"
  std::string describe() const;
};

// Runs argv[0] (searched on PATH unless it holds a '/') with stdin from /dev/null and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// The last `lines` lines of `text`, without the trailing newlines.
std::string tail_lines(const std::string& text, int lines);

}  // namespace mortal
