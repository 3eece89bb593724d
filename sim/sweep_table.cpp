#include "sim/sweep_table.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace mortal {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
  return line + "\n";
}

std::vector<std::string> csv_split(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r' && c != '\n') {
      fields.back() += c;
    }
  }
  require(!quoted, "unterminated quote in CSV line: {}", line);
  return fields;
}

std::string SweepTable::key(const CsvRow& row) {
  auto get = [&](const char* c) {
    auto it = row.find(c);
    return it == row.end() ? std::string() : it->second;
  };
  return get("point") + "-" + get("replica");
}

SweepTable::SweepTable(std::string path, std::vector<std::string> fixed)
    : path_(std::move(path)), fixed_(std::move(fixed)) {
  reload();
}

void SweepTable::reload() {
  header_.clear();
  rows_.clear();
  keys_.clear();
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    header_ = fixed_;
    rewrite();
    return;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  if (!text.empty() && text.back() != '\n') {
    // A write cut short by a kill or a crash: the run it records is not done and will run again.
    const std::size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    fmt::print(stderr, "sweep: {}: dropping a torn last line ({} bytes) left by an interrupted write\n", path_,
               text.size() - keep);
    text.resize(keep);
    std::filesystem::resize_file(path_, keep);
  }
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    std::vector<std::string> f = csv_split(line);
    if (number == 1) {
      header_ = f;
      require(header_.size() >= fixed_.size() && std::equal(fixed_.begin(), fixed_.end(), header_.begin()),
              "{}: its columns ({}) do not begin with this sweep's ({}): another sweep's table?", path_,
              fmt::join(header_, ","), fmt::join(fixed_, ","));
      continue;
    }
    require(f.size() == header_.size(), "{} line {}: {} fields under a header of {}", path_, number, f.size(),
            header_.size());
    CsvRow row;
    for (std::size_t i = 0; i < f.size(); ++i)
      if (!f[i].empty()) row[header_[i]] = f[i];
    const std::string k = key(row);
    if (keys_.count(k)) continue;  // a run recorded twice keeps its first row
    keys_[k] = int(rows_.size());
    rows_.push_back(std::move(row));
  }
  if (header_.empty()) {
    header_ = fixed_;
    rewrite();
  }
}

void SweepTable::rewrite() {
  std::string text = csv_line(header_);
  for (const CsvRow& row : rows_) {
    std::vector<std::string> f;
    for (const std::string& c : header_) f.push_back(row.count(c) ? row.at(c) : std::string());
    text += csv_line(f);
  }
  write_file_atomic(path_, text);
}

void SweepTable::append(const CsvRow& in_row) {
  // One physical line per row, whatever a run printed.
  CsvRow row;
  for (const auto& [c, v] : in_row) {
    std::string clean = v;
    std::replace(clean.begin(), clean.end(), '\n', ' ');
    std::replace(clean.begin(), clean.end(), '\r', ' ');
    row[c] = clean;
  }
  const std::string k = key(row);
  require(!keys_.count(k), "{}: run {} is recorded already", path_, k);
  std::set<std::string> extra;
  for (const auto& [c, v] : row)
    if (std::find(header_.begin(), header_.end(), c) == header_.end()) extra.insert(c);
  keys_[k] = int(rows_.size());
  rows_.push_back(row);
  if (!extra.empty()) {
    std::set<std::string> metrics(header_.begin() + std::ptrdiff_t(fixed_.size()), header_.end());
    metrics.insert(extra.begin(), extra.end());
    header_ = fixed_;
    header_.insert(header_.end(), metrics.begin(), metrics.end());
    rewrite();
    return;
  }
  std::vector<std::string> f;
  for (const std::string& c : header_) f.push_back(row.count(c) ? row.at(c) : std::string());
  const std::string line = csv_line(f);
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  require(fd >= 0, "{}: cannot open to append: {}", path_, std::strerror(errno));
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      fail("{}: cannot append a row: {}", path_, std::strerror(e));
    }
    done += std::size_t(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  require(synced, "{}: cannot flush a row to the disk: {}", path_, std::strerror(errno));
}

SweepTable::Lock::Lock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  require(fd_ >= 0, "{}: cannot open: {}", path, std::strerror(errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int e = errno;
    ::close(fd_);
    fail("{}: cannot lock: {}", path, std::strerror(e));
  }
}

SweepTable::Lock::~Lock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace mortal
