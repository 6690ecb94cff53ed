#include "site/spank_env.hpp"

#include <cstring>

namespace aif::site {

const std::vector<std::string>& llm_option_names() {
    static const std::vector<std::string> names = {
        "model", "config", "layout", "zero", "mbs", "gbs", "seq", "tokens",
        "precision", "optimizer", "recompute", "framework", "check"};
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
    for (std::size_t i = 0; i < n; ++i) {
        if (env[i] == nullptr) continue;
        const std::string_view e = env[i];
        if (e.substr(0, arch_eq.size()) == arch_eq) {
            o.arch = std::string(e.substr(arch_eq.size()));
            continue;
        }
        if (e.substr(0, plen) != kOptionPrefix) continue;
        const auto eq = e.find('=', plen);
        if (eq == std::string_view::npos) continue;
        const std::string key = option_key_from_env(e.substr(plen, eq - plen));
        std::string value(e.substr(eq + 1));
        if (key == "check") o.check = value;
        else if (key == "config") o.config = value;
        else {
            // A later entry for the same key wins, as it would on a command line.
            bool replaced = false;
            for (auto& [k, v] : o.values)
                if (k == key) v = value, replaced = true;
            if (!replaced) o.values.emplace_back(key, std::move(value));
        }
    }
    return o;
}

}  // namespace aif::site
