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

// The whole file; throws InputError "<path>: <why>" ("No such file or directory", "is a
// directory", "is larger than N MiB"). `max_bytes` bounds what is read from untrusted paths.
std::string read_file(const std::string& path, std::size_t max_bytes = kNoSizeLimit);

// Same without exceptions (for code on Slurm's threads): nullopt with errno set. With
// `follow_links` false a symbolic link is refused (ELOOP), as in spool directories.
std::optional<std::string> try_read_file(const std::string& path, std::size_t max_bytes = kNoSizeLimit,
                                         bool follow_links = true);

// Writes `text` to "<path>.tmp.<pid>" and renames it over `path`, so readers see the old or the
// new file, never a part. With `durable` the data is fsynced first. false with errno set on error
// (the temporary file is removed).
bool write_file_atomic(const std::string& path, std::string_view text, mode_t mode = 0644, bool durable = false);

// write(2) until done, retrying EINTR; false with errno set on error.
bool write_all(int fd, const char* p, std::size_t n);

}  // namespace aif
