// SPDX-License-Identifier: GPL-2.0-or-later
// aifactory.conf: which Slurm partitions are checked, against which catalogue partition, and how
// strictly. Slurm-style `Key=Value` lines; see man/aifactory.conf.5. No Slurm dependency.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "calc/profiles.hpp"

namespace aif::site {

enum class Policy { Enforce, Warn, Off };
const char* name(Policy);
// "enforce" | "warn" | "off" (any case); throws InputError naming `what`.
Policy parse_policy(std::string_view s, std::string_view what);

struct PartitionRule {
    std::string slurm_name;  // PartitionName=
    std::string system;      // System=: a partition id of the hardware catalogue
    Policy policy = Policy::Enforce;
    double headroom = 0.0;   // fraction of GPU memory kept free
    bool allow_user_warn = false;
    // Detect=: jobs without --llm-* options have their batch script read; warn never rejects.
    Policy detect = Policy::Warn;
    std::string origin;      // "file:line", for log messages
};

struct SiteConfig {
    Policy default_policy = Policy::Enforce;
    double default_headroom = 0.0;
    Policy default_detect = Policy::Warn;  // Detect= outside a partition line
    bool allow_user_warn = false;  // may --llm-check=warn|off lower the policy?
    std::vector<std::string> exempt_accounts, exempt_users, exempt_qos;
    std::vector<std::string> hardware_files, model_files;  // extra catalogues, absolute paths
    std::string site_model_file;  // SiteModel=: `aifactory calibrate`'s output ("" none; missing file: none)
    std::string default_partition;  // used when a job names none (else slurm.conf's Default=YES)
    int reload_interval_s = 10;     // how often the plugin looks for changed files
    long min_progress_min = 30;     // MinProgress=: shorter time limits cannot reach a checkpoint
    // Frameworks=torchtitan@2024.12,...: the version a bare --llm-framework=torchtitan (or no
    // --llm-framework, for megatron) means on this site; one per family. Default: the newest.
    std::vector<const calc::FrameworkProfile*> framework_pins;
    std::vector<PartitionRule> partitions;

    const PartitionRule* find(std::string_view slurm_partition) const;
    bool exempt(std::string_view account, std::string_view user, std::string_view qos) const;
};

// Parses the text of an aifactory.conf. Relative catalogue paths resolve against `dir`.
// Throws InputError "<origin>:<line>: <what is wrong>".
SiteConfig parse_site_config(std::string_view text, std::string_view origin,
                             std::string_view dir = ".");
// Reads and parses a file; throws InputError when it cannot be read or is malformed.
SiteConfig load_site_config(const std::string& path);

// A Slurm time ("90", "1:30:00", "2-00:00:00", "UNLIMITED") in whole minutes, seconds rounded
// up; 0 for UNLIMITED/INFINITE. Also "30min", "2h", "1d". Throws InputError naming `what`.
long parse_minutes(std::string_view s, std::string_view what);

// A partition's time limits from slurm.conf, in minutes: -1 not set, 0 unlimited.
struct PartitionTimes {
    std::string name;
    long default_min = -1, max_min = -1;
};
// PartitionName= lines (PartitionName=DEFAULT values carry over to the lines after it).
// Unreadable time values are skipped (slurmctld itself rejects such a slurm.conf).
std::vector<PartitionTimes> partition_times_of_slurm_conf(std::string_view slurm_conf_text);

// The partition slurm.conf marks Default=YES ("" when none). Only plain PartitionName= lines
// are read; good enough for the fallback when aifactory.conf has no DefaultPartition=.
std::string default_partition_of_slurm_conf(std::string_view slurm_conf_text);

}  // namespace aif::site
