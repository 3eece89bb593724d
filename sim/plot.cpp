#include "sim/plot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "sim/results.h"

extern char** environ;

namespace mortal {
namespace {

// A gnuplot string literal. Single quotes: inside double quotes gnuplot runs `backquoted` text as a shell
// command, inside single quotes nothing is substituted and '' stands for one quote.
std::string literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The last lines of a program's output, for an error message.
std::string tail_lines(const std::string& text, int lines) {
  std::size_t at = text.size();
  while (at > 0 && text[at - 1] == '\n') --at;
  const std::size_t end = at;
  for (int n = 0; n < lines && at > 0; ++n) {
    const std::size_t nl = text.rfind('\n', at - 1);
    at = nl == std::string::npos ? 0 : nl;
  }
  return text.substr(at == 0 ? 0 : at + 1, end - (at == 0 ? 0 : at + 1));
}

}  // namespace

GnuplotRun run_gnuplot(const std::vector<std::string>& args) {
  std::vector<std::string> argv_text = {"gnuplot"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipe_fd[2];
  require(::pipe2(pipe_fd, O_CLOEXEC) == 0, "gnuplot: cannot create a pipe: {}", std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // No shell: the arguments reach gnuplot as they are. Its output (both streams) comes back through the
  // pipe, so nothing of it lands on this program's stdout; stdin is empty.
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], 2);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fd[1]);
  GnuplotRun run;
  if (spawned != 0) {
    ::close(pipe_fd[0]);
    run.started = false;
    run.error = std::strerror(spawned);
    return run;
  }
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t got = ::read(pipe_fd[0], buf.data(), buf.size());
    if (got > 0) {
      run.output.append(buf.data(), std::size_t(got));
    } else if (got == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipe_fd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.started = true;
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
    // posix_spawnp reports a missing program either way, depending on the C library: as an error above,
    // or as a child that exits with 127.
    if (run.exit_code == 127 && run.output.empty()) {
      run.started = false;
      run.error = "not found";
    }
  } else if (WIFSIGNALED(status)) {
    run.exit_code = -1;
    run.error = fmt::format("killed by signal {}", WTERMSIG(status));
  }
  return run;
}

void plot_png(const std::string& stem, const PlotSpec& spec, const std::vector<Series>& series) {
  require(!series.empty(), "plot {}: no series to draw", stem);
  std::string csv = "series,x,y\n";
  for (std::size_t s = 0; s < series.size(); ++s) {
    require(series[s].x.size() == series[s].y.size(), "plot {}: series '{}' has {} x values but {} y values",
            stem, series[s].title, series[s].x.size(), series[s].y.size());
    for (std::size_t i = 0; i < series[s].x.size(); ++i)
      csv += fmt::format("{},{:.10g},{:.10g}\n", s, series[s].x[i], series[s].y[i]);
  }
  write_text_atomic(stem + ".csv", csv);

  // The script names no file: the PNG and the data arrive as arguments (ARG1, ARG2), so no path is ever
  // parsed as gnuplot text. It redraws the figure with: gnuplot -c STEM.gp STEM.png STEM.csv
  const std::string png_tmp = stem + ".png.tmp";
  std::string gp = "# gnuplot -c THIS_SCRIPT OUTPUT.png DATA.csv\n";
  gp += "set terminal pngcairo size 900,600 noenhanced\nset output ARG1\n";
  gp += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset grid\nset key below\n", literal(spec.title),
                    literal(spec.xlabel), literal(spec.ylabel));
  gp += "set datafile separator ','\n";
  if (spec.log_x) gp += "set logscale x\n";
  if (spec.log_y) gp += "set logscale y\n";
  if (!spec.xtic_labels.empty()) {
    std::string tics;
    for (std::size_t i = 0; i < spec.xtic_labels.size() && i < series[0].x.size(); ++i)
      tics += fmt::format("{}{} {:.10g}", i ? ", " : "", literal(spec.xtic_labels[i]), series[0].x[i]);
    gp += "set xtics (" + tics + ")\n";
  }
  gp += "plot ";
  for (std::size_t s = 0; s < series.size(); ++s)
    gp += fmt::format("{}ARG2 using 2:($1=={} ? $3 : 1/0) every ::1 with linespoints title {}", s ? ", " : "", s,
                      literal(series[s].title));
  gp += "\n";
  write_text_atomic(stem + ".gp", gp);

  const GnuplotRun run = run_gnuplot({"-c", stem + ".gp", png_tmp, stem + ".csv"});
  std::error_code ec;
  if (!run.started) {
    std::filesystem::remove(png_tmp, ec);
    fail("plot {}.png: cannot run gnuplot ({}); install it with scripts/setup.sh (package gnuplot-nox)", stem,
         run.error);
  }
  if (run.exit_code != 0 || !std::filesystem::exists(png_tmp)) {
    std::filesystem::remove(png_tmp, ec);
    fail("plot {}.png: gnuplot {}{}", stem,
         run.exit_code < 0 ? run.error : fmt::format("exited with code {}", run.exit_code),
         run.output.empty() ? std::string() : ": " + tail_lines(run.output, 5));
  }
  // gnuplot's warnings are diagnostics: they go to stderr, never into a program's standard output.
  if (!run.output.empty()) fmt::print(stderr, "plot {}.png: gnuplot says: {}\n", stem, tail_lines(run.output, 5));
  std::filesystem::rename(png_tmp, stem + ".png", ec);
  require(!ec, "plot {}: cannot rename the PNG into place: {}", stem, ec.message());
}

}  // namespace mortal
