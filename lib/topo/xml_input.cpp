// SPDX-License-Identifier: GPL-2.0-or-later
// Why three steps (docs/security.md, "Topology files"):
//  1. hwloc's own file reader follows any path with fopen()+fread() until EOF: a FIFO blocks it
//     forever and /dev/zero grows its buffer until the OOM killer ends the process. So we read
//     the file ourselves: regular files only, bounded.
//  2. Without its libxml2 plugin (Debian ships it apart; NoHwlocPlugins keeps plugins out anyway)
//     hwloc parses with its minimal built-in reader, which trusts its input. In 2.9.0,
//     look_init() takes sscanf("<topology version=\"%u.%u\">") == 2 as proof that a '>' follows
//     and stores strchr(buffer, '>') + 1: on a file cut inside that tag strchr() returns NULL
//     and the next read is at address 0x1 (SIGSEGV). libxml2's streaming reader refuses any
//     document that is not well-formed first, and names the line.
//  3. Well-formed XML can still crash hwloc 2.9's generic importer (fixed upstream after 2.9:
//     a PCI device as root object, distances2 without a name, objects without a nodeset, ...).
//     Those need a crafted file, not an accident, but whack-a-mole checks would lag hwloc; so
//     the import is first tried in a forked child with CPU, wall-clock and memory limits. Only
//     if the child succeeds does the caller parse the same bytes itself (the import is
//     deterministic). Costs one fork per load: once per job step, not per task.
#include "topo/xml_input.hpp"

#include <fcntl.h>
#include <libxml/parser.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>

#include "common/error.hpp"
#include "common/files.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define AIF_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AIF_UNDER_ASAN 1
#endif
#endif

namespace aif::topo {

namespace {

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

struct FirstError {
    int line = 0;
    std::string message;
};

// libxml2 2.12 made the structured error callback take a const error (Debian 13 and later).
#if LIBXML_VERSION >= 21200
using XmlErrorArg = const xmlError*;
#else
using XmlErrorArg = xmlError*;
#endif

void keep_first_error(void* arg, XmlErrorArg e) {
    auto* first = static_cast<FirstError*>(arg);
    if (!e || e->level < XML_ERR_ERROR || !first->message.empty()) return;
    first->line = e->line;
    first->message = e->message ? e->message : "parse error";
    while (!first->message.empty() && (first->message.back() == '\n' || first->message.back() == ' '))
        first->message.pop_back();
    if (first->message.size() > 120) first->message.resize(120);
}

// In the child: default signal actions (a crash must end it, not run the parent's handlers)
// and hard limits on CPU time and address space.
void limit_child(int seconds) {
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGXCPU}) signal(sig, SIG_DFL);
    rlimit cpu{static_cast<rlim_t>(seconds), static_cast<rlim_t>(seconds) + 1};
    setrlimit(RLIMIT_CPU, &cpu);
#ifndef AIF_UNDER_ASAN  // ASan reserves terabytes of shadow address space: no AS limit under it
    // 1 GiB on top of what the process already maps (slurmstepd's threads and libraries).
    long pages = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
        std::fclose(f);
    }
    rlim_t as = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (rlim_t{1} << 30);
    rlimit mem{as, as};
    setrlimit(RLIMIT_AS, &mem);
#endif
}

}  // namespace

std::string read_topology_file(const std::string& path) {
    // The common bounded reader: non-blocking open, regular files only, size checked first. Links
    // are followed: the path is named by the site (plugstack.conf) or by the CLI's own user.
    return read_file(path, max_topology_xml_bytes);
}

void check_well_formed_xml(const std::string& xml, const std::string& origin) {
    if (xml.size() > max_topology_xml_bytes) throw InputError(over_limit_message(origin, xml.size(), max_topology_xml_bytes));
    if (xml.find_first_not_of(" \t\r\n") == std::string::npos)
        throw InputError(origin + ": is empty, not topology XML");
    // hwloc's reader stops at the first NUL; XML forbids the character anyway.
    if (auto nul = xml.find('\0'); nul != std::string::npos) {
        long line = 1 + std::count(xml.begin(), xml.begin() + static_cast<long>(nul), '\n');
        throw InputError(origin + ": is not valid XML (line " + std::to_string(line) + ": NUL byte)");
    }
    // SAX with no callbacks but the error one: nothing is built, no DTD is loaded, entities
    // are not expanded (there is nowhere to declare them), libxml2's default limits apply.
    FirstError first;
    xmlSAXHandler sax{};
    sax.initialized = XML_SAX2_MAGIC;
    sax.serror = keep_first_error;
    int rc = xmlSAXUserParseMemory(&sax, &first, xml.data(), static_cast<int>(xml.size()));
    if (rc != 0 || !first.message.empty()) {
        std::string why = first.message.empty() ? "parse error" : first.message;
        throw InputError(origin + ": is not valid XML (line " + std::to_string(first.line) + ": " + why + ")");
    }
}

std::string run_contained(const std::function<std::string()>& fn, int seconds) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return std::string("cannot create a pipe (") + std::strerror(errno) + ")";
    Fd rd(p[0]), wr(p[1]);
    pid_t pid = fork();
    if (pid < 0) return std::string("cannot fork (") + std::strerror(errno) + ")";
    if (pid == 0) {
        rd.reset();
        limit_child(seconds);
        std::string err;
        try {
            err = fn();
        } catch (const std::exception& e) {
            err = *e.what() ? e.what() : "failed";
        } catch (...) {
            err = "failed";
        }
        if (!err.empty()) {
            ssize_t ignored = write(wr.get(), err.data(), std::min<std::size_t>(err.size(), 1000));
            (void)ignored;
        }
        _exit(err.empty() ? 0 : 3);
    }
    wr.reset();
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + std::chrono::seconds(seconds + 1);
    auto left_ms = [&] {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        return static_cast<int>(std::max<long long>(0, ms));
    };
    std::string said;
    bool eof = false;
    while (!eof && left_ms() > 0) {  // the pipe closes when the child ends
        pollfd pfd{rd.get(), POLLIN, 0};
        int n = poll(&pfd, 1, left_ms());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        char buf[512];
        ssize_t got = read(rd.get(), buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) eof = true;
        else if (said.size() < 1000) said.append(buf, static_cast<std::size_t>(got));
    }
    int status = 0;
    pid_t w = 0;
    while ((w = waitpid(pid, &status, WNOHANG)) == 0 && left_ms() > 0) usleep(50);  // it is exiting
    if (w != pid) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return "took longer than " + std::to_string(seconds) + " s";
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        return sig == SIGXCPU || sig == SIGKILL ? "used more than " + std::to_string(seconds) + " s of CPU time"
                                                : "crashed (signal " + std::to_string(sig) + ")";
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    return said.empty() ? "failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")" : said;
}

}  // namespace aif::topo
