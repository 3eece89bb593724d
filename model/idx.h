#pragma once
// IDX files (LeCun's MNIST format), plain or gzip-compressed. Layout: two zero bytes, a type byte
// (0x08 = unsigned byte, the only type image and label files use), the number of dimensions, then one
// big-endian uint32 per dimension, then the data in row-major order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mortal {

struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;  // product(dims) bytes

  std::size_t count() const { return dims.empty() ? 0 : dims[0]; }
  std::size_t item_size() const;  // product of dims after the first
};

// The most data bytes an IDX header may declare: MNIST's largest file holds 47 MB, and a header declaring
// more than this is refused before anything is inflated or allocated for it.
constexpr std::size_t kMaxIdxDataBytes = std::size_t{1} << 30;
// A file may exceed that by its header and by what gzip's framing adds (stored blocks add 5 bytes in
// 65535); a larger file is refused before it is read.
constexpr std::size_t kMaxIdxFileBytes = kMaxIdxDataBytes + kMaxIdxDataBytes / 64 + (std::size_t{1} << 16);

// Parses an unsigned-byte IDX array held in memory. Throws Error naming `name` and the fault.
IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name);

// The same for bytes that may be gzip-compressed (one or more members): the header is inflated first and
// at most the bytes it declares after it, so a stream inflating to more is refused without being inflated.
IdxArray parse_idx_maybe_gzip(const std::uint8_t* bytes, std::size_t size, const std::string& name);

// Reads the IDX file `path` (a regular file, plain or gzip). Errors name the path.
IdxArray read_idx(const std::string& path);

}  // namespace mortal
