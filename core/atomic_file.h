#pragma once
// Files appear whole or not at all: written beside the target, then renamed over it.
#include <string>

namespace mortal {

// Writes `bytes` to `path` atomically, creating missing parent folders. Throws Error naming the path.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace mortal
