#pragma once
// Files appear whole or not at all: written beside the target, flushed to the disk, then renamed over it.
#include <string>

namespace mortal {

// Writes `bytes` to `path` atomically and durably (the file is fsynced before the rename, its folder
// after), creating missing parent folders. Only a regular file is replaced: a symlink, device, folder or
// FIFO at `path` is refused. Throws Error naming the path.
void write_file_atomic(const std::string& path, const std::string& bytes);

// Checks, before a run spends any time, that `path` can be written as write_file_atomic would: its folder
// exists or can be made and takes a new file, and `path` is absent or a regular file. Removes temporaries
// that killed runs left beside it (`path`.tmp.PID of a process no longer running). `what` names the
// option in errors (e.g. "--out").
void check_output_path(const std::string& path, const std::string& what);

}  // namespace mortal
