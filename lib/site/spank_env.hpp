// SPDX-License-Identifier: GPL-2.0-or-later
// The --llm-* options as they reach slurmctld in job_desc->spank_job_env, and the names of the
// extra entries aifactory adds there. No Slurm dependency.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "common/wire_names.hpp"

namespace aif::site {

// The names as lib/common/wire_names.hpp spells them.
inline constexpr const char* kSpankPlugin = names::kSpankPlugin;
inline constexpr const char* kOptionPrefix = names::kOptionPrefix;
inline constexpr const char* kArchEnv = names::kArchEnv;
inline constexpr const char* kPredictionEnv = names::kPredictionEnv;
// The model's name from that config.json (for messages only), set by the SPANK plugin too.
inline constexpr const char* kArchNameEnv = "AIFACTORY_ARCH_NAME";
inline constexpr const char* kHintsEnv = names::kHintsEnv;

// Bounds on what read_spank_env keeps. spank_job_env reaches slurmctld from any user through
// the submit API (sbatch is not the only client), so nothing in it is trusted to be small. sbatch
// forwards each of the 13 options once, plus the site defaults and the arch; values are short
// (the compact arch of a --llm-config is a few hundred bytes; a path fits PATH_MAX).
inline constexpr std::size_t kMaxOptionEntries = 64;    // --llm-* entries (and the arch)
inline constexpr std::size_t kMaxOptionKeyBytes = 32;   // "dist_opt", "recompute", ...
inline constexpr std::size_t kMaxOptionValueBytes = 4096;

// The options a user can give, without "--llm-", in the order sbatch --help lists them.
const std::vector<std::string>& llm_option_names();

struct LlmOptions {
    std::vector<std::pair<std::string, std::string>> values;  // key ("model", "layout") → value
    std::string arch;    // from --llm-config, forwarded as kArchEnv
    std::string config;  // the --llm-config path as given (for messages)
    std::string arch_name;  // the model's name in that config.json ("" when it has none)
    std::string check;   // --llm-check as given ("" when absent)
    // What the SPANK plugin read from the config files the script names (kHintsEnv): not an
    // option, only read with the script (lib/detect decodes and bounds it).
    std::string hints;
    // Set when spank_job_env broke a bound above (what to tell the user); the offending entry
    // is then not kept, and job_submit treats the request as malformed.
    std::string problem;

    // True when the job describes a model to check (--llm-model or --llm-config).
    bool describes_model() const;
    // True when any --llm-* option (or forwarded arch) is present.
    bool any() const {
        return !values.empty() || !arch.empty() || !config.empty() || !check.empty() || !problem.empty();
    }
    const std::string* get(std::string_view key) const;
};

// Reads "NAME=value" entries. Unknown --llm-* names are kept (job_submit reports them). Linear
// in the size of `env` whatever it holds; keeps at most kMaxOptionEntries entries of bounded size.
LlmOptions read_spank_env(const char* const* env, std::size_t n);

// "llm_dist_opt" → "dist-opt": Slurm turned the option's dashes into underscores.
std::string option_key_from_env(std::string_view env_suffix);

}  // namespace aif::site
