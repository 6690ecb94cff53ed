// SPDX-License-Identifier: GPL-2.0-or-later
// Everything job_submit needs, loaded once (plugin init, or when a file changes) and then read
// by many submit threads at once without locks: an immutable value behind a shared_ptr.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "calc/bands.hpp"
#include "calc/hardware.hpp"
#include "calc/models.hpp"
#include "calc/site_model.hpp"
#include "site/runs.hpp"
#include "site/site_config.hpp"

namespace aif::site {

struct Snapshot {
    SiteConfig config;
    calc::ModelCatalogue models;
    calc::HardwareCatalogue hardware;
    calc::BandTable bands;            // the framework profiles' error bands (bands.json)
    calc::SiteModel site_model;       // the site's calibration (SiteModel=; empty when none)
    std::string default_partition;    // DefaultPartition=, else slurm.conf's Default=YES
    std::vector<PartitionTimes> partition_times;  // DefaultTime/MaxTime from slurm.conf
    // The collector's per-run summary synced next to aifactory.conf (kRunSummaryFile); empty
    // when the site syncs none. A bad file is a note, never a failed load.
    RunTotals runs;
    std::vector<std::string> files;   // what it was loaded from (watched for changes)
    std::vector<std::string> notes;   // problems that disabled a rule, for the log
};

// Loads aifactory.conf at `site_conf`, the shipped catalogues plus the site's extra ones, and
// drops (with a note) partition rules whose System= the hardware catalogue does not know.
// `slurm_conf` (may be empty) is only read for the default partition and the partitions' time
// limits (job_submit may not read it, nor ask slurmctld, per job).
// Throws InputError naming the file and line of the first hard error.
std::shared_ptr<const Snapshot> load_snapshot(const std::string& site_conf,
                                              const std::string& slurm_conf);

// Modification stamp of a set of files (mtime and size of each; missing files count too), to
// notice edits without re-reading them.
std::string files_stamp(const std::vector<std::string>& files);

}  // namespace aif::site
