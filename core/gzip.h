#pragma once
// gzip streams in memory (zlib): data files arrive compressed, checkpoints are written compressed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mortal {

bool is_gzip(const std::uint8_t* bytes, std::size_t size);

// Inflates one gzip stream; `name` labels errors (corrupt or truncated stream, trailing bytes, more than
// `max_bytes` of output).
std::vector<std::uint8_t> gunzip(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                                 std::size_t max_bytes = std::size_t{1} << 31);

std::vector<std::uint8_t> gzip_compress(const std::uint8_t* bytes, std::size_t size, int level = 6);

}  // namespace mortal
