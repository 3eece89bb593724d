#include "core/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace mortal {

bool is_gzip(const std::uint8_t* bytes, std::size_t size) {
  return size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

std::vector<std::uint8_t> gunzip(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                                 std::size_t max_bytes) {
  require(size <= std::numeric_limits<uInt>::max(), "{}: gzip stream of {} bytes is too large", name, size);
  z_stream zs{};
  // 15 + 16: a gzip wrapper is expected.
  require(inflateInit2(&zs, 15 + 16) == Z_OK, "{}: cannot initialise zlib", name);
  std::vector<std::uint8_t> out;
  std::uint8_t chunk[1 << 16];
  zs.next_in = const_cast<Bytef*>(bytes);
  zs.avail_in = static_cast<uInt>(size);
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      const std::string why = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "stream ends early" : "inflate failed");
      const uLong at = zs.total_in;
      inflateEnd(&zs);
      fail("{}: corrupt gzip stream ({}) after {} compressed bytes", name, why, at);
    }
    out.insert(out.end(), chunk, chunk + (sizeof(chunk) - zs.avail_out));
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      fail("{}: gzip stream inflates to more than {} bytes", name, max_bytes);
    }
    if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
      const uLong at = zs.total_in;
      inflateEnd(&zs);
      fail("{}: corrupt gzip stream (truncated: it ends after {} compressed bytes without its trailer)", name,
           at);
    }
  }
  const std::size_t trailing = size - zs.total_in;
  inflateEnd(&zs);
  require(trailing == 0, "{}: {} unexpected bytes after the end of the gzip stream", name, trailing);
  return out;
}

std::vector<std::uint8_t> gzip_compress(const std::uint8_t* bytes, std::size_t size, int level) {
  require(size <= std::numeric_limits<uLong>::max(), "gzip: input of {} bytes is too large", size);
  z_stream zs{};
  require(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK,
          "gzip: cannot initialise zlib at level {}", level);
  std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(size)) + 64);
  zs.next_in = const_cast<Bytef*>(bytes);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  require(rc == Z_STREAM_END, "gzip: deflate failed ({})", rc);
  return out;
}

}  // namespace mortal
