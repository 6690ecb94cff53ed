// SPDX-License-Identifier: GPL-2.0-or-later
// sbatch side of issue 15: the batch script of an sbatch without --llm-* options, the config
// files its launch line names (a torchtitan TOML, a DeepSpeed JSON, a YAML), read here as the
// user (slurmctld cannot read them), bounded in size, and turned into the compact hints that
// travel to job_submit in the job's control environment (site::kHintsEnv).
#pragma once
#include <string>
#include <vector>

namespace aif::spank {

struct ScriptHints {
    std::string encoded;                // for site::kHintsEnv; "" when no file was read
    std::vector<std::string> problems;  // one line per named file that could not be read
};

// The script sbatch was given on its command line (/proc/self/cmdline: SPANK does not tell a
// plugin in sbatch), or "" (a --wrap job, a script on stdin, not sbatch).
std::string sbatch_script_path();

// Reads the script at `path` and the files it names (relative names from the current
// directory, where the job starts unless --chdir says otherwise).
ScriptHints read_script_hints(const std::string& path);

}  // namespace aif::spank
