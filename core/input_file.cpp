#include "core/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace mortal {
namespace {

const char* file_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "another kind of file";
}

void require_regular(const struct stat& st, const std::string& path, const char* what) {
  require(S_ISREG(st.st_mode), "{}: {} must be a regular file, this is {}", path, what, file_type(st.st_mode));
}

// Closes the descriptor on every path out of read_input_file.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Throws Error naming the path, what it is for and why, the last call having failed with errno.
[[noreturn]] void fail_errno(const char* doing, const std::string& path, const char* what) {
  const int err = errno;
  fail("{}: cannot {} {}: {}", path, doing, what, std::strerror(err));
}

}  // namespace

void require_regular_file(const std::string& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail_errno("open", path, what);
  require_regular(st, path, what);
}

std::vector<std::uint8_t> read_input_file(const std::string& path, const char* what, std::size_t max_bytes) {
  require_regular_file(path, what);
  // O_NONBLOCK: should the path become a FIFO between the check and the open, the open returns at once
  // and fstat refuses it; on a regular file the flag changes nothing.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) fail_errno("open", path, what);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail_errno("read", path, what);
  require_regular(st, path, what);
  const auto size = static_cast<std::size_t>(st.st_size);
  require(size <= max_bytes, "{}: {} of {} bytes is larger than the {} bytes this reader accepts", path, what,
          size, max_bytes);
  std::vector<std::uint8_t> bytes(size);
  std::size_t have = 0;
  while (have < size) {
    const ssize_t n = ::read(f.fd, bytes.data() + have, size - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("read", path, what);
    if (n == 0) break;  // the file shrank while being read
    have += static_cast<std::size_t>(n);
  }
  require(have == size, "{}: {} changed while being read ({} of {} bytes)", path, what, have, size);
  return bytes;
}

}  // namespace mortal
