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

// The file's bytes, inflated when they start with the gzip magic number. `name` labels errors.
std::vector<std::uint8_t> read_maybe_gzip(const std::string& path);
std::vector<std::uint8_t> inflate_if_gzip(std::vector<std::uint8_t> bytes, const std::string& name);

// Parses an unsigned-byte IDX array held in memory. Throws Error naming `name` and the fault.
IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name);

IdxArray read_idx(const std::string& path);

}  // namespace mortal
