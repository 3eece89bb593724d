#include "sim/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/error.h"

extern char** environ;

namespace mortal {
namespace {

void keep_tail(std::string& s, std::size_t keep) {
  if (s.size() > 2 * keep) s.erase(0, s.size() - keep);  // trimmed now and then, not on every read
}

}  // namespace

std::string ProcessResult::describe() const {
  if (!started) return "not started: " + error;
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exit code {}", exit_code);
}

std::string tail_lines(const std::string& text, int lines) {
  std::size_t at = text.size();
  while (at > 0 && text[at - 1] == '\n') --at;
  const std::size_t end = at;
  for (int n = 0; n < lines && at > 0; ++n) {
    const std::size_t nl = text.rfind('\n', at - 1);
    at = nl == std::string::npos ? 0 : nl;
  }
  const std::size_t from = at == 0 ? 0 : at + 1;
  return text.substr(from, end - from);
}

ProcessResult run_process(const std::vector<std::string>& argv_in, const ProcessOptions& options) {
  require(!argv_in.empty(), "run_process: no program given");
  std::vector<std::string> argv_text = argv_in;
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_fd[2], err_fd[2] = {-1, -1};
  require(::pipe2(out_fd, O_CLOEXEC) == 0, "{}: cannot create a pipe: {}", argv_in[0], std::strerror(errno));
  if (!options.merge_output && ::pipe2(err_fd, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(out_fd[0]);
    ::close(out_fd[1]);
    fail("{}: cannot create a pipe: {}", argv_in[0], std::strerror(e));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, options.merge_output ? out_fd[1] : err_fd[1], 2);
  pid_t pid = 0;
  const bool search = argv_in[0].find('/') == std::string::npos;
  const int spawned = search ? posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ)
                             : posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_fd[1]);
  if (err_fd[1] >= 0) ::close(err_fd[1]);
  ProcessResult run;
  if (spawned != 0) {
    ::close(out_fd[0]);
    if (err_fd[0] >= 0) ::close(err_fd[0]);
    run.error = std::strerror(spawned);
    return run;
  }
  // Both pipes drained together: a child that fills one while we block on the other would never finish.
  std::array<pollfd, 2> fds{{{out_fd[0], POLLIN, 0}, {err_fd[0], POLLIN, 0}}};
  std::string* sinks[2] = {&run.out, &run.err};
  std::array<char, 8192> buf{};
  int open = err_fd[0] >= 0 ? 2 : 1;
  while (open > 0) {
    if (::poll(fds.data(), nfds_t(2), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
      if (got > 0) {
        sinks[i]->append(buf.data(), std::size_t(got));
        keep_tail(*sinks[i], options.keep_bytes);
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  for (std::string* s : sinks)
    if (s->size() > options.keep_bytes) s->erase(0, s->size() - options.keep_bytes);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.started = true;
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
    // posix_spawnp reports a missing program either way, depending on the C library: as an error above,
    // or as a child that exits with 127 having printed nothing.
    if (run.exit_code == 127 && run.out.empty() && run.err.empty()) {
      run.started = false;
      run.error = "not found";
    }
  } else if (WIFSIGNALED(status)) {
    run.exit_code = -1;
    run.signal = WTERMSIG(status);
  }
  return run;
}

}  // namespace mortal
