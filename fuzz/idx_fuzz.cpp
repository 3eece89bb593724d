// Feeds arbitrary bytes to the IDX reader, gzip layer included. Any outcome other than a parsed array or a
// mortal::Error (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "model/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    mortal::IdxArray a = mortal::parse_idx_maybe_gzip(data, size, "fuzz-input");
    std::size_t n = 1;
    for (std::uint32_t d : a.dims) n *= d;
    if (n != a.data.size()) __builtin_trap();  // the parser promised product(dims) bytes
  } catch (const mortal::Error&) {
  }
  return 0;
}
