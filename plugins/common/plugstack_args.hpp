// SPDX-License-Identifier: GPL-2.0-or-later
// plugstack.conf arguments: `key=value` words and bare flags, with one failure policy for every
// plugin: a word that is unknown, repeated, malformed or has a bad value is reported once
// ("<plugin>: plugstack.conf argument '<word>' ignored: <why>") and left out; the plugin runs
// with the rest. A typo in plugstack.conf never stops slurmd or fails a job. No Slurm dependency.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/common.hpp"

namespace aif::plugin {

using Report = std::function<void(const std::string& message)>;

class PlugstackArgs {
public:
    // `known` lists the keys taking a value (a trailing '*' accepts any suffix: "default_*"),
    // `flags` the bare words. Unknown and malformed words are reported through `report` here.
    PlugstackArgs(const char* plugin, int ac, char** av, const std::vector<std::string>& known,
                  const std::vector<std::string>& flags, Report report);

    bool flag(const std::string& name) const { return values_.count(name) != 0; }
    const std::map<std::string, std::string>& values() const { return values_; }

    // Calls use(value) when `key` was given. An InputError from use() reports the word as
    // ignored (with its message) and the key is dropped.
    template <class Use>
    void use(const std::string& key, Use&& use_value) {
        auto it = values_.find(key);
        if (it == values_.end()) return;
        try {
            use_value(it->second);
        } catch (const InputError& e) {
            ignore(it->first + "=" + it->second, e.what());
            values_.erase(it);
        }
    }

private:
    void ignore(const std::string& word, const std::string& why) const;
    std::string plugin_;
    Report report_;
    std::map<std::string, std::string> values_;
};

}  // namespace aif::plugin
