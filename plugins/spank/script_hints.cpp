// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugins/spank/script_hints.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

#include "common/common.hpp"
#include "detect/config_files.hpp"
#include "detect/detect.hpp"
#include "detect/named_configs.hpp"

namespace aif::spank {

namespace {

constexpr std::size_t kMaxCmdline = 64u << 10;

// The first bytes of a regular file the user can read (a FIFO or device is not opened for long:
// O_NONBLOCK, and anything but a regular file is passed over).
bool starts_with_shebang(const std::string& path) {
    struct stat st{};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || access(path.c_str(), R_OK) != 0) return false;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return false;
    char head[2] = {};
    const bool yes = ::read(fd, head, 2) == 2 && head[0] == '#' && head[1] == '!';
    ::close(fd);
    return yes;
}

}  // namespace

std::string sbatch_script_path() {
    std::string cmdline;
    const int fd = ::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    char buf[4096];
    for (ssize_t n; cmdline.size() < kMaxCmdline && (n = ::read(fd, buf, sizeof buf)) > 0;) cmdline.append(buf, n);
    ::close(fd);
    std::vector<std::string> argv;
    for (std::size_t from = 0; from < cmdline.size();) {
        const std::size_t end = cmdline.find('\0', from);
        argv.push_back(cmdline.substr(from, end == std::string::npos ? std::string::npos : end - from));
        if (end == std::string::npos) break;
        from = end + 1;
    }
    if (argv.empty()) return "";
    const std::string& prog = argv[0];
    if (prog.substr(prog.rfind('/') == std::string::npos ? 0 : prog.rfind('/') + 1) != "sbatch") return "";
    // sbatch [options] script [args]: the script is the first word naming a readable regular
    // file that starts with "#!" (sbatch refuses any other); option values rarely do.
    for (std::size_t i = 1; i < argv.size(); ++i) {
        if (argv[i] == "--wrap" || argv[i].rfind("--wrap=", 0) == 0) return "";
        if (!argv[i].empty() && argv[i][0] != '-' && starts_with_shebang(argv[i])) return argv[i];
    }
    return "";
}

ScriptHints read_script_hints(const std::string& path) {
    ScriptHints out;
    const std::optional<std::string> script = try_read_file(path, detect::kSlurmctldLimits.script_bytes);
    if (!script) return out;  // job_submit refuses to read it too
    detect::NamedConfigs named = detect::read_named_configs(*script);
    out.problems = std::move(named.problems);
    if (!named.hints.kinds.empty()) out.encoded = detect::encode(named.hints);
    return out;
}

}  // namespace aif::spank
