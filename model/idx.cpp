#include "model/idx.h"

#include <fstream>

#include "core/error.h"
#include "core/gzip.h"

namespace mortal {
namespace {

// Refuse to inflate past this: a hostile or corrupt stream must not exhaust memory.
constexpr std::size_t kMaxInflatedBytes = std::size_t{1} << 31;

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

std::size_t IdxArray::item_size() const {
  std::size_t n = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) n *= dims[i];
  return n;
}

std::vector<std::uint8_t> inflate_if_gzip(std::vector<std::uint8_t> bytes, const std::string& name) {
  if (!is_gzip(bytes.data(), bytes.size())) return bytes;
  return gunzip(bytes.data(), bytes.size(), name, kMaxInflatedBytes);
}

std::vector<std::uint8_t> read_maybe_gzip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  require(bool(in), "{}: cannot open file", path);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  require(!in.bad(), "{}: read error", path);
  return inflate_if_gzip(std::move(bytes), path);
}

IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  require(size >= 4, "{}: file is {} bytes, too short for an IDX header", name, size);
  require(bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08 && bytes[3] >= 1,
          "{}: wrong magic number 0x{:02x}{:02x}{:02x}{:02x} (expected 0x000008NN: unsigned bytes, NN "
          "dimensions)",
          name, bytes[0], bytes[1], bytes[2], bytes[3]);
  const std::size_t ndims = bytes[3];
  const std::size_t header = 4 + 4 * ndims;
  require(size >= header, "{}: truncated header: {} dimensions need {} bytes, file has {}", name, ndims,
          header, size);
  IdxArray a;
  std::size_t expected = 1;
  for (std::size_t i = 0; i < ndims; ++i) {
    std::uint32_t d = read_be32(bytes + 4 + 4 * i);
    a.dims.push_back(d);
    require(d == 0 || expected <= kMaxInflatedBytes / d,
            "{}: header dimensions {} declare more data than any file can hold", name, fmt::join(a.dims, "x"));
    expected *= d;
  }
  const std::size_t have = size - header;
  require(have >= expected, "{}: truncated data: header dimensions {} need {} bytes, file has {}", name,
          fmt::join(a.dims, "x"), expected, have);
  require(have == expected,
          "{}: header dimensions {} need {} data bytes but the file has {} (it does not match the header)",
          name, fmt::join(a.dims, "x"), expected, have);
  a.data.assign(bytes + header, bytes + header + expected);
  return a;
}

IdxArray read_idx(const std::string& path) {
  std::vector<std::uint8_t> bytes = read_maybe_gzip(path);
  return parse_idx(bytes.data(), bytes.size(), path);
}

}  // namespace mortal
