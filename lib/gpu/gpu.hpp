// SPDX-License-Identifier: GPL-2.0-or-later
// Public header of libaifgpu: what a step's GPUs and node used, measured on the node.
//   Sampler     one thread per step reading the step's GPUs through NVML or ROCm SMI, both
//               loaded with dlopen() at run time (no build dependency; nothing happens on nodes
//               without them). Bounded memory whatever the step's length.
//   node energy the node's cumulative energy counter (HPE Cray pm_counters, else RAPL).
// Other components include this header only; the rest of lib/gpu/ is its own.
// Where the GPU index mapping holds and where it breaks: docs/gpu-usage.md.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aif::gpu {

using Log = std::function<void(const std::string& message)>;

struct SamplerOptions {
    double interval_s = 10;  // between samples; one more is taken at start and at stop
    std::string nvml_library = "libnvidia-ml.so.1";
    std::string rocm_smi_library = "librocm_smi64.so";
};

// One point of a step's GPU timeline: the sampling rounds from `t_s` (seconds after the first
// round) until the next point. Absent values were not read in those rounds.
struct TimelinePoint {
    double t_s = 0;
    std::optional<std::uint64_t> mem_max_bytes;  // max over the step's GPUs and the rounds
    std::optional<double> util_mean_pct;         // mean over the step's GPUs and the rounds
};
// A timeline never has more points than this, whatever the step's length.
inline constexpr std::size_t kMaxTimelinePoints = 64;

// What the step's GPUs did on this node. Absent values were not measured (never 0).
struct StepUsage {
    std::string source;                        // "nvml" | "rocm_smi"
    std::uint32_t gpus = 0;                    // devices sampled
    std::uint32_t samples = 0;                 // sampling rounds that read at least one value
    double interval_s = 0;
    std::optional<std::uint64_t> mem_peak_bytes;  // max over GPUs and samples
    std::optional<double> util_mean_pct, util_p95_pct;  // over every GPU's every sample
    std::optional<double> energy_j;            // all sampled GPUs together
    std::string energy_basis;                  // "counter" | "power" (power x interval)
    std::vector<TimelinePoint> timeline;       // oldest first, at most kMaxTimelinePoints
};

class Sampler {
public:
    // Starts sampling the devices Slurm gave the step ("0,2" as in SLURM_STEP_GPUS). Returns
    // nothing, without starting a thread, when the list is empty or neither library can be
    // loaded (said once through `debug`). Never throws.
    static std::unique_ptr<Sampler> start(const std::string& slurm_gpus, const SamplerOptions& options,
                                          Log debug) noexcept;
    // Takes a last sample, stops and joins the thread. Idempotent.
    StepUsage stop() noexcept;
    ~Sampler();

    struct State;  // lib/gpu/sampler.cpp
    explicit Sampler(std::unique_ptr<State> s);

private:
    std::unique_ptr<State> state_;
};

// "0,2-3" → {0,2,3}; malformed items are skipped. At most 1024 ids.
std::vector<int> parse_gpu_ids(const std::string& list);

// The node's energy counters at one moment, read under `root` ("" for the real /sys).
struct NodeEnergy {
    std::string source;  // "pm_counters" | "rapl"
    // One counter per zone, in joules, with the zone's wrap-around range (0: does not wrap).
    std::vector<std::pair<double, double>> zones;
};
std::optional<NodeEnergy> read_node_energy(const std::string& root = "");
// Joules between two readings of the same source; nothing when they do not match.
std::optional<double> node_energy_between(const NodeEnergy& start, const NodeEnergy& end);

}  // namespace aif::gpu
