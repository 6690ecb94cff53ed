// SPDX-License-Identifier: GPL-2.0-or-later
#include "site/snapshot.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/files.hpp"

namespace aif::site {

std::shared_ptr<const Snapshot> load_snapshot(const std::string& site_conf,
                                              const std::string& slurm_conf) {
    auto s = std::make_shared<Snapshot>();
    s->config = load_site_config(site_conf);
    s->files.push_back(site_conf);

    std::vector<std::string> hw_files{calc::default_catalogue_path("hardware.json")};
    hw_files.insert(hw_files.end(), s->config.hardware_files.begin(), s->config.hardware_files.end());
    std::vector<std::string> model_files{calc::default_catalogue_path("models.json")};
    model_files.insert(model_files.end(), s->config.model_files.begin(), s->config.model_files.end());
    s->hardware = calc::HardwareCatalogue::load(hw_files);
    s->models = calc::ModelCatalogue::load(model_files);
    s->files.insert(s->files.end(), hw_files.begin(), hw_files.end());
    s->files.insert(s->files.end(), model_files.begin(), model_files.end());
    const std::string bands = calc::default_catalogue_path("bands.json");
    s->bands = calc::BandTable::load(bands);
    s->files.push_back(bands);
    if (!s->config.site_model_file.empty()) {
        s->site_model = calc::SiteModel::load(s->config.site_model_file);
        s->files.push_back(s->config.site_model_file);
    }

    // A rule naming an unknown catalogue partition is dropped, not fatal: its jobs pass through.
    std::vector<PartitionRule> kept;
    for (auto& rule : s->config.partitions) {
        try {
            s->hardware.gpu_of(s->hardware.require_partition(rule.system));
            kept.push_back(std::move(rule));
        } catch (const InputError& e) {
            s->notes.push_back(rule.origin + ": System=" + rule.system + ": " + e.what() +
                               "; partition " + rule.slurm_name + " is not checked");
        }
    }
    s->config.partitions = std::move(kept);

    // The run summary: optional (a missing file is watched too, so a first sync is noticed).
    const std::size_t slash = site_conf.find_last_of('/');
    const std::string runs = (slash == std::string::npos ? std::string(".") : site_conf.substr(0, slash)) + "/" +
                             kRunSummaryFile;
    s->files.push_back(runs);
    if (access(runs.c_str(), F_OK) == 0) {
        try {
            s->runs = parse_run_summary(read_file(runs, kMaxRunSummaryBytes), runs);
        } catch (const InputError& e) {
            s->notes.push_back(std::string("run summary not used: ") + e.what());
        }
    }

    s->default_partition = s->config.default_partition;
    if (!slurm_conf.empty()) {
        try {
            const std::string text = read_file(slurm_conf);
            if (s->default_partition.empty()) s->default_partition = default_partition_of_slurm_conf(text);
            s->partition_times = partition_times_of_slurm_conf(text);
        } catch (const InputError& e) {
            s->notes.push_back(std::string("slurm.conf not read (default partition and time limits unknown): ") +
                               e.what());
        }
    }
    return s;
}

std::string files_stamp(const std::vector<std::string>& files) {
    std::string stamp;
    for (const auto& f : files) {
        struct stat st{};
        if (stat(f.c_str(), &st) != 0) {
            stamp += "-;";
            continue;
        }
        stamp += std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
                 std::to_string(st.st_size) + ";";
    }
    return stamp;
}

}  // namespace aif::site
