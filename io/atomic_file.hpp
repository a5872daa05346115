// Atomic file writes, and the matching whole-file read.
//
// Every artefact ffnn produces (model.safetensors, metrics.csv, summary.json, predictions)
// goes through write_file_atomic so that a crash, a full disk or a Ctrl-C mid-write never
// leaves a half-written file under the final name: the bytes go to a temporary file in the
// same directory (a rename is atomic only within one file system), which is flushed and
// fsync'ed and then renamed over the final name. Readers see the old file or the new one,
// never a mix.
//
// The parent directory must exist: creating it is the caller's decision. A missing
// directory, a failed write or a failed rename throws std::runtime_error naming the path and
// the system's reason (strerror); the temporary file is removed first.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace ffnn {

// Replaces (or creates) `path` with exactly `bytes`.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Replaces (or creates) `path` with what `writer` writes to the stream. The output is
// gathered in memory first, so if `writer` throws, the file system is left untouched.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& writer);

// For crash tests only: a function called with the final path once the temporary file holds
// the first half of the bytes (before the second half, the fsync and the rename), so that a
// test can kill the process in the middle of a write. Null (the default) calls nothing. The
// ffnn app installs one only when its test variable FFNN_TEST_STALL asks for it.
using AtomicWriteHook = void (*)(const std::string& path);
void set_atomic_write_midpoint_hook(AtomicWriteHook hook);

// The whole content of `path`; throws std::runtime_error naming the path and strerror.
std::string read_file_bytes(const std::string& path);

// Removes the temporaries write_file_atomic left beside `path` when a process was killed in
// the middle of a write ("path.tmp.<pid>.<n>" whose pid is not a running process); returns
// how many. For a program taking over a file it alone writes (a resumed run's checkpoint).
std::size_t remove_stale_temporaries(const std::string& path);

}  // namespace ffnn
