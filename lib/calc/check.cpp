#include "calc/check.hpp"

#include <algorithm>

#include "calc/search.hpp"
#include "common/text.hpp"

namespace aif {

namespace {

std::string gib(double bytes) { return fmt_gib(bytes); }

std::string layout_flag(const Layout& l) {
    std::string d = describe(l);
    return d == "dp only" ? "--llm-layout=tp=1" : "--llm-layout=" + d;
}

// Changes that keep the GPU count: recompute, sharding, micro-batch, then the layout.
std::vector<std::pair<std::string, TrainingSetup>> same_gpu_variants(const TrainingSetup& s) {
    std::vector<std::pair<std::string, TrainingSetup>> v;
    auto with = [&](std::string flag, auto change) {
        TrainingSetup t = s;
        change(t);
        v.emplace_back(std::move(flag), t);
    };
    if (s.recompute == Recompute::None)
        with("--llm-recompute=selective", [](TrainingSetup& t) { t.recompute = Recompute::Selective; });
    if (s.recompute != Recompute::Full)
        with("--llm-recompute=full", [](TrainingSetup& t) { t.recompute = Recompute::Full; });
    if (s.framework == Framework::Megatron && !s.dist_opt && s.zero == 0)
        with("--llm-zero=1 (distributed optimizer)", [](TrainingSetup& t) { t.dist_opt = true; });
    if (s.framework != Framework::Megatron && s.fsdp == Fsdp::Off)
        for (int z = s.zero + 1; z <= 3; ++z)
            with("--llm-zero=" + std::to_string(z), [z](TrainingSetup& t) { t.zero = z; });
    if (s.mbs > 1) with("--llm-mbs=1", [](TrainingSetup& t) { t.mbs = 1; });
    return v;
}

}  // namespace

CheckOutcome check_job(const CheckRequest& req, const ModelCatalogue& models, const HardwareCatalogue& hw) {
    const Architecture a = resolve_arch(*req.job, models);
    const Partition& part = *req.partition;
    const GpuModel& gpu = hw.gpu_of(part);
    const TrainingSetup& s = req.job->setup;
    Target t = target_for(gpu, part.gpus_per_node, req.gpus, req.headroom);
    CheckOutcome out;
    out.estimate = estimate(a, s, t);
    if (out.estimate.verdict != Verdict::DoesNotFit) return out;

    auto need = [](const Estimate& e) { return " (" + gib(e.mem.total) + " GiB)"; };
    // 1. Same GPUs: one setting changed.
    int same_gpu_fixes = 0;
    for (auto& [flag, trial] : same_gpu_variants(s)) {
        Estimate e = estimate(a, trial, t);
        if (e.verdict == Verdict::DoesNotFit) continue;
        out.fixes.push_back(flag + need(e));
        if (++same_gpu_fixes == 1) break;  // the gentlest one is enough
    }
    if (std::vector<Estimate> layouts = fitting_layouts(a, s, t); !layouts.empty())
        out.fixes.push_back(layout_flag(layouts.front().layout) + need(layouts.front()));
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
        const Estimate& e = *more.best;
        std::string flag = "-N " + std::to_string(e.nodes);
        if (!limits.keep_layout) flag += " " + layout_flag(e.layout);
        out.fixes.push_back(flag + need(e));
    }
    // 3. Another partition of this site where it fits on the fewest nodes.
    const Estimate* best_other = nullptr;
    std::string other_name;
    std::vector<Estimate> keep;
    keep.reserve(req.alternatives.size());
    for (std::size_t i = 0; i < req.alternatives.size(); ++i) {
        const Partition& alt = *req.alternatives[i];
        if (alt.id == part.id) continue;
        const GpuModel* g = hw.gpu(alt.gpu_id);
        if (!g) continue;
        SearchLimits l;
        l.max_nodes = alt.nodes > 0 ? alt.nodes : 4096;
        SearchResult r = smallest_fit(a, s, target_for(*g, alt.gpus_per_node, alt.gpus_per_node, req.headroom), l);
        if (!r.best) continue;
        keep.push_back(*r.best);
        if (!best_other || keep.back().gpus < best_other->gpus) {
            best_other = &keep.back();
            other_name = i < req.alternative_names.size() ? req.alternative_names[i] : alt.id;
        }
    }
    if (best_other)
        out.fixes.push_back("-p " + other_name + " -N " + std::to_string(best_other->nodes) + " " +
                            layout_flag(best_other->layout) + need(*best_other));
    return out;
}

std::vector<std::string> rejection_lines(const CheckOutcome& o, const std::string& label) {
    const Estimate& e = o.estimate;
    std::vector<std::string> lines;
    lines.push_back("aifactory: " + label + " does not fit in GPU memory.");
    lines.push_back("Needs " + gib(e.mem.total) + " GiB per GPU, " + gib(e.capacity) + " GiB usable (" +
                    std::to_string(e.gpus) + " GPUs, " + describe(e.layout) + ").");
    std::string dom = e.dominant();
    double dom_bytes = dom == std::string("activations") ? e.mem.activations
                       : dom == std::string("optimizer states") ? e.mem.optimizer
                       : dom == std::string("weights") ? e.mem.weights
                       : dom == std::string("gradients") ? e.mem.gradients
                       : dom == std::string("logits") ? e.mem.logits
                                                      : e.mem.buffers;
    lines.push_back("Largest term: " + dom + ", " + gib(dom_bytes) + " GiB per GPU.");
    if (o.fixes.empty()) {
        lines.push_back("Nothing fits on this partition; see: aifactory fit --where");
    } else {
        lines.push_back(o.fixes.size() == 1 ? "A change that fits (GiB per GPU):"
                                            : "Smallest changes that fit (GiB per GPU):");
        for (const auto& f : o.fixes) lines.push_back("  " + f);
    }
    return lines;
}

std::string prediction_line(const CheckOutcome& o, const std::string& label) {
    const Estimate& e = o.estimate;
    std::string head = "aifactory: " + label + (e.verdict == Verdict::Tight ? " fits, tightly: " : " fits: ") +
                       gib(e.mem.total) + " of " + gib(e.capacity) + " GiB per GPU";
    std::string tail;
    if (e.train_hours > 0)
        tail = "est. " + fmt_duration_hours(e.train_hours) + ", " + fmt_count(e.gpu_hours) + " GPU-hours on " +
               std::to_string(e.gpus) + " GPUs";
    if (e.verdict == Verdict::Tight)
        tail += (tail.empty() ? "" : "; ") + std::string("within the estimate's ~10% error");
    if (tail.empty()) return head;
    return head.size() + 2 + tail.size() <= 70 ? head + "; " + tail : head + "\n" + tail;
}

record::Prediction to_prediction(const Estimate& e) {
    record::Prediction p;
    p.verdict = name(e.verdict);
    p.gib_per_gpu = e.mem.total / GiB;
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
    return p;
}

std::string prediction_kv(const Estimate& e) { return to_prediction(e).encode(); }

}  // namespace aif
