// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugstack_args.hpp"

#include "common/common.hpp"

namespace aif::plugin {
namespace {

bool matches(const std::string& key, const std::string& pattern) {
    if (pattern.empty() || pattern.back() != '*') return key == pattern;
    const std::string stem = pattern.substr(0, pattern.size() - 1);
    return key.size() > stem.size() && key.compare(0, stem.size(), stem) == 0;
}

}  // namespace

PlugstackArgs::PlugstackArgs(const char* plugin, int ac, char** av, const std::vector<std::string>& known,
                             const std::vector<std::string>& flags, Report report)
    : plugin_(plugin), report_(std::move(report)) {
    std::string all;
    for (const auto& k : known) all += (all.empty() ? "" : ", ") + k + "=";
    for (const auto& f : flags) all += (all.empty() ? "" : ", ") + f;
    for (int i = 0; i < ac; ++i) {
        const std::string word = av && av[i] ? av[i] : "";
        const auto eq = word.find('=');
        const std::string key = word.substr(0, eq);
        bool is_flag = false, is_key = false;
        for (const auto& f : flags) is_flag = is_flag || key == f;
        for (const auto& k : known) is_key = is_key || matches(key, k);
        if (!is_flag && !is_key)
            ignore(word, "unknown argument '" + printable(word, 120) + "' (known: " + all + ")");
        else if (is_flag && !is_key && eq != std::string::npos)
            ignore(word, "'" + key + "' takes no value");
        else if (is_key && !is_flag && (eq == std::string::npos || eq + 1 == word.size()))
            ignore(word, "'" + key + "' needs a value");
        else if (values_.count(key))
            ignore(word, "'" + key + "' is given twice");
        else
            values_[key] = eq == std::string::npos ? "" : word.substr(eq + 1);
    }
}

void PlugstackArgs::ignore(const std::string& word, const std::string& why) const {
    if (report_) report_(plugin_ + ": plugstack.conf argument '" + printable(word, 120) + "' ignored: " + why);
}

}  // namespace aif::plugin
