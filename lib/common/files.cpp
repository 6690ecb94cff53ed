// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/error.hpp"
#include "common/text.hpp"

namespace aif {
namespace {

// Closes the descriptor on every path out.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// errno for what open/read cannot say: EISDIR a directory, ENODEV not a regular file (a device,
// FIFO or socket), EFBIG over max_bytes (*size_seen: the size fstat reported, 0 when it grew).
std::optional<std::string> read_fd(int fd, std::size_t max_bytes, std::size_t* size_seen) {
    struct stat st {};
    if (fstat(fd, &st) != 0) return std::nullopt;
    if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : ENODEV;
        return std::nullopt;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    *size_seen = size;
    if (size > max_bytes) {
        errno = EFBIG;
        return std::nullopt;
    }
    // Up to the size fstat saw, then one byte more: a file that grows meanwhile is caught too.
    std::string s(size, '\0');
    std::size_t got = 0;
    for (;;) {
        char extra = 0;
        char* at = got < s.size() ? &s[got] : &extra;
        const std::size_t want = got < s.size() ? s.size() - got : 1;
        const ssize_t n = ::read(fd, at, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) break;
        if (at == &extra) {
            if (got + 1 > max_bytes) {
                *size_seen = 0;
                errno = EFBIG;
                return std::nullopt;
            }
            s.push_back(extra);
        }
        got += static_cast<std::size_t>(n);
    }
    s.resize(got);
    return s;
}

std::optional<std::string> read_path(const std::string& path, std::size_t max_bytes, bool follow_links,
                                     std::size_t* size_seen) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (read_fd then refuses it).
    Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (follow_links ? 0 : O_NOFOLLOW))};
    if (f.fd < 0) return std::nullopt;
    return read_fd(f.fd, max_bytes, size_seen);
}

std::string size_text(double bytes) {
    char b[32];
    // Two decimals below 10 units, so a size just over a limit does not print as the limit.
    const double unit = bytes >= 1024 * 1024 ? 1024 * 1024 : 1024;
    const char* name = unit > 1024 ? "MiB" : "KiB";
    if (bytes >= 1024) std::snprintf(b, sizeof b, "%.*f %s", bytes / unit < 10 ? 2 : 1, bytes / unit, name);
    else std::snprintf(b, sizeof b, "%.0f bytes", bytes);
    return b;
}

}  // namespace

std::string fmt_limit(std::size_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

std::string over_limit_message(const std::string& what, std::size_t size, std::size_t limit) {
    return what + ": " + (size ? size_text(static_cast<double>(size)) : std::string("the file")) + " is over the " +
           fmt_limit(limit) + " limit";
}

std::optional<std::string> try_read_file(const std::string& path, std::size_t max_bytes, bool follow_links) {
    std::size_t seen = 0;
    return read_path(path, max_bytes, follow_links, &seen);
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
    std::size_t seen = 0;
    if (auto text = read_path(path, max_bytes, true, &seen)) return std::move(*text);
    const std::string name = printable(path, 256);  // a path a user named is echoed bounded
    if (errno == EISDIR) throw InputError(name + ": is a directory, not a file");
    if (errno == ENODEV) throw InputError(name + ": not a regular file");
    if (errno == EFBIG) throw InputError(over_limit_message(name, seen, max_bytes));
    throw InputError(name + ": " + std::strerror(errno));
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
