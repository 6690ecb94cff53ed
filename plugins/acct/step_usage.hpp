// SPDX-License-Identifier: GPL-2.0-or-later
// What the step used on this node beyond rusage: its GPUs (a lib/gpu sampler thread, one per
// slurmstepd, i.e. per step, never per task) and the node's energy counter. Started in
// slurm_spank_init (remote context, as root: RAPL counters are root-only), stopped and joined in
// slurm_spank_exit, which slurmstepd calls once before it exits.
//
// plugstack.conf arguments of aifactory_acct (all optional):
//   gpu_sample_interval=SECONDS   time between GPU samples (default 10, 0.1 to 3600)
//   nvml_library=PATH             default libnvidia-ml.so.1 (the loader's search path)
//   rocm_smi_library=PATH         default librocm_smi64.so
#pragma once
#include <memory>
#include <optional>
#include <string>

extern "C" {
#include <slurm/spank.h>
}

#include "acct/acct.hpp"
#include "gpu/gpu.hpp"
#include "plugins/common/plugstack_args.hpp"

namespace aif::acct_plugin {

// The plugstack keys above, for PlugstackArgs' list of known keys.
inline const char* const kUsageKeys[] = {"gpu_sample_interval", "nvml_library", "rocm_smi_library"};
// Reads them from `args` (a bad value is reported and the default kept).
gpu::SamplerOptions usage_options(plugin::PlugstackArgs& args);

class StepUsage {
public:
    // Starts measuring step `step` (a SPANK step id) of this slurmstepd. Nothing for the extern
    // step; no GPU thread when the step has no GPUs or the node no vendor library.
    void start(spank_t sp, std::uint32_t step, const gpu::SamplerOptions& options);
    // Stops the sampler and puts what was measured into `s`.
    void finish(acct::hooks::StepEnd& s);

private:
    std::unique_ptr<gpu::Sampler> sampler_;
    std::optional<gpu::NodeEnergy> node_start_;
};

}  // namespace aif::acct_plugin
