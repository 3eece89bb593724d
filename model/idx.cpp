#include "model/idx.h"

#include <zlib.h>

#include <fstream>
#include <limits>

#include "core/error.h"

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
  if (bytes.size() < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;

  z_stream zs{};
  // 15 + 16: a gzip wrapper is expected.
  require(inflateInit2(&zs, 15 + 16) == Z_OK, "{}: cannot initialise zlib", name);
  std::vector<std::uint8_t> out;
  std::uint8_t chunk[1 << 16];
  zs.next_in = bytes.data();
  zs.avail_in = static_cast<uInt>(std::min<std::size_t>(bytes.size(), std::numeric_limits<uInt>::max()));
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string why = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "stream ends early" : "inflate failed");
      inflateEnd(&zs);
      fail("{}: corrupt gzip stream ({}) after {} compressed bytes", name, why, zs.total_in);
    }
    out.insert(out.end(), chunk, chunk + (sizeof(chunk) - zs.avail_out));
    if (out.size() > kMaxInflatedBytes) {
      inflateEnd(&zs);
      fail("{}: gzip stream inflates to more than {} bytes", name, kMaxInflatedBytes);
    }
    if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      fail("{}: corrupt gzip stream (truncated: it ends after {} compressed bytes without its trailer)", name,
           zs.total_in);
    }
  }
  std::size_t trailing = bytes.size() - zs.total_in;
  inflateEnd(&zs);
  require(trailing == 0, "{}: {} unexpected bytes after the end of the gzip stream", name, trailing);
  return out;
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
