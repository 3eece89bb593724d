#include "sim/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

namespace mortal {

Progress::Progress(std::string label, int total, std::FILE* stream)
    : label_(std::move(label)), total_(total), stream_(stream), tty_(::isatty(::fileno(stream)) != 0) {}

Progress::~Progress() { finish(); }

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  if (s < 60) return fmt::format("{:.1f}s", seconds);
  if (s < 3600) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
}

void Progress::report(int done, const std::string& metrics) {
  const double loop_s = clock_.seconds();
  const double elapsed = run_ != nullptr ? run_->elapsed_s() : loop_s;
  const std::string eta = run_ != nullptr ? run_->text()
                          : done > first_ ? format_duration(loop_s * (total_ - done) / (done - first_))
                                          : format_duration(NAN);
  const std::string line =
      fmt::format("{} {}/{} | {} | {} elapsed, ETA {}", label_, done, total_, metrics, format_duration(elapsed), eta);
  if (tty_) {
    fmt::print(stream_, "\r\033[K{}", line);
    open_line_ = true;
  } else {
    fmt::print(stream_, "{}\n", line);
  }
  std::fflush(stream_);
}

void Progress::finish() {
  if (open_line_) fmt::print(stream_, "\n");
  open_line_ = false;
}

}  // namespace mortal
