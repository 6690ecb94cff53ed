// SPDX-License-Identifier: GPL-2.0-or-later
// Smallest whole-node GPU count (and the layouts) on which a training run fits.
#pragma once
#include <optional>
#include <vector>

#include "calc/estimate.hpp"
#include "calc/hardware.hpp"

namespace aif::calc {

struct SearchLimits {
    long max_nodes = 0;  // 0: the partition's node count (or 4096 for a bare GPU model)
    bool keep_layout = false;  // only vary DP (node count), keep the user's TP/PP/CP/EP
};

struct SearchResult {
    std::optional<Estimate> best;   // fewest nodes, then fastest
    std::vector<Estimate> ranked;   // fitting layouts at that node count, fastest first
};

SearchResult smallest_fit(const Architecture& a, const TrainingSetup& s, const Target& per_gpu,
                          const SearchLimits& limits = {});

// Layouts (TP/PP/CP/EP) that fit at exactly `at.gpus` GPUs, fastest first; the rest of `s` kept.
std::vector<Estimate> fitting_layouts(const Architecture& a, const TrainingSetup& s, const Target& at);

// Target for a partition (memory, peaks, MFU prior, GPUs per node) with `gpus` GPUs.
Target target_for(const GpuModel& g, int gpus_per_node, int gpus, double headroom = 0.0);

}  // namespace aif::calc
