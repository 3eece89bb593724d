#include "core/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace mortal {
namespace {

// Output is grown by at most this much per call of inflate, so memory follows what the stream yields,
// not what a caller allows.
constexpr std::size_t kChunk = std::size_t{1} << 16;

}  // namespace

bool is_gzip(const std::uint8_t* bytes, std::size_t size) {
  return size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

GzipReader::GzipReader(const std::uint8_t* bytes, std::size_t size, std::string name)
    : zs_(std::make_unique<z_stream_s>()), size_(size), name_(std::move(name)) {
  require(size <= std::numeric_limits<uInt>::max(), "{}: gzip stream of {} bytes is too large", name_, size);
  // 15 + 16: a gzip wrapper is expected.
  require(inflateInit2(zs_.get(), 15 + 16) == Z_OK, "{}: cannot initialise zlib", name_);
  zs_->next_in = const_cast<Bytef*>(bytes);
  zs_->avail_in = static_cast<uInt>(size);
}

GzipReader::~GzipReader() { inflateEnd(zs_.get()); }

std::size_t GzipReader::read(std::vector<std::uint8_t>& out, std::size_t n) {
  const std::size_t early = std::min(n, ahead_.size());
  out.insert(out.end(), ahead_.begin(), ahead_.begin() + static_cast<std::ptrdiff_t>(early));
  ahead_.erase(ahead_.begin(), ahead_.begin() + static_cast<std::ptrdiff_t>(early));
  std::size_t produced = early;
  while (produced < n && !ended_) {
    const std::size_t start = out.size();
    const std::size_t want = std::min(n - produced, kChunk);
    out.resize(start + want);
    zs_->next_out = out.data() + start;
    zs_->avail_out = static_cast<uInt>(want);
    const int rc = inflate(zs_.get(), Z_NO_FLUSH);
    const std::size_t got = want - zs_->avail_out;
    out.resize(start + got);
    produced += got;
    const std::size_t consumed = size_ - zs_->avail_in;
    if (rc == Z_STREAM_END) {
      if (zs_->avail_in == 0) {
        ended_ = true;
      } else {
        // Another member follows, or bytes that are not gzip at all.
        require(is_gzip(zs_->next_in, zs_->avail_in),
                "{}: {} unexpected bytes after the end of the gzip stream (at compressed byte {})", name_,
                zs_->avail_in, consumed);
        require(inflateReset(zs_.get()) == Z_OK, "{}: cannot restart zlib for the next gzip member", name_);
      }
      continue;
    }
    if (rc != Z_OK) {
      const bool cut = rc == Z_BUF_ERROR && zs_->avail_in == 0;
      fail("{}: corrupt gzip stream ({}) after {} compressed bytes", name_,
           cut ? "truncated: it ends without its trailer" : zs_->msg ? zs_->msg : "inflate failed", consumed);
    }
    require(!(zs_->avail_in == 0 && zs_->avail_out != 0),
            "{}: corrupt gzip stream (truncated: it ends after {} compressed bytes without its trailer)", name_,
            consumed);
  }
  return produced;
}

bool GzipReader::at_end() {
  if (!ahead_.empty()) return false;
  std::vector<std::uint8_t> next;
  if (read(next, 1) == 0) return true;
  ahead_ = std::move(next);
  return false;
}

std::vector<std::uint8_t> gunzip(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                                 std::size_t max_bytes) {
  GzipReader reader(bytes, size, name);
  std::vector<std::uint8_t> out;
  reader.read(out, max_bytes);
  require(reader.at_end(), "{}: gzip stream inflates to more than {} bytes", name, max_bytes);
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
