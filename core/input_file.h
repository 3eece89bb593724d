#pragma once
// Reading a file the user named (data, checkpoint): a regular file only, of bounded size, with messages
// that name the path. A FIFO, a device or a directory is refused before it is read, so none can hang a run.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mortal {

// The whole contents of the regular file `path`. `what` says what the file is for ("data file",
// "checkpoint") in errors: missing, not a regular file, larger than `max_bytes`, unreadable.
std::vector<std::uint8_t> read_input_file(const std::string& path, const char* what, std::size_t max_bytes);

// Throws Error naming `path` unless it is a regular file (following symlinks).
void require_regular_file(const std::string& path, const char* what);

}  // namespace mortal
