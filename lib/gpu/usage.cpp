// SPDX-License-Identifier: GPL-2.0-or-later
#include "gpu/usage.hpp"

#include <algorithm>

namespace aif::gpu {

void UsageAccumulator::add_to_timeline(double t, std::optional<std::uint64_t> mem, double util_sum,
                                       std::uint64_t util_n) {
    if (!t0_) t0_ = t;
    if (buckets_.empty() || buckets_.back().rounds >= rounds_per_bucket_) {
        if (buckets_.size() == kMaxTimelinePoints) {
            // Full: merge neighbours (max of memory, mean of utilisation), halving the count.
            std::vector<Bucket> merged;
            merged.reserve(kMaxTimelinePoints);
            for (std::size_t i = 0; i < buckets_.size(); i += 2) {
                Bucket b = buckets_[i];
                if (i + 1 < buckets_.size()) {
                    const Bucket& n = buckets_[i + 1];
                    b.rounds += n.rounds;
                    if (n.mem_max) b.mem_max = std::max(b.mem_max.value_or(0), *n.mem_max);
                    b.util_sum += n.util_sum;
                    b.util_n += n.util_n;
                }
                merged.push_back(b);
            }
            buckets_.swap(merged);
            rounds_per_bucket_ *= 2;
        }
        if (buckets_.empty() || buckets_.back().rounds >= rounds_per_bucket_) {
            buckets_.emplace_back();
            buckets_.back().t_s = std::max(0.0, t - *t0_);
        }
    }
    Bucket& b = buckets_.back();
    ++b.rounds;
    if (mem) b.mem_max = std::max(b.mem_max.value_or(0), *mem);
    b.util_sum += util_sum;
    b.util_n += util_n;
}

void UsageAccumulator::add(double t, const std::vector<Reading>& readings) {
    bool any = false;
    std::optional<std::uint64_t> round_mem;
    double round_util = 0;
    std::uint64_t round_util_n = 0;
    for (std::size_t i = 0; i < readings.size() && i < per_gpu_.size(); ++i) {
        const Reading& r = readings[i];
        PerGpu& g = per_gpu_[i];
        if (r.mem_used_bytes) {
            mem_peak_ = std::max(mem_peak_.value_or(0), *r.mem_used_bytes);
            round_mem = std::max(round_mem.value_or(0), *r.mem_used_bytes);
            any = true;
        }
        if (r.util_pct) {
            ++util_hist_[std::min(*r.util_pct, 100u)];
            ++util_n_;
            round_util += std::min(*r.util_pct, 100u);
            ++round_util_n;
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
    if (!any) return;
    ++samples_;
    if (round_mem || round_util_n) add_to_timeline(t, round_mem, round_util, round_util_n);
}

void UsageAccumulator::summarise(StepUsage& u) const {
    u.samples = samples_;
    u.mem_peak_bytes = mem_peak_;
    u.timeline.clear();
    for (const Bucket& b : buckets_) {
        TimelinePoint p;
        p.t_s = b.t_s;
        p.mem_max_bytes = b.mem_max;
        if (b.util_n) p.util_mean_pct = b.util_sum / static_cast<double>(b.util_n);
        u.timeline.push_back(p);
    }
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
