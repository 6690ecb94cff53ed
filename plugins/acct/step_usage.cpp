// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugins/acct/step_usage.hpp"

#include <slurm/slurm.h>

#include "common/common.hpp"
#include "plugins/common/spank_step.hpp"

namespace aif::acct_plugin {

gpu::SamplerOptions usage_options(plugin::PlugstackArgs& args) {
    gpu::SamplerOptions o;
    args.use("gpu_sample_interval", [&](const std::string& v) {
        o.interval_s = parse_double(v, "gpu_sample_interval", 0.1, 3600);
    });
    args.use("nvml_library", [&](const std::string& v) { o.nvml_library = v; });
    args.use("rocm_smi_library", [&](const std::string& v) { o.rocm_smi_library = v; });
    return o;
}

void StepUsage::start(spank_t sp, std::uint32_t step, const gpu::SamplerOptions& options) {
    if (step == SLURM_EXTERN_CONT) return;
    node_start_ = gpu::read_node_energy();
    // Slurm's GPU ids of the step, from the variable slurmstepd itself wrote (spank_step.hpp).
    const std::string gpus = plugin::gpu_list(sp, step);
    if (gpus.empty() || gpus == "NoDevFiles") return;
    sampler_ = gpu::Sampler::start(gpus, options, [](const std::string& m) {
        slurm_debug("aifactory_acct: %s", m.c_str());
    });
}

void StepUsage::finish(acct::hooks::StepEnd& s) {
    if (node_start_)
        if (auto end = gpu::read_node_energy())
            s.node_energy_j = gpu::node_energy_between(*node_start_, *end);
    if (!sampler_) return;
    const gpu::StepUsage u = sampler_->stop();
    sampler_.reset();
    if (u.samples == 0) return;
    s.gpu_samples = u.samples;
    s.gpu_sample_interval_s = u.interval_s;
    s.gpu_mem_peak_bytes = u.mem_peak_bytes;
    s.gpu_util_mean_pct = u.util_mean_pct;
    s.gpu_util_p95_pct = u.util_p95_pct;
    for (const gpu::TimelinePoint& p : u.timeline)
        if (s.gpu_timeline.size() < record::kMaxGpuTimelinePoints)
            s.gpu_timeline.push_back({p.t_s, p.mem_max_bytes, p.util_mean_pct});
    if (u.energy_j) {
        s.gpu_energy_j = u.energy_j;
        s.gpu_energy_basis = u.energy_basis;
    }
}

}  // namespace aif::acct_plugin
