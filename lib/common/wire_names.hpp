// SPDX-License-Identifier: GPL-2.0-or-later
// Option and environment names that cross a process boundary (client → slurmctld → job →
// slurmstepd/epilog, or operator → daemon): one spelling, here. Header only, no dependencies.
#pragma once

namespace aif::names {

// SPANK plugin_name; Slurm forwards option --llm-model as _SLURM_SPANK_OPTION_aifactory_llm_model.
inline constexpr const char* kSpankPlugin = "aifactory";
inline constexpr const char* kLlmFlagPrefix = "--llm-";  // what users type
inline constexpr const char* kOptionPrefix = "_SLURM_SPANK_OPTION_aifactory_llm_";
// The same, as Slurm exports it into a step's environment.
inline constexpr const char* kStepOptionPrefix = "SLURM_SPANK__SLURM_SPANK_OPTION_aifactory_llm_";

// Compact architecture from --llm-config (key=value,...), set by the SPANK plugin on the client.
inline constexpr const char* kArchEnv = "AIFACTORY_ARCH";
// Settings of the config files an sbatch script names, read by the SPANK plugin on the submit
// host for job_submit's script reader (lib/detect/config_files.hpp has the form).
inline constexpr const char* kHintsEnv = "AIFACTORY_HINTS";
// The prediction job_submit attaches to the job (record::Prediction wire form, signed): in the
// batch environment, and for srun/salloc in spank_job_env, which prolog/epilog see with SPANK_.
inline constexpr const char* kPredictionEnv = "AIFACTORY_PREDICTION";
inline constexpr const char* kSpankPredictionEnv = "SPANK_AIFACTORY_PREDICTION";
// The user's binding choice (like --llm-bind).
inline constexpr const char* kBindEnv = "AIFACTORY_BIND";
inline constexpr const char* kBindFlag = "--llm-bind";

// Operators' overrides of configuration paths.
inline constexpr const char* kConfEnv = "AIFACTORY_CONF";
inline constexpr const char* kAcctConfEnv = "AIFACTORY_ACCT_CONF";
inline constexpr const char* kDataDirEnv = "AIFACTORY_DATADIR";

}  // namespace aif::names
