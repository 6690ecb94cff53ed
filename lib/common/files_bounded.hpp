// SPDX-License-Identifier: GPL-2.0-or-later
// Reading a file a user names, without trusting what it is: a device (/dev/zero), a FIFO or a
// huge file must fail at once with a clear message, not grow or hang the reading process.
#pragma once
#include <cstddef>
#include <string>

namespace aif {

// The whole content of the regular file `path`, at most `max_bytes` long. The file is opened
// non-blocking (a FIFO without a writer does not hang the open), checked to be a regular file
// of at most `max_bytes` before anything is read, and never read beyond `max_bytes` + 1 bytes
// (a file growing meanwhile is caught too). Throws InputError "<path>: <why>" (path printable).
std::string read_file_bounded(const std::string& path, std::size_t max_bytes);

// "1 MiB", "64 KiB", "100 bytes": a size limit as messages state it.
std::string fmt_limit(std::size_t bytes);

}  // namespace aif
