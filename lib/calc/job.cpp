// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/job.hpp"

#include "calc/arch_spec.hpp"
#include "calc/profiles.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace aif::calc {

namespace {

Layout parse_layout(std::string_view v, const std::string& flag) {
    Layout l;
    for (const std::string& item : split(v, ',')) {
        auto eq = item.find('=');
        if (eq == std::string::npos)
            throw InputError(flag + ": '" + printable(item) + "' is not key=value (example: tp=4,pp=2)");
        const std::string k = lower(trim(std::string_view(item).substr(0, eq)));
        const std::string val(trim(std::string_view(item).substr(eq + 1)));
        const std::string what = flag + " " + k;
        if (k == "tp") l.tp = int(parse_int(val, what, 1, 1024));
        else if (k == "pp") l.pp = int(parse_int(val, what, 1, 1024));
        else if (k == "vpp") l.vpp = int(parse_int(val, what, 1, 1024));
        else if (k == "cp") l.cp = int(parse_int(val, what, 1, 1024));
        else if (k == "ep") l.ep = int(parse_int(val, what, 1, 4096));
        else if (k == "etp") l.etp = int(parse_int(val, what, 1, 1024));
        else if (k == "first") l.first = parse_int(val, what, 1, 10'000);
        else if (k == "last") l.last = parse_int(val, what, 1, 10'000);
        else if (k == "sp") l.sp = parse_bool(val, what);
        else if (k == "dp") continue;  // derived from the GPU count; accepted for convenience
        else throw InputError(flag + ": unknown key '" + printable(k, 20) + "' (use tp, pp, vpp, cp, ep, etp, sp, first, last)");
    }
    return l;
}

}  // namespace

const std::vector<std::string>& option_keys() {
    static const std::vector<std::string> keys{"model", "arch", "layout", "zero", "fsdp", "dist-opt",
                                               "mbs", "gbs", "seq", "tokens", "precision", "optimizer",
                                               "recompute", "flash", "framework", "mfu", "offload",
                                               "master", "optim-in-bwd", "lora", "lora-targets", "quant",
                                               "offload-activations", "partition-activations",
                                               "cpu-checkpointing", "moe-capacity",
                                               "compile", "ac-every"};
    return keys;
}

void apply_option(JobSpec& job, std::string_view key_in, std::string_view value, std::string_view prefix) {
    const std::string key = lower(trim(key_in));
    const std::string flag = std::string(prefix) + printable(key, 40);  // user text: bounded (names are at most 32 bytes)
    TrainingSetup& s = job.setup;
    const bool switch_key = key == "fsdp" || key == "dist-opt" || key == "offload" || key == "optim-in-bwd" ||
                            key == "offload-activations" || key == "partition-activations" ||
                            key == "cpu-checkpointing";
    auto on = [&] { return trim(value).empty() ? true : parse_bool(value, flag); };  // bare switch: on
    if (trim(value).empty() && !switch_key) throw InputError(flag + ": needs a value");
    if (key == "model") {
        std::string v(trim(value));
        if (v.size() > 128) throw InputError(flag + ": name is too long");
        job.model = lower(v);
    } else if (key == "arch") {
        if (value.size() > 4096) throw InputError(flag + ": description is too long");
        parse_arch(value);  // validate the syntax now; applied on top of the model later
        job.arch_spec = job.arch_spec.empty() ? std::string(value) : job.arch_spec + "," + std::string(value);
    } else if (key == "layout") {
        Layout l = parse_layout(value, flag);
        s.layout = l;
    } else if (key == "zero") {
        s.zero = int(parse_int(value, flag, 0, 3));
    } else if (key == "fsdp") {
        s.fsdp = trim(value).empty() ? Fsdp::Full : parse_enum(value, flag, kFsdpNames);
        s.fsdp_given = true;
    } else if (key == "dist-opt") {
        s.dist_opt = trim(value).empty() ? true : parse_bool(value, flag);
    } else if (key == "offload") {
        s.offload_optimizer = trim(value).empty() ? true : parse_bool(value, flag);
    } else if (key == "mbs") {
        s.mbs = parse_int(value, flag, 1, 65536);
    } else if (key == "gbs") {
        s.gbs = parse_int(value, flag, 1, 100'000'000);
    } else if (key == "seq") {
        double v = parse_count(value, flag);
        if (v < 1 || v > 16'777'216 || v != long(v))
            throw InputError(flag + ": sequence length must be a whole number of tokens up to 16M");
        s.seq = long(v);
    } else if (key == "tokens") {
        double v = parse_count(value, flag);
        if (v > 1e15) throw InputError(flag + ": more than 1P tokens is not plausible");
        s.tokens = v;
    } else if (key == "precision") {
        s.precision = parse_enum(value, flag, kPrecisionNames);
    } else if (key == "optimizer") {
        s.optimizer = parse_enum(value, flag, kOptimizerNames);
    } else if (key == "recompute") {
        s.recompute = parse_enum(value, flag, kRecomputeNames);
    } else if (key == "flash") {
        s.flash = parse_bool(value, flag);
    } else if (key == "compile") {
        s.compile = parse_bool(value, flag) ? 1 : 0;
    } else if (key == "ac-every") {
        s.ac_every = int(parse_int(value, flag, 1, 10'000));
    } else if (key == "framework") {
        const FrameworkProfile& p = parse_profile(value, flag);  // "torchtitan" or "torchtitan@2025.06"
        s.framework = p.framework;
        s.profile = &p;
        s.profile_versioned = value.find('@') != std::string_view::npos;
    } else if (key == "master") {
        s.master = parse_enum(value, flag, kMasterNames);
    } else if (key == "optim-in-bwd") {
        s.optim_in_backward = on();
    } else if (key == "lora") {
        s.lora_rank = parse_int(value, flag, 0, 65536);
    } else if (key == "lora-targets") {
        s.lora_targets = parse_enum(value, flag, kLoraTargetNames);
    } else if (key == "quant") {
        s.quant = parse_enum(value, flag, kQuantNames);
    } else if (key == "offload-activations") {
        s.offload_activations = on();
    } else if (key == "partition-activations") {
        s.partition_activations = on();
    } else if (key == "cpu-checkpointing") {
        s.cpu_checkpointing = on();
    } else if (key == "moe-capacity") {
        s.moe_capacity = parse_double(value, flag, 1.0, 64.0);
    } else if (key == "mfu") {
        s.mfu = parse_double(value, flag, 0.01, 1.0);
    } else {
        std::string msg = "unknown option " + flag;
        auto near = closest(key, option_keys(), 1);
        if (!near.empty()) msg += " (did you mean " + std::string(prefix) + near[0] + "?)";
        throw InputError(msg);
    }
}

Architecture resolve_arch(const JobSpec& job, const ModelCatalogue& models) {
    Architecture base;
    if (!job.model.empty() && job.model != "custom") base = models.require(job.model).arch;
    else if (job.arch_spec.empty()) throw InputError("no model given: name one (--model) or describe it (--arch)");
    Architecture a = parse_arch(job.arch_spec, base);
    validate(a);
    return a;
}

std::string model_label(const JobSpec& job) {
    if (!job.model.empty()) return job.arch_spec.empty() ? job.model : job.model + " (modified)";
    return "custom model";
}

}  // namespace aif::calc
