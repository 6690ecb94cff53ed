// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/check.hpp"

#include <algorithm>
#include <optional>

#include "calc/profiles.hpp"
#include "calc/search.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace aif::calc {

namespace {

// Changes that keep the GPU count: recompute, sharding, micro-batch (the layout is tried apart).
std::vector<Fix> same_gpu_variants(const TrainingSetup& s) {
    std::vector<Fix> v;
    auto with = [&](Fix::Kind kind, auto change) {
        Fix f;
        f.kind = kind;
        f.setup = s;
        change(f.setup);
        v.push_back(std::move(f));
    };
    if (s.recompute == Recompute::None)
        with(Fix::Kind::Recompute, [](TrainingSetup& t) { t.recompute = Recompute::Selective; });
    if (s.recompute != Recompute::Full)
        with(Fix::Kind::Recompute, [](TrainingSetup& t) { t.recompute = Recompute::Full; });
    if (s.framework == Framework::Megatron && !s.dist_opt && s.zero == 0)
        with(Fix::Kind::DistOpt, [](TrainingSetup& t) { t.dist_opt = true; });
    // ZeRO stages for the frameworks that take them; a profile that shards by default is FSDP already.
    if (s.framework != Framework::Megatron && s.fsdp == Fsdp::Off && (s.fsdp_given || !profile(s).fsdp_by_default))
        for (int z = s.zero + 1; z <= 3; ++z) with(Fix::Kind::Zero, [z](TrainingSetup& t) { t.zero = z; });
    if (s.mbs > 1) with(Fix::Kind::Mbs, [](TrainingSetup& t) { t.mbs = 1; });
    return v;
}

}  // namespace

CheckOutcome check_job(const CheckRequest& req, const ModelCatalogue& models, const HardwareCatalogue& hw) {
    const Architecture a = resolve_arch(*req.job, models);
    const Partition& part = *req.partition;
    const GpuModel& gpu = hw.gpu_of(part);
    const TrainingSetup& s = req.job->setup;
    Target t = with_site_model(with_band(target_for(gpu, part.gpus_per_node, req.gpus, req.headroom), req.bands, s),
                               req.site_model, s, gpu.id);
    CheckOutcome out;
    out.estimate = estimate(a, s, t);
    if (out.estimate.verdict == Verdict::Fits) return out;
    // Does not fit, or may not: the changes below make even the band's upper end fit.

    // 1. Same GPUs: one setting changed.
    for (Fix& f : same_gpu_variants(s)) {
        try {
            f.estimate = estimate(a, f.setup, t);
        } catch (const InputError&) {
            continue;  // a change the job's modes refuse (micro-batch 1 with --optim-in-bwd and --gbs)
        }
        if (f.estimate.verdict != Verdict::Fits) continue;
        out.fixes.push_back(std::move(f));
        break;  // the gentlest one is enough
    }
    if (std::vector<Estimate> layouts = fitting_layouts(a, s, t); !layouts.empty()) {
        Fix f;
        f.kind = Fix::Kind::Layout;
        f.setup = s;
        f.setup.layout = layouts.front().layout;
        f.layout_changed = true;
        f.estimate = layouts.front();
        out.fixes.push_back(std::move(f));
    }
    // 2. More nodes of this partition: the user's layout if it can, else the best one.
    SearchLimits limits;
    limits.max_nodes = part.nodes > 0 ? part.nodes : 4096;
    limits.keep_layout = true;
    SearchResult more = smallest_fit(a, s, t, limits);
    if (!more.best) {
        limits.keep_layout = false;
        more = smallest_fit(a, s, t, limits);
    }
    if (more.best && more.best->gpus > req.gpus) {
        Fix f;
        f.kind = Fix::Kind::Nodes;
        f.setup = s;
        f.setup.layout = more.best->layout;
        f.layout_changed = !limits.keep_layout;
        f.estimate = *more.best;
        out.fixes.push_back(std::move(f));
    }
    // 3. Another partition of this site where it fits on the fewest nodes.
    std::optional<Fix> other;
    for (std::size_t i = 0; i < req.alternatives.size(); ++i) {
        const Partition& alt = *req.alternatives[i];
        if (alt.id == part.id) continue;
        const GpuModel* g = hw.gpu(alt.gpu_id);
        if (!g) continue;
        SearchLimits l;
        l.max_nodes = alt.nodes > 0 ? alt.nodes : 4096;
        SearchResult r =
            smallest_fit(a, s,
                         with_site_model(with_band(target_for(*g, alt.gpus_per_node, alt.gpus_per_node, req.headroom),
                                                   req.bands, s),
                                         req.site_model, s, g->id),
                         l);
        if (!r.best || (other && r.best->gpus >= other->estimate.gpus)) continue;
        other.emplace();
        other->kind = Fix::Kind::Partition;
        other->setup = s;
        other->setup.layout = r.best->layout;
        other->layout_changed = true;
        other->partition = i < req.alternative_names.size() ? req.alternative_names[i] : alt.id;
        other->estimate = *r.best;
    }
    if (other) out.fixes.push_back(std::move(*other));
    return out;
}

record::Prediction to_prediction(const Estimate& e, std::string_view profile, std::string_view gpu) {
    record::Prediction p;
    p.verdict = name(e.verdict);
    p.gib_per_gpu = e.mem.total / GiB;
    if (e.total_lo > 0 && e.total_hi > 0 && (e.total_lo < e.mem.total || e.total_hi > e.mem.total)) {
        p.gib_lo = e.total_lo / GiB;
        p.gib_hi = e.total_hi / GiB;
    }
    p.capacity_gib = e.capacity / GiB;
    p.dominant = e.dominant();
    p.gpus = e.gpus;
    p.layout = describe(e.layout);
    std::replace(p.layout.begin(), p.layout.end(), '=', ':');
    std::replace(p.layout.begin(), p.layout.end(), ',', '/');
    p.tokens_per_s = e.tokens_per_s;
    // The components, for reports that draw the breakdown against capacity.
    const MemoryBreakdown& m = e.mem;
    p.components = {{"weights", m.weights / GiB},
                    {"gradients", m.gradients / GiB},
                    {"optimizer", m.optimizer / GiB},
                    {"activations", m.activations / GiB},
                    {"logits", m.logits / GiB},
                    {"overhead", (m.buffers + (m.reserved - m.allocated) + m.cuda_context + m.comm) / GiB}};
    if (e.train_hours > 0) {
        p.train_hours = e.train_hours;
        p.gpu_hours = e.gpu_hours;
    }
    if (!profile.empty()) p.extra.emplace_back("profile", std::string(profile));
    if (!gpu.empty()) p.extra.emplace_back("gpu", std::string(gpu));
    if (e.site_jobs > 0) {
        p.extra.emplace_back("site_activations", fmt_fixed(e.activation_scale, 4));
        p.extra.emplace_back("site_overhead", fmt_fixed(e.overhead_scale, 4));
    }
    return p;
}

std::string prediction_kv(const Estimate& e, std::string_view profile, std::string_view gpu) {
    return to_prediction(e, profile, gpu).encode();
}

}  // namespace aif::calc
