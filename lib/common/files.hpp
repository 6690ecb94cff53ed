// SPDX-License-Identifier: GPL-2.0-or-later
// Whole-file reads and atomic replacement: the one place that opens, reads, writes and renames.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace aif {

inline constexpr std::size_t kNoSizeLimit = std::numeric_limits<std::size_t>::max();

// The whole content of the regular file `path`, at most `max_bytes` long. Nothing a user names
// can hang or grow the reader: the open is non-blocking (a FIFO without a writer), anything but a
// regular file is refused before a byte is read (/dev/zero), the size is checked first and no
// more than `max_bytes` + 1 bytes are ever read (a file growing meanwhile). Throws InputError
// "<path>: <why>" with the path printable: "No such file or directory", "is a directory, not a
// file", "not a regular file", "1.1 MiB is over the 1 MiB limit".
std::string read_file(const std::string& path, std::size_t max_bytes = kNoSizeLimit);

// Same without exceptions (for code on Slurm's threads): nullopt with errno set (EISDIR, ENODEV
// for not a regular file, EFBIG over the limit). With `follow_links` false a symbolic link is
// refused (ELOOP), as in spool directories.
std::optional<std::string> try_read_file(const std::string& path, std::size_t max_bytes = kNoSizeLimit,
                                         bool follow_links = true);

// "1 MiB", "64 KiB", "100 bytes": a size limit as messages state it.
std::string fmt_limit(std::size_t bytes);
// "<what>: 17.0 MiB is over the 16 MiB limit" (size 0: unknown, "the file is over ...").
std::string over_limit_message(const std::string& what, std::size_t size, std::size_t limit);

// Writes `text` to "<path>.tmp.<pid>" and renames it over `path`, so readers see the old or the
// new file, never a part. With `durable` the data is fsynced first. false with errno set on error
// (the temporary file is removed).
bool write_file_atomic(const std::string& path, std::string_view text, mode_t mode = 0644, bool durable = false);

// write(2) until done, retrying EINTR; false with errno set on error.
bool write_all(int fd, const char* p, std::size_t n);

}  // namespace aif
