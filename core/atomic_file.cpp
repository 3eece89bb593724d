#include "core/atomic_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace mortal {

void write_file_atomic(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  const fs::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    require(bool(out), "{}: cannot create file", tmp.string());
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(tmp);
      fail("{}: write failed", tmp.string());
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp);
    fail("{}: cannot rename into place: {}", path, ec.message());
  }
}

}  // namespace mortal
