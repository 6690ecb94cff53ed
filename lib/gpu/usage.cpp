// SPDX-License-Identifier: GPL-2.0-or-later
#include "gpu/usage.hpp"

#include <algorithm>

namespace aif::gpu {

void UsageAccumulator::add(double t, const std::vector<Reading>& readings) {
    bool any = false;
    for (std::size_t i = 0; i < readings.size() && i < per_gpu_.size(); ++i) {
        const Reading& r = readings[i];
        PerGpu& g = per_gpu_[i];
        if (r.mem_used_bytes) {
            mem_peak_ = std::max(mem_peak_.value_or(0), *r.mem_used_bytes);
            any = true;
        }
        if (r.util_pct) {
            ++util_hist_[std::min(*r.util_pct, 100u)];
            ++util_n_;
            any = true;
        }
        if (r.energy_j) {
            if (!g.first_energy_j) g.first_energy_j = r.energy_j;
            if (g.last_energy_j && *r.energy_j < *g.last_energy_j) g.counter_went_back = true;  // driver reload
            g.last_energy_j = r.energy_j;
            ++g.energy_readings;
            any = true;
        }
        if (r.power_w) {
            // Each reading stands for the interval before it.
            if (g.last_power_t && t > *g.last_power_t) {
                g.power_energy_j += *r.power_w * (t - *g.last_power_t);
                ++g.power_intervals;
            }
            g.last_power_t = t;
            any = true;
        }
    }
    if (any) ++samples_;
}

void UsageAccumulator::summarise(StepUsage& u) const {
    u.samples = samples_;
    u.mem_peak_bytes = mem_peak_;
    if (util_n_) {
        std::uint64_t sum = 0;
        for (unsigned v = 0; v <= 100; ++v) sum += util_hist_[v] * v;
        u.util_mean_pct = static_cast<double>(sum) / static_cast<double>(util_n_);
        // Nearest rank: the smallest value at or above which 95 % of the readings lie.
        const std::uint64_t rank = (util_n_ * 95 + 99) / 100;
        std::uint64_t seen = 0;
        for (unsigned v = 0; v <= 100; ++v) {
            seen += util_hist_[v];
            if (seen >= rank) {
                u.util_p95_pct = v;
                break;
            }
        }
    }
    if (per_gpu_.empty()) return;
    // One basis for all GPUs: the counters when every GPU has two sane readings, else power.
    bool counters = true, power = true;
    double by_counter = 0, by_power = 0;
    for (const PerGpu& g : per_gpu_) {
        counters = counters && g.energy_readings >= 2 && !g.counter_went_back;
        if (counters) by_counter += *g.last_energy_j - *g.first_energy_j;
        power = power && g.power_intervals > 0;
        by_power += g.power_energy_j;
    }
    if (counters) {
        u.energy_j = by_counter;
        u.energy_basis = "counter";
    } else if (power) {
        u.energy_j = by_power;
        u.energy_basis = "power";
    }
}

}  // namespace aif::gpu
