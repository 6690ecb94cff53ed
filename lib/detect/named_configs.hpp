// SPDX-License-Identifier: GPL-2.0-or-later
// The one part of lib/detect that opens files: the config files a script's launch line names,
// read on the submit host (the SPANK plugin in sbatch, `aifactory detect`), never in slurmctld.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "detect/detect.hpp"

namespace aif::detect {

struct NamedConfigs {
    Hints hints;                        // the settings read, for read_script
    std::vector<std::string> read;      // the files read
    std::vector<std::string> problems;  // one line per named file that could not be read
};

// Reads the files `script`'s launch line names (relative names from the current directory): at
// most four regular files of at most kMaxConfigBytes, opened without blocking, in two rounds (a
// file read may name another, as axolotl's YAML names its DeepSpeed JSON). Files the script
// writes itself are left to read_script.
NamedConfigs read_named_configs(std::string_view script);

}  // namespace aif::detect
