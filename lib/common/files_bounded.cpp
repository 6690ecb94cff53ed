// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/files_bounded.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "common/text.hpp"

namespace aif {

namespace {

// Closes the descriptor on every path out, exceptions included.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::string fmt_limit(std::size_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

std::string read_file_bounded(const std::string& path, std::size_t max_bytes) {
    const std::string name = printable(path, 256);
    Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
    if (f.fd < 0) throw InputError(name + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw InputError(name + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw InputError(name + ": is a directory, not a file");
    if (!S_ISREG(st.st_mode)) throw InputError(name + ": not a regular file");
    if (st.st_size < 0 || static_cast<unsigned long long>(st.st_size) > max_bytes)
        throw InputError(name + ": over " + fmt_limit(max_bytes));
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    char extra = 0;
    for (;;) {
        // Up to the size fstat saw, then one byte more to notice a file that grew meanwhile.
        char* at = got < text.size() ? &text[got] : &extra;
        const std::size_t want = got < text.size() ? text.size() - got : 1;
        const ssize_t n = ::read(f.fd, at, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw InputError(name + ": " + std::strerror(errno));
        if (n == 0) break;
        if (at == &extra) {
            if (got + 1 > max_bytes) throw InputError(name + ": over " + fmt_limit(max_bytes));
            text.push_back(extra);
        }
        got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    return text;
}

}  // namespace aif
