#include "core/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace mortal {
namespace {

namespace fs = std::filesystem;

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Refuses anything but a regular file or nothing at `path` (the link itself, not where it points).
void require_replaceable(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    require(errno == ENOENT, "{}{}: cannot inspect it: {}", what, path, std::strerror(errno));
    return;
  }
  require(S_ISREG(st.st_mode), "{}{} is {}: only a regular file is written over; choose another path", what, path,
          kind_of(st.st_mode));
}

void make_parent(const fs::path& target, const std::string& what) {
  if (!target.has_parent_path()) return;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  require(!ec, "{}{}: cannot create its folder {}: {}", what, target.string(), target.parent_path().string(),
          ec.message());
}

void sync_folder(const fs::path& target) {
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // the rename happened; a folder that cannot be opened cannot be synced either
  ::fsync(fd);
  ::close(fd);
}

std::string tmp_path(const fs::path& target) { return target.string() + ".tmp." + std::to_string(::getpid()); }

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const fs::path target(path);
  make_parent(target, "");
  require_replaceable(path, "");
  const std::string tmp = tmp_path(target);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  require(fd >= 0, "{}: cannot create file: {}", tmp, std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail("{}: write failed: {}", tmp, std::strerror(err));
    }
    done += std::size_t(n);
  }
  // On the disk before the rename: after a power cut the name holds the old file or the whole new one.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("{}: cannot flush it to the disk: {}", tmp, std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("{}: cannot rename into place: {}", path, std::strerror(err));
  }
  sync_folder(target);
}

void check_output_path(const std::string& path, const std::string& what) {
  const std::string label = what.empty() ? std::string() : what + " ";
  require(!path.empty(), "{}is empty: a file path is needed", label);
  const fs::path target(path);
  make_parent(target, label);
  require_replaceable(path, label);
  // Temporaries of runs that were killed before their rename.
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid != ::getpid() && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) fs::remove(entry.path(), ec);
  }
  // The folder takes a new file: the same create the atomic write will do, undone at once.
  const std::string probe = tmp_path(target) + ".probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  require(fd >= 0, "{}{}: cannot write in its folder {}: {}", label, path, dir.string(), std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace mortal
