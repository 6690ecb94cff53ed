// SPDX-License-Identifier: GPL-2.0-or-later
// Internal to libaifgpu: the step's usage summarised as samples arrive, in constant memory
// (a 101-bucket utilisation histogram gives the exact mean and p95; per GPU: first and last
// energy counter, integrated power; the timeline: at most kMaxTimelinePoints buckets of equal
// round counts, neighbours merged pairwise when full).
#pragma once
#ifdef AIF_PLUGIN
#error "lib/gpu/usage.hpp is internal to libaifgpu: include gpu/gpu.hpp"
#endif
#include <array>
#include <cstdint>
#include <vector>

#include "gpu/gpu.hpp"
#include "gpu/vendor.hpp"

namespace aif::gpu {

class UsageAccumulator {
public:
    explicit UsageAccumulator(std::size_t gpus) : per_gpu_(gpus) {}
    // One sampling round at monotonic time `t_s`: one reading per GPU, in a fixed order.
    void add(double t_s, const std::vector<Reading>& readings);
    // Fills samples, mem_peak_bytes, util_*, energy_j and energy_basis of `u`.
    void summarise(StepUsage& u) const;

private:
    // A timeline bucket: `rounds` sampling rounds from t_s on.
    struct Bucket {
        double t_s = 0;
        std::uint32_t rounds = 0;
        std::optional<std::uint64_t> mem_max;
        double util_sum = 0;
        std::uint64_t util_n = 0;
    };
    void add_to_timeline(double t_s, std::optional<std::uint64_t> mem, double util_sum, std::uint64_t util_n);
    struct PerGpu {
        std::optional<double> first_energy_j, last_energy_j;
        std::uint32_t energy_readings = 0;
        bool counter_went_back = false;
        std::optional<double> last_power_t;  // when power was last read
        double power_energy_j = 0;
        std::uint32_t power_intervals = 0;
    };
    std::vector<PerGpu> per_gpu_;
    std::array<std::uint64_t, 101> util_hist_{};
    std::uint64_t util_n_ = 0;
    std::optional<std::uint64_t> mem_peak_;
    std::uint32_t samples_ = 0;
    std::optional<double> t0_;              // the first round's time
    std::vector<Bucket> buckets_;           // at most kMaxTimelinePoints
    std::uint32_t rounds_per_bucket_ = 1;   // doubles each time the buckets are merged
};

}  // namespace aif::gpu
