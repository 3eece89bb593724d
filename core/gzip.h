#pragma once
// gzip streams in memory (zlib): data files arrive compressed, checkpoints are written compressed.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct z_stream_s;

namespace mortal {

bool is_gzip(const std::uint8_t* bytes, std::size_t size);

// Inflates gzip data held in memory a piece at a time, so that a reader can decide from what it has
// inflated so far (a header) how much more to accept. Concatenated members inflate to the concatenation
// of their contents, as gzip does. Errors name `name`: corrupt or truncated stream, bytes after the end.
class GzipReader {
 public:
  GzipReader(const std::uint8_t* bytes, std::size_t size, std::string name);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Appends up to n inflated bytes to out and returns how many: fewer than n only at the end of the data.
  std::size_t read(std::vector<std::uint8_t>& out, std::size_t n);
  // Whether the data has ended; reads ahead (through the last member's trailer, checking it) if need be.
  bool at_end();

 private:
  std::unique_ptr<z_stream_s> zs_;
  std::size_t size_;
  std::string name_;
  bool ended_ = false;
  std::vector<std::uint8_t> ahead_;  // inflated by at_end, not yet returned by read
};

// Inflates the whole of one or more gzip members; errors as GzipReader's, and more than `max_bytes`
// of output.
std::vector<std::uint8_t> gunzip(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                                 std::size_t max_bytes = std::size_t{1} << 31);

std::vector<std::uint8_t> gzip_compress(const std::uint8_t* bytes, std::size_t size, int level = 6);

}  // namespace mortal
