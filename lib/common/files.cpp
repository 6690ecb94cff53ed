// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/error.hpp"

namespace aif {
namespace {

// EFBIG stands for "over max_bytes"; EISDIR for a directory (open(2) accepts those read-only).
std::optional<std::string> read_fd(int fd, std::size_t max_bytes) {
    struct stat st {};
    if (fstat(fd, &st) != 0) return std::nullopt;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return std::nullopt;
    }
    std::string s;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) return s;
        if (static_cast<std::size_t>(n) > max_bytes - s.size()) {
            errno = EFBIG;
            return std::nullopt;
        }
        s.append(buf, static_cast<std::size_t>(n));
    }
}

std::string size_text(std::size_t bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
    return std::to_string(bytes) + " bytes";
}

}  // namespace

std::optional<std::string> try_read_file(const std::string& path, std::size_t max_bytes, bool follow_links) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (follow_links ? 0 : O_NOFOLLOW));
    if (fd < 0) return std::nullopt;
    auto text = read_fd(fd, max_bytes);
    int err = errno;
    ::close(fd);
    errno = err;
    return text;
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
    if (auto text = try_read_file(path, max_bytes)) return std::move(*text);
    if (errno == EISDIR) throw InputError(path + ": is a directory, not a file");
    if (errno == EFBIG) throw InputError(path + ": is larger than " + size_text(max_bytes));
    throw InputError(path + ": " + std::strerror(errno));
}

bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

bool write_file_atomic(const std::string& path, std::string_view text, mode_t mode, bool durable) {
    // The temporary name is predictable and writers may run as root: O_EXCL|O_NOFOLLOW, so a
    // file or link planted there is never written through; it is removed (unlink removes a link,
    // not its target) and the create tried once more.
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    const int flags = O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
    int fd = ::open(tmp.c_str(), flags, mode);
    if (fd < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0) fd = ::open(tmp.c_str(), flags, mode);
    if (fd < 0) return false;
    bool ok = write_all(fd, text.data(), text.size()) && (!durable || ::fsync(fd) == 0);
    int err = ok ? 0 : errno;
    if (::close(fd) != 0 && ok) ok = false, err = errno;
    if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) ok = false, err = errno;
    if (!ok) {
        ::unlink(tmp.c_str());
        errno = err;
    }
    return ok;
}

}  // namespace aif
