// SPDX-License-Identifier: GPL-2.0-or-later
#include "detect/named_configs.hpp"

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/text.hpp"
#include "detect/config_files.hpp"

namespace aif::detect {

namespace {
constexpr std::size_t kMaxFiles = 4;  // config files read for one script
}

NamedConfigs read_named_configs(std::string_view script) {
    NamedConfigs out;
    std::vector<std::string> tried;
    for (int round = 0; round < 2; ++round) {
        const Detection d = read_script(script, kSlurmctldLimits, out.hints.kinds.empty() ? nullptr : &out.hints);
        if (!d.detected()) break;
        for (const ConfigFile& c : d.configs) {
            if (c.written || tried.size() >= kMaxFiles || out.hints.read(c.kind)) continue;
            bool seen = false;
            for (const auto& t : tried) seen = seen || t == c.kind + ":" + c.path;
            if (seen) continue;
            tried.push_back(c.kind + ":" + c.path);
            try {
                const std::string text = read_file(c.path, kMaxConfigBytes);
                add_config(out.hints, c.kind, flatten(c.kind, text, c.path));
                out.read.push_back(c.path);
            } catch (const InputError& e) {
                out.problems.push_back("could not read " + printable(e.what(), 120) +
                                       (c.line > 0 ? " (named on line " + std::to_string(c.line) + ")" : "") +
                                       "; its settings are not checked");
            }
        }
    }
    return out;
}

}  // namespace aif::detect
