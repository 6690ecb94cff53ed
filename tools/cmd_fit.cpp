// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory fit`: memory per GPU, verdict, time and GPU-hours for a training job;
// the smallest whole-node fit on a system; or, with --where, on every catalogue partition.
#include <cstdio>

#include "args.hpp"
#include "calc/check.hpp"
#include "calc/hf_config.hpp"
#include "calc/search.hpp"
#include "catalogues.hpp"
#include "commands.hpp"
#include "common/enum_names.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "fit_output.hpp"
#include "site/site_config.hpp"

namespace aif::cli {

namespace {

const CommandSpec& spec() {
    static const CommandSpec s{
        "fit",
        "(--model NAME | --config FILE | --arch k=v,...)\n"
        "         (--system PARTITION | --gpu GPU-MODEL | --gpu-mem GIB | --where) [options]",
        "Memory per GPU, verdict, time and GPU-hours of a training job. Without --gpus/--nodes,\n"
        "finds the smallest whole-node GPU count that fits on the system.",
        {
            {"model", Takes::Value, "NAME", "catalogue model (aifactory models)"},
            {"config", Takes::Value, "FILE", "the model's Hugging Face config.json"},
            {"arch", Takes::Value, "k=v,...", "architecture keys; with --model/--config, overrides"},
            {"system", Takes::Value, "PARTITION", "catalogue partition (aifactory systems)"},
            {"gpu", Takes::Value, "GPU-MODEL", "a catalogue GPU, --gpus-per-node of them per node"},
            {"gpu-mem", Takes::Value, "GIB", "only the memory per GPU (no time estimate)"},
            {"gpus-per-node", Takes::Value, "N", "with --gpu or --gpu-mem (default 8)"},
            {"gpus", Takes::Value, "N", "the job's GPUs"},
            {"nodes", Takes::Value, "N", "the job's nodes"},
            {"where", Takes::Nothing, "", "smallest fit on every catalogue partition"},
            {"layout", Takes::Value, "tp=4,pp=2,...", "tp, pp, vpp, cp, ep, etp, sp=on|off, first=/last= (layers on the first/last pipeline stage) (with --gpus or --nodes)"},
            {"zero", Takes::Value, "0-3", "ZeRO stage"},
            {"fsdp", Takes::OptionalValue, enum_names(calc::kFsdpNames, "|"), "FSDP sharding (bare: full)"},
            {"dist-opt", Takes::OptionalValue, "on|off", "distributed optimizer (Megatron; bare: on)"},
            {"offload", Takes::OptionalValue, "on|off", "optimizer state in host memory (bare: on)"},
            {"mbs", Takes::Value, "N", "micro-batch per GPU, in sequences"},
            {"gbs", Takes::Value, "N", "global batch, in sequences"},
            {"seq", Takes::Value, "N", "sequence length, in tokens"},
            {"precision", Takes::Value, enum_names(calc::kPrecisionNames, "|"), "training precision"},
            {"optimizer", Takes::Value, enum_names(calc::kOptimizerNames, "|"), "optimizer"},
            {"recompute", Takes::Value, enum_names(calc::kRecomputeNames, "|"), "activation recomputation"},
            {"flash", Takes::Value, "on|off", "flash attention"},
            {"compile", Takes::Value, "on|off", "torch.compile (torchtitan, torchtune; default: the profile's)"},
            {"ac-every", Takes::Value, "N", "torchtitan layer SAC: every N-th block full AC (with --recompute selective)"},
            {"framework", Takes::Value, "NAME[@VERSION]", "framework profile (aifactory models --frameworks)"},
            {"master", Takes::Value, enum_names(calc::kMasterNames, "|"), "optimizer's weight copy: fp32 (mixed precision) or bf16 (pure bf16)"},
            {"optim-in-bwd", Takes::OptionalValue, "on|off", "optimizer step fused into backward, grads freed per tensor (bare: on)"},
            {"lora", Takes::Value, "RANK", "LoRA fine-tuning with adapters of this rank (base frozen)"},
            {"lora-targets", Takes::Value, enum_names(calc::kLoraTargetNames, "|"), "layers with adapters (default qvo-mlp, torchtune's)"},
            {"quant", Takes::Value, enum_names(calc::kQuantNames, "|"), "frozen base with --lora: bf16 or nf4 (QLoRA)"},
            {"offload-activations", Takes::OptionalValue, "on|off", "saved activations to host memory (bare: on)"},
            {"partition-activations", Takes::OptionalValue, "on|off", "DeepSpeed: checkpoints split over TP (bare: on)"},
            {"cpu-checkpointing", Takes::OptionalValue, "on|off", "DeepSpeed: partitioned checkpoints to host (bare: on)"},
            {"moe-capacity", Takes::Value, "F", "MoE: worst expert's tokens over the average (capacity factor; default 1)"},
            {"tokens", Takes::Value, "2T", "tokens to train (suffixes k, M, B, T)"},
            {"mfu", Takes::Value, "0.4", "model FLOPs utilisation (default: the GPU's prior)"},
            {"headroom", Takes::Value, "5%", "memory kept free on each GPU (default 0%, as aifactory.conf)"},
            {"json", Takes::Nothing, "", "one JSON object"},
            {"models", Takes::Value, "FILE", "extra model catalogue (repeatable)"},
            {"hardware", Takes::Value, "FILE", "extra hardware catalogue (repeatable)"},
            {"site-model", Takes::Value, "FILE", "site calibration (aifactory calibrate; default: $AIFACTORY_CONF's SiteModel=)"},
        },
        "Exit status: 0 computed (whatever the verdict), 2 bad input.",
    };
    return s;
}

struct FitArgs {
    calc::JobSpec job;
    std::string config_path, system, gpu, gpu_mem;
    int gpus = 0, nodes = 0, gpus_per_node = 0;
    double headroom = site::SiteConfig{}.default_headroom;  // the plugin's default: one rule for both
    bool where = false, json = false;
    std::vector<std::string> extra_models, extra_hardware;
    std::string site_model;
};

std::string read_config(const std::string& path) {
    try {
        return read_file(path, 4 * 1024 * 1024);
    } catch (const InputError& e) {
        throw InputError(std::string("--config: cannot read ") + e.what());  // "<path>: No such file or directory"
    }
}

// Options that say nothing in the mode chosen are errors, not silently dropped.
void check_combinations(const ParsedArgs& args) {
    forbid_together(args, "model", "config", "the config describes the whole model (use --arch to change it)");
    for (const char* o : {"system", "gpu", "gpu-mem", "gpus", "nodes", "gpus-per-node"})
        forbid_together(args, "where", o, "--where compares every catalogue partition");
    forbid_together(args, "gpus", "nodes", "give the job's size one way");
    if (args.has("layout") && !args.has("gpus") && !args.has("nodes"))
        throw InputError("--layout needs --gpus or --nodes (without them fit searches the layout itself)");
    if (args.has("system") && args.has("gpus-per-node"))
        throw InputError("--gpus-per-node: the partition fixes it; use it with --gpu or --gpu-mem");
}

FitArgs parse(int argc, char** argv) {
    const ParsedArgs args = parse_options(spec(), argc, argv);
    check_combinations(args);
    FitArgs f;
    for (const Arg& a : args.options) {
        if (a.key == "config") f.config_path = a.value;
        else if (a.key == "system") f.system = a.value;
        else if (a.key == "gpu") f.gpu = a.value;
        else if (a.key == "gpu-mem") f.gpu_mem = a.value;
        else if (a.key == "gpus") f.gpus = int(parse_int(a.value, "--gpus", 1, 1'000'000));
        else if (a.key == "nodes") f.nodes = int(parse_int(a.value, "--nodes", 1, 100'000));
        else if (a.key == "gpus-per-node") f.gpus_per_node = int(parse_int(a.value, "--gpus-per-node", 1, 64));
        else if (a.key == "where") f.where = true;
        else if (a.key == "json") f.json = true;
        else if (a.key == "models") f.extra_models.push_back(a.value);
        else if (a.key == "hardware") f.extra_hardware.push_back(a.value);
        else if (a.key == "site-model") f.site_model = a.value;
        else if (a.key == "headroom") {
            std::string v = a.value;
            if (!v.empty() && v.back() == '%') v.pop_back();
            f.headroom = parse_double(v, "--headroom", 0, 90) / 100.0;
        } else calc::apply_option(f.job, a.key, a.value, "--");
    }
    if (!f.config_path.empty()) {
        calc::Architecture hf = calc::arch_from_hf_config(read_config(f.config_path), f.config_path);
        f.job.arch_spec = calc::format_arch(hf) + (f.job.arch_spec.empty() ? "" : "," + f.job.arch_spec);
    }
    if (f.job.model.empty() && f.job.arch_spec.empty()) throw InputError("give --model, --config or --arch");
    int targets = !f.system.empty() + !f.gpu.empty() + !f.gpu_mem.empty();
    if (targets > 1) throw InputError("give only one of --system, --gpu and --gpu-mem");
    if (targets == 0 && !f.where) throw InputError("give --system PARTITION (or --gpu, --gpu-mem, --where)");
    return f;
}

// The GPUs with the profile's band and the site's correction for this profile and GPU.
calc::Target target(const Catalogues& cat, const FitArgs& f, const calc::GpuModel& g, int gpn, int gpus) {
    return calc::with_site_model(calc::with_band(calc::target_for(g, gpn, gpus, f.headroom), &cat.bands, f.job.setup),
                                 &cat.site_model, f.job.setup, g.id);
}

std::string label(const FitArgs& f) {
    if (!f.config_path.empty()) return f.config_path;
    return calc::model_label(f.job);
}

int run_where(const FitArgs& f, const Catalogues& cat, const calc::Architecture& a) {
    std::vector<WhereRow> rows;
    for (const calc::Partition& p : cat.hardware.partitions()) {
        const calc::GpuModel& g = cat.hardware.gpu_of(p);
        calc::SearchLimits lim;
        lim.max_nodes = p.nodes > 0 ? p.nodes : 4096;
        WhereRow r{p.id, p.system, g.id, lim.max_nodes, false, {}};
        calc::SearchResult s = smallest_fit(
            a, f.job.setup, target(cat, f, g, p.gpus_per_node, p.gpus_per_node), lim);
        if (s.best) {
            r.found = true;
            r.estimate = *s.best;
        }
        rows.push_back(std::move(r));
    }
    if (f.json) {
        json::Ptr list(json_array());
        for (const auto& r : rows) {
            FitContext c{label(f), r.partition, r.gpu, 0, f.headroom, &f.job.setup, r.partition_nodes, ""};
            json_t* row = r.found ? estimate_json(r.estimate, c)
                                  : json_pack("{s:s,s:s,s:I}", "system", r.partition.c_str(), "verdict", "does-not-fit",
                                              "partition_nodes", json_int_t(r.partition_nodes));
            json_array_append_new(list.get(), row);
        }
        json::Ptr out(json_pack("{s:s,s:O}", "model", label(f).c_str(), "where", list.get()));
        std::puts(json::dump(out.get(), true).c_str());
    } else {
        print_where(rows, label(f), f.job.setup, f.headroom);
    }
    return 0;
}

// How the layers fall on the pipeline stages (an even spread when they do not divide).
std::string pipeline_note(const calc::Architecture& a, const calc::Layout& l) {
    if (l.pp <= 1) return "";
    const long most = calc::stage_layers(l, a.layers, 0), fewest = calc::stage_layers(l, a.layers, l.pp - 1);
    std::string note = "pp=" + std::to_string(l.pp) + ": ";
    if (l.first > 0 || l.last > 0)
        return note + std::to_string(most) + " layers on the first stage, " + std::to_string(fewest) +
               " on the last, " + std::to_string(calc::stage_layers(l, a.layers, 1)) + " on the second";
    if (most == fewest) return note + std::to_string(most) + " of the " + std::to_string(a.layers) + " layers per stage";
    int with_most = 0;
    while (with_most < l.pp && calc::stage_layers(l, a.layers, with_most) == most) ++with_most;
    return note + std::to_string(most) + " layers on the first " +
           (with_most == 1 ? std::string("stage") : std::to_string(with_most) + " stages") + ", " +
           std::to_string(fewest) + " on the others (" + std::to_string(a.layers) + " layers)";
}

std::string why_chosen(const calc::Architecture& a, const calc::Estimate& e, std::size_t layouts) {
    std::string why = "fewest whole nodes that fit; ";
    why += layouts == 1 ? "the only layout that fits there"
                        : "fastest of " + std::to_string(layouts) + " layouts that fit there";
    const std::string pp = pipeline_note(a, e.layout);
    return pp.empty() ? why : why + "; " + pp;
}

// Says why nothing fits: the partition's size (and what the model would need), or the search bound.
void not_found(const FitContext& ctx, const calc::Architecture& a, const calc::TrainingSetup& s,
               const calc::Target& per_node) {
    std::string need;
    if (ctx.partition_nodes > 0) {
        calc::SearchResult beyond = smallest_fit(a, s, per_node);
        need = beyond.best ? "; it needs " + std::to_string(beyond.best->nodes) + " nodes"
                           : "; nor on 4096 nodes of " + ctx.gpu_name;
        std::fprintf(stderr, "aifactory fit: %s on %s: does not fit on this partition (%ld nodes)%s\n",
                     ctx.model.c_str(), ctx.system.c_str(), ctx.partition_nodes, need.c_str());
    } else {
        std::fprintf(stderr, "aifactory fit: %s does not fit on up to 4096 nodes of %s\n", ctx.model.c_str(),
                     ctx.gpu_name.c_str());
    }
}

}  // namespace

int cmd_fit(int argc, char** argv) {
    return guarded(spec(), [&] {
        const FitArgs f = parse(argc, argv);
        Catalogues cat = load_catalogues(f.extra_models, f.extra_hardware, f.site_model);
        calc::Architecture a = resolve_arch(f.job, cat.models);
        if (f.where) return run_where(f, cat, a);

        FitContext ctx{label(f), "", "", 0, f.headroom, &f.job.setup, 0, ""};
        calc::GpuModel gpu;
        int gpn = 1;
        if (!f.system.empty()) {
            const calc::Partition& p = cat.hardware.require_partition(f.system);
            gpu = cat.hardware.gpu_of(p);
            gpn = p.gpus_per_node;
            ctx.system = p.id;
            ctx.partition_nodes = p.nodes;
        } else if (!f.gpu.empty()) {
            gpu = cat.hardware.require_gpu(f.gpu);
            gpn = f.gpus_per_node ? f.gpus_per_node : 8;
        } else {
            gpu.name = f.gpu_mem + " GiB GPU";
            gpu.memory_bytes = parse_double(f.gpu_mem, "--gpu-mem", 1, 4096) * GiB;
            gpu.bf16_flops = 0;  // unknown: no time estimate
            gpn = f.gpus_per_node ? f.gpus_per_node : 8;
        }
        ctx.gpu_name = gpu.name;
        ctx.gpus_per_node = gpn;
        int gpus = f.gpus ? f.gpus : f.nodes * gpn;
        calc::Estimate e;
        if (gpus == 0) {
            const calc::Target per_node = target(cat, f, gpu, gpn, gpn);
            calc::SearchLimits lim;
            lim.max_nodes = ctx.partition_nodes;  // 0: the search's own bound (4096)
            calc::SearchResult s = smallest_fit(a, f.job.setup, per_node, lim);
            if (!s.best) {
                not_found(ctx, a, f.job.setup, per_node);
                return 0;
            }
            e = *s.best;
            ctx.why = why_chosen(a, e, s.ranked.size());
            if (!f.json) std::printf("Smallest fit: %d node%s (%d GPUs)\n\n", e.nodes, e.nodes == 1 ? "" : "s", e.gpus);
        } else {
            e = calc::estimate(a, f.job.setup, target(cat, f, gpu, gpn, gpus));
            if (!partition_limit(e, ctx.partition_nodes).empty()) e.verdict = calc::Verdict::DoesNotFit;
        }
        if (f.json) {
            json::Ptr o(estimate_json(e, ctx));
            std::puts(json::dump(o.get(), true).c_str());
        } else {
            print_estimate(e, ctx);
        }
        return 0;
    });
}

}  // namespace aif::cli
