// SPDX-License-Identifier: GPL-2.0-or-later
#include "site/spank_env.hpp"

#include <cstring>

#include "common/text.hpp"

namespace aif::site {

const std::vector<std::string>& llm_option_names() {
    static const std::vector<std::string> names = {
        "model", "config", "layout", "zero", "fsdp", "mbs", "gbs", "seq", "tokens",
        "precision", "optimizer", "recompute", "framework", "check", "master", "lora", "quant", "compile",
        "ac-every", "run"};
    return names;
}

bool LlmOptions::describes_model() const { return get("model") != nullptr || !arch.empty(); }

const std::string* LlmOptions::get(std::string_view key) const {
    for (const auto& [k, v] : values)
        if (k == key) return &v;
    return nullptr;
}

std::string option_key_from_env(std::string_view s) {
    std::string k(s);
    for (auto& c : k)
        if (c == '_') c = '-';
    return k;
}

LlmOptions read_spank_env(const char* const* env, std::size_t n) {
    LlmOptions o;
    if (env == nullptr) return o;
    const std::size_t plen = std::strlen(kOptionPrefix);
    const std::string arch_eq = std::string(kArchEnv) + "=";
    const std::string name_eq = std::string(kArchNameEnv) + "=";
    const std::string hints_eq = std::string(kHintsEnv) + "=";
    // No entry is looked at beyond what the bounds need, so a 16 MB entry costs what a 4 KB one
    // does: `e` below is cut there, and anything that long is refused anyway.
    const std::size_t key_end = plen + kMaxOptionKeyBytes + 1;  // where the '=' must be by
    const std::size_t look = key_end + kMaxOptionValueBytes + 1;
    std::size_t entries = 0;
    const auto refuse = [&o](std::string why) {
        if (o.problem.empty()) o.problem = std::move(why);
    };
    for (std::size_t i = 0; i < n; ++i) {
        if (env[i] == nullptr) continue;
        const std::string_view e(env[i], strnlen(env[i], look));
        const bool is_arch = e.substr(0, arch_eq.size()) == arch_eq;
        const bool is_name = e.substr(0, name_eq.size()) == name_eq;
        if (e.substr(0, hints_eq.size()) == hints_eq) {  // a hint too long is dropped, never refused
            if (e.size() - hints_eq.size() <= kMaxOptionValueBytes) o.hints = std::string(e.substr(hints_eq.size()));
            continue;
        }
        if (!is_arch && !is_name && e.substr(0, plen) != kOptionPrefix) continue;
        if (++entries > kMaxOptionEntries) {
            refuse("too many --llm-* options (over " + std::to_string(kMaxOptionEntries) + ")");
            break;
        }
        if (is_name) {  // only ever shown in a message: cut, never refused
            o.arch_name = printable(e.substr(name_eq.size()), 40);
            continue;
        }
        if (is_arch) {
            if (e.size() - arch_eq.size() > kMaxOptionValueBytes)
                refuse("--llm-config: the model description is too long (over " +
                       std::to_string(kMaxOptionValueBytes) + " bytes)");
            else o.arch = std::string(e.substr(arch_eq.size()));
            continue;
        }
        const auto eq = e.substr(0, key_end).find('=', plen);
        if (eq == std::string_view::npos) {
            if (e.size() >= key_end)
                refuse("--llm-" + printable(option_key_from_env(e.substr(plen, 24)), 24) +
                       "...: option name too long (over " + std::to_string(kMaxOptionKeyBytes) +
                       " bytes)");
            continue;  // else no '=': not an option Slurm forwarded
        }
        const std::string key = option_key_from_env(e.substr(plen, eq - plen));
        if (e.size() - eq - 1 > kMaxOptionValueBytes) {
            refuse("--llm-" + printable(key) + ": value too long (over " +
                   std::to_string(kMaxOptionValueBytes) + " bytes)");
            continue;
        }
        std::string value(e.substr(eq + 1));
        if (key == "check") o.check = value;
        else if (key == "config") o.config = value;
        else {
            // A later entry for the same key wins, as it would on a command line (at most
            // kMaxOptionEntries keys, so this search stays small).
            bool replaced = false;
            for (auto& [k, v] : o.values)
                if (k == key) v = value, replaced = true;
            if (!replaced) o.values.emplace_back(key, std::move(value));
        }
    }
    return o;
}

}  // namespace aif::site
