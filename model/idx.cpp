#include "model/idx.h"

#include "core/error.h"
#include "core/gzip.h"
#include "core/input_file.h"

namespace mortal {
namespace {

constexpr std::size_t kMagicBytes = 4;

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

struct IdxHeader {
  std::vector<std::uint32_t> dims;
  std::size_t header_bytes = 0, data_bytes = 0;
};

// Checks the magic number; returns the size of the whole header it announces.
std::size_t idx_header_bytes(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  require(size >= kMagicBytes, "{}: file is {} bytes, too short for an IDX header", name, size);
  require(bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08 && bytes[3] >= 1,
          "{}: wrong magic number 0x{:02x}{:02x}{:02x}{:02x} (expected 0x000008NN: unsigned bytes, NN "
          "dimensions)",
          name, bytes[0], bytes[1], bytes[2], bytes[3]);
  return kMagicBytes + 4 * std::size_t{bytes[3]};
}

IdxHeader parse_header(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  IdxHeader h;
  h.header_bytes = idx_header_bytes(bytes, size, name);
  const std::size_t ndims = bytes[3];
  require(size >= h.header_bytes, "{}: truncated header: {} dimensions need {} bytes, file has {}", name, ndims,
          h.header_bytes, size);
  h.data_bytes = 1;
  for (std::size_t i = 0; i < ndims; ++i) {
    const std::uint32_t d = read_be32(bytes + kMagicBytes + 4 * i);
    h.dims.push_back(d);
    require(d == 0 || h.data_bytes <= kMaxIdxDataBytes / d,
            "{}: header dimensions {} declare more than the {} data bytes this reader accepts", name,
            fmt::join(h.dims, "x"), kMaxIdxDataBytes);
    h.data_bytes *= d;
  }
  return h;
}

}  // namespace

std::size_t IdxArray::item_size() const {
  std::size_t n = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) n *= dims[i];
  return n;
}

IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  const IdxHeader h = parse_header(bytes, size, name);
  const std::size_t have = size - h.header_bytes;
  require(have >= h.data_bytes, "{}: truncated data: header dimensions {} need {} bytes, file has {}", name,
          fmt::join(h.dims, "x"), h.data_bytes, have);
  require(have == h.data_bytes,
          "{}: header dimensions {} need {} data bytes but the file has {} (it does not match the header)",
          name, fmt::join(h.dims, "x"), h.data_bytes, have);
  IdxArray a;
  a.dims = h.dims;
  a.data.assign(bytes + h.header_bytes, bytes + size);
  return a;
}

IdxArray parse_idx_maybe_gzip(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  if (!is_gzip(bytes, size)) return parse_idx(bytes, size, name);
  GzipReader gz(bytes, size, name);
  std::vector<std::uint8_t> head;
  gz.read(head, kMagicBytes);
  gz.read(head, idx_header_bytes(head.data(), head.size(), name) - kMagicBytes);
  const IdxHeader h = parse_header(head.data(), head.size(), name);
  IdxArray a;
  a.dims = h.dims;
  gz.read(a.data, h.data_bytes);
  require(a.data.size() == h.data_bytes,
          "{}: truncated data: header dimensions {} need {} bytes, the gzip stream inflates to {}", name,
          fmt::join(h.dims, "x"), h.data_bytes, a.data.size());
  require(gz.at_end(),
          "{}: header dimensions {} need {} data bytes but the gzip stream inflates to more (it does not match "
          "the header)",
          name, fmt::join(h.dims, "x"), h.data_bytes);
  return a;
}

IdxArray read_idx(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_input_file(path, "data file", kMaxIdxFileBytes);
  return parse_idx_maybe_gzip(bytes.data(), bytes.size(), path);
}

}  // namespace mortal
