// SPDX-License-Identifier: GPL-2.0-or-later
#include "fit_output.hpp"

#include <cstdio>
#include <string>
#include <utility>

#include "calc/activations_torch.hpp"
#include "calc/profiles.hpp"
#include "common/text.hpp"

namespace aif::cli {

std::string partition_limit(const calc::Estimate& e, long partition_nodes) {
    if (partition_nodes <= 0 || e.nodes <= partition_nodes) return "";
    return "does not fit on this partition (" + std::to_string(partition_nodes) + " node" +
           (partition_nodes == 1 ? "" : "s") + ")";
}

static std::string percent(double fraction) { return fmt_fixed(fraction * 100, 0) + "%"; }

// " (49.8-55.6)": the profile's band in GiB per GPU, "" when there is none.
static std::string band_text(const calc::Estimate& e) {
    const std::string mid = fmt_gib(e.mem.total), lo = fmt_gib(e.total_lo), hi = fmt_gib(e.total_hi);
    return lo == mid && hi == mid ? "" : " (" + lo + "-" + hi + ")";
}
static std::string gib_band(const calc::Estimate& e) { return fmt_gib(e.mem.total) + band_text(e); }

static void row(const char* label, double bytes) { std::printf("  %-34s %8s\n", label, fmt_gib(bytes, 2).c_str()); }

void print_estimate(const calc::Estimate& e, const FitContext& c) {
    const calc::TrainingSetup& s = *c.setup;
    std::printf("Model      %s: %s parameters (%s active)\n", c.model.c_str(), fmt_count(e.params.total).c_str(),
                fmt_count(e.params.active).c_str());
    if (!c.system.empty())
        std::printf("System     %s: %d x %s per node%s\n", c.system.c_str(), c.gpus_per_node, c.gpu_name.c_str(),
                    c.partition_nodes > 0 ? (", " + std::to_string(c.partition_nodes) + " nodes").c_str() : "");
    // Without --gbs the memory and time estimates assume 2 x pp micro-batches under PP.
    const bool assumed = s.gbs <= 0 && e.layout.pp > 1;
    const long m = assumed ? 2L * e.layout.pp : e.micro_batches;
    std::printf("Layout     %s on %d GPU%s (%d node%s), data-parallel %d, %ld micro-batch%s per step%s\n",
                calc::describe(e.layout).c_str(), e.gpus, e.gpus == 1 ? "" : "s", e.nodes, e.nodes == 1 ? "" : "s", e.dp, m,
                m == 1 ? "" : "es", assumed ? " (assumed: no --gbs)" : "");
    // torch.compile changes the block's or the loss's memory only for the PyTorch-native profiles.
    const calc::FrameworkProfile& fp = calc::profile(s);
    const std::string compile =
        !calc::compile_matters(fp) ? "" : calc::torch_compiled(s, fp) ? ", compile on" : ", compile off";
    std::printf("Setup      %s, %s, %s, ZeRO stage %d, recompute %s, flash %s%s, seq %ld, micro-batch %ld\n",
                calc::name(s.precision), calc::name(s.optimizer), fp.id, calc::effective_setup(s, e.gpus).shard_stage(),
                calc::name(s.recompute), s.flash ? "on" : "off", compile.c_str(), s.seq, s.mbs);
    if (const std::string modes = calc::describe_modes(s); !modes.empty()) std::printf("Modes      %s\n", modes.c_str());
    std::printf("Headroom   %s kept free (--headroom; the plugin's default too, unless aifactory.conf sets Headroom=)\n",
                percent(c.headroom).c_str());
    if (!c.why.empty()) std::printf("Why        %s\n", c.why.c_str());
    if (e.site_jobs > 0)
        std::printf("Site       site-calibrated: activations x%.2f, overhead x%.2f from %d jobs (SiteModel=)\n",
                    e.activation_scale, e.overhead_scale, e.site_jobs);
    if (std::string(e.mem.stage) == "only")
        std::printf("\nMemory per GPU                            GiB\n");
    else
        std::printf("\nMemory per GPU, %s pipeline stage (rank %d, %ld layers; the worst) GiB\n", e.mem.stage,
                    e.mem.rank, e.mem.layers);
    const bool has_loss = std::string(e.mem.stage) == "only" || std::string(e.mem.stage) == "last";
    if (e.mem.moment == calc::PeakMoment::BlockBackward && has_loss)
        std::printf("  at a layer's backward, after the loss: the layer rebuilt or replayed for it beside the kept"
                    " activations; the loss's peak is lower\n");
    else if (e.mem.moment == calc::PeakMoment::BlockBackward)
        std::printf("  at a layer's backward: the layer rebuilt or replayed for it beside the kept activations\n");
    else if (e.mem.moment == calc::PeakMoment::BackwardEnd)
        std::printf("  at the end of backward: every gradient made (a tied embedding's twice), the loss freed;"
                    " the loss's peak is lower\n");
    else if (e.mem.moment == calc::PeakMoment::OptimizerStep)
        std::printf("  at the optimizer step: every gradient plus foreach AdamW's temporary (in buffers);"
                    " the loss's peak is lower\n");
    row("weights", e.mem.weights);
    row("gradients", e.mem.gradients);
    row("optimizer states", e.mem.optimizer);
    row("activations", e.mem.activations);
    row("logits and loss", e.mem.logits);
    row("buffers (comm, gathered weights)", e.mem.buffers);
    row("= allocated (PyTorch peak)", e.mem.allocated);
    row("reserved (with fragmentation)", e.mem.reserved);
    row("CUDA context + NCCL buffers", e.mem.cuda_context + e.mem.comm);
    row("= total (as nvidia-smi shows)", e.mem.total);
    const std::string usable = "usable (after " + percent(c.headroom) + " headroom)";
    row(usable.c_str(), e.capacity);
    const std::string limit = partition_limit(e, c.partition_nodes);
    if (!limit.empty())
        std::printf("\nVerdict    %s: the job needs %d nodes\n", limit.c_str(), e.nodes);
    else
        std::printf("\nVerdict    %s: needs %s GiB per GPU%s, %s of usable memory; largest term: %s\n",
                    calc::name(e.verdict), fmt_gib(e.mem.total).c_str(), band_text(e).c_str(),
                    percent(e.mem.total / e.capacity).c_str(), e.dominant());
    if (e.tokens_per_s > 0) {
        std::printf("Speed      %s tokens/s (%.0f per GPU) at MFU %.0f%%; %.1f GFLOP per token\n",
                    fmt_count(e.tokens_per_s).c_str(), e.tokens_per_s / e.gpus, e.mfu * 100,
                    e.flops_per_token / 1e9);
        if (e.train_hours > 0)
            std::printf("Time       %s tokens: %s, %s GPU-hours, %s node-hours, %s\n", fmt_count(s.tokens).c_str(),
                        fmt_duration_hours(e.train_hours).c_str(), fmt_count(e.gpu_hours).c_str(),
                        fmt_count(e.node_hours).c_str(),
                        e.energy_kwh > 0 ? (fmt_fixed(e.energy_kwh / 1000, 1) + " MWh at GPU TDP").c_str()
                                         : "energy unknown (no TDP in the catalogue)");
    }
}

// Counts and bytes are whole numbers in JSON (no rounding through a double's printout).
static json_t* whole(double v) { return json_integer(static_cast<json_int_t>(v + 0.5)); }

json_t* estimate_json(const calc::Estimate& e, const FitContext& c) {
    const calc::MemoryBreakdown& m = e.mem;
    json_t* mem = json_object();
    const std::pair<const char*, double> terms[] = {
        {"weights", m.weights},     {"gradients", m.gradients},         {"optimizer", m.optimizer},
        {"activations", m.activations}, {"logits", m.logits},           {"buffers", m.buffers},
        {"overhead", m.cuda_context + m.comm}, {"cuda_context", m.cuda_context}, {"comm", m.comm},
        {"allocated", m.allocated}, {"reserved", m.reserved},           {"total", m.total}};
    for (const auto& [k, v] : terms) json_object_set_new(mem, k, whole(v));
    json_t* o = json_object();
    json_object_set_new(o, "model", json_string(c.model.c_str()));
    json_object_set_new(o, "params_total", whole(e.params.total));
    json_object_set_new(o, "params_active", whole(e.params.active));
    json_object_set_new(o, "per_gpu_bytes", mem);
    json_object_set_new(o, "stage", json_string(m.stage));
    json_object_set_new(o, "stage_rank", json_integer(m.rank));
    json_object_set_new(o, "stage_layers", json_integer(m.layers));
    json_object_set_new(o, "peak_moment", json_string(calc::name(m.moment)));
    json_object_set_new(o, "capacity_bytes", whole(e.capacity));
    json_object_set_new(o, "verdict", json_string(calc::name(e.verdict)));
    json_object_set_new(o, "total_lo_bytes", whole(e.total_lo));  // the band around per_gpu_bytes.total
    json_object_set_new(o, "total_hi_bytes", whole(e.total_hi));
    if (c.setup) json_object_set_new(o, "profile", json_string(calc::profile(*c.setup).id));
    if (c.setup && calc::compile_matters(calc::profile(*c.setup)))
        json_object_set_new(o, "compile", json_boolean(calc::torch_compiled(*c.setup, calc::profile(*c.setup))));
    if (c.setup) {
        if (const std::string modes = calc::describe_modes(*c.setup); !modes.empty())
            json_object_set_new(o, "modes", json_string(modes.c_str()));
    }
    json_object_set_new(o, "headroom", json_real(c.headroom));
    if (c.partition_nodes > 0) json_object_set_new(o, "partition_nodes", json_integer(c.partition_nodes));
    if (!c.why.empty()) json_object_set_new(o, "why", json_string(c.why.c_str()));
    if (e.site_jobs > 0)
        json_object_set_new(o, "site_calibration", json_pack("{s:f,s:f,s:i}", "activations", e.activation_scale,
                                                             "overhead", e.overhead_scale, "jobs", e.site_jobs));
    json_object_set_new(o, "dominant", json_string(e.dominant()));
    json_object_set_new(o, "layout", json_string(calc::describe(e.layout).c_str()));
    json_object_set_new(o, "gpus", json_integer(e.gpus));
    json_object_set_new(o, "nodes", json_integer(e.nodes));
    json_object_set_new(o, "dp", json_integer(e.dp));
    json_object_set_new(o, "flops_per_token", json_real(e.flops_per_token));
    json_object_set_new(o, "hw_flops_per_token", json_real(e.hw_flops_per_token));
    json_object_set_new(o, "tokens_per_s", json_real(e.tokens_per_s));
    json_object_set_new(o, "mfu", json_real(e.mfu));
    if (!c.system.empty()) json_object_set_new(o, "system", json_string(c.system.c_str()));
    if (e.train_hours > 0) {
        json_object_set_new(o, "train_hours", json_real(e.train_hours));
        json_object_set_new(o, "gpu_hours", json_real(e.gpu_hours));
        json_object_set_new(o, "node_hours", json_real(e.node_hours));
        if (e.energy_kwh > 0) json_object_set_new(o, "energy_kwh", json_real(e.energy_kwh));
    }
    return o;
}

void print_where(const std::vector<WhereRow>& rows, const std::string& model, const calc::TrainingSetup& s,
                 double headroom) {
    std::printf("Where can %s train (%s, %s, recompute %s, seq %ld, headroom %s)?\n\n", model.c_str(),
                calc::name(s.precision), calc::profile(s).id, calc::name(s.recompute), s.seq,
                percent(headroom).c_str());
    std::printf("%-18s %-22s %6s %6s %-18s %18s %7s %10s  %s\n", "partition", "GPU", "nodes", "GPUs", "layout",
                "GiB/GPU (band)", "of GiB", s.tokens > 0 ? "time" : "tokens/s", "verdict");
    for (const auto& r : rows) {
        if (!r.found) {
            std::printf("%-18s %-22s %6s %6s %-18s %18s %7s %10s  does not fit on this partition (%ld nodes)\n",
                        r.partition.c_str(), r.gpu.c_str(), "-", "-", "-", "-", "-", "-", r.partition_nodes);
            continue;
        }
        const calc::Estimate& e = r.estimate;
        std::string when = s.tokens > 0 ? fmt_duration_hours(e.train_hours) : fmt_count(e.tokens_per_s);
        std::printf("%-18s %-22s %6d %6d %-18s %18s %7s %10s  %s\n", r.partition.c_str(), r.gpu.c_str(), e.nodes,
                    e.gpus, calc::describe(e.layout).c_str(), gib_band(e).c_str(), fmt_gib(e.capacity).c_str(),
                    when.c_str(), calc::name(e.verdict));
    }
}

}  // namespace aif::cli
