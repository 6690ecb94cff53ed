// SPDX-License-Identifier: GPL-2.0-or-later
// torchtitan (pytorch/torchtitan): `--job.config_file X.toml` and `--section.key value` overrides
// of its JobConfig (torchtitan/config/job_config.py; older releases: torchtitan/config_manager.py).
// The TOML's settings come as hints of kind "toml" named like the overrides. Where neither gives
// a setting, JobConfig's default applies.
#include <string>

#include "common/text.hpp"
#include "detect/reading.hpp"

namespace aif::detect {

namespace {

// The first of `names` that is given (newer name first), or the first.
const char* pick(Reading& r, std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (r.find(n)) return n;
    return *names.begin();
}

// torchtitan's model flavors that are catalogue models (torchtitan/models/llama3/__init__.py).
std::string catalogue_model(const std::string& name, const std::string& flavor) {
    const std::string f = lower(flavor);
    if ((name == "llama3" || name == "llama3_1") && (f == "8b" || f == "70b" || f == "405b")) return "llama3-" + f;
    if (name == "llama2" && (f == "7b" || f == "13b" || f == "70b")) return "llama2-" + f;
    return "";
}

// torchtitan's MX linear converter by its registered name: "mx" (components/quantization/mx.py,
// fb17e251c, 2025-05-14), "quantize.linear.mx" from 8a2686c4a (2025-09-30). "quantize.grouped_mm.mx"
// converts the MoE experts only, not the linear layers, and is not taken as MXFP8 training.
bool has_mx_converter(const std::string& converters) {
    for (std::string name : split(converters, ',')) {
        std::erase_if(name, [](char c) { return c == '[' || c == ']' || c == '"' || c == '\'' || c == ' '; });
        if (name == "mx" || name == "quantize.linear.mx") return true;
    }
    return false;
}

}  // namespace

void read_torchtitan(Reading& r) {
    const std::string* name = r.text("--model.name", "model");
    const std::string* flavor = r.text("--model.flavor", "model");
    if (name != nullptr && flavor != nullptr) {
        if (const std::string m = catalogue_model(*name, *flavor); !m.empty())
            r.set_from("model", m, "--model.flavor");
        else
            r.miss("model: torchtitan's " + printable(*name, 24) + " flavor " + printable(*flavor, 24) +
                   " is not a catalogue model; give --llm-model or --llm-config");
    } else if (!r.find("--model.name") && !r.find("--model.flavor")) {
        r.absent("model", "", "--model.name/--model.flavor", "");
    }

    std::string layout;
    const char* tp_name = pick(r, {"--parallelism.tensor_parallel_degree", "--training.tensor_parallel_degree"});
    auto degree = [&](const char* key, std::initializer_list<const char*> names) {
        const char* n = pick(r, names);
        const long v = r.number(n, "layout", 1, 4096);
        if (v > 1 || (layout.empty() && std::string(key) == "tp"))
            layout += std::string(layout.empty() ? "" : ",") + key + "=" + std::to_string(v > 0 ? v : 1);
    };
    degree("tp", {"--parallelism.tensor_parallel_degree", "--training.tensor_parallel_degree"});
    degree("pp", {"--parallelism.pipeline_parallel_degree", "--experimental.pipeline_parallel_degree"});
    degree("cp", {"--parallelism.context_parallel_degree", "--experimental.context_parallel_degree"});
    degree("ep", {"--parallelism.expert_parallel_degree"});
    r.set_from("layout", layout, tp_name);

    const char* mbs_opt = pick(r, {"--training.local_batch_size", "--training.batch_size"});
    if (const long mbs = r.number(mbs_opt, "mbs", 1, 65536); mbs > 0) r.set_from("mbs", std::to_string(mbs), mbs_opt);
    else if (mbs == 0) r.absent("mbs", "8", "--training.local_batch_size", "default");
    long gbs = 0;
    if (r.find("--training.global_batch_size")) {  // -1 (the default): mbs × data-parallel size
        const std::string* g = r.text("--training.global_batch_size", "gbs");
        if (g != nullptr && *g != "-1") gbs = r.number("--training.global_batch_size", "gbs", 1, 100'000'000);
        if (gbs > 0) r.set_from("gbs", std::to_string(gbs), "--training.global_batch_size");
    }
    const long seq = r.number("--training.seq_len", "seq", 1, 16'777'216);
    if (seq > 0) r.set_from("seq", std::to_string(seq), "--training.seq_len");
    else if (seq == 0) r.absent("seq", "2048", "--training.seq_len", "default");
    const long steps = r.number("--training.steps", "tokens", 1, 1'000'000'000);
    if (steps > 0 && gbs > 0 && seq > 0 && double(steps) * gbs * seq < 1e15)
        r.set_from("tokens", std::to_string(steps * gbs * seq), "--training.steps");
    else r.miss("tokens: --training.steps × the global batch (mbs × data-parallel size) × --training.seq_len");

    const std::string* converters = r.text("--model.converters", "precision");
    const std::string* param = r.text("--training.mixed_precision_param", "precision");
    if ((converters != nullptr && converters->find("float8") != std::string::npos) ||
        r.flag("--float8.enable_float8_linear"))
        r.set_from("precision", "fp8", converters ? "--model.converters" : "--float8.enable_float8_linear");
    else if (converters != nullptr && has_mx_converter(*converters))
        r.set_from("precision", "mxfp8", "--model.converters");
    else if (param != nullptr && *param == "float32") r.set_from("precision", "fp32", "--training.mixed_precision_param");
    else if (param != nullptr) r.set_from("precision", "bf16", "--training.mixed_precision_param");
    else r.absent("precision", "bf16", "--training.mixed_precision_param", "default (bfloat16)");

    bool selective = false;
    if (const std::string* mode = r.text("--activation_checkpoint.mode", "recompute")) {
        if (*mode == "selective" || *mode == "full" || *mode == "none") r.set_from("recompute", *mode, "--activation_checkpoint.mode");
        else r.miss("recompute: --activation_checkpoint.mode '" + printable(*mode, 20) + "' is not none, selective or full");
        selective = *mode == "selective";
    } else if (!r.find("--activation_checkpoint.mode")) {
        r.absent("recompute", "selective", "--activation_checkpoint.mode", "default");
        selective = true;
    }
    // Selective is op-level SAC ('op') or every N-th block (a number; JobConfig's default "2").
    const char* sac = "--activation_checkpoint.selective_ac_option";
    if (const std::string* option = selective ? r.text(sac, "ac-every") : nullptr; option != nullptr && *option != "op") {
        if (const long n = r.number(sac, "ac-every", 1, 10'000); n > 0) r.set_from("ac-every", std::to_string(n), sac);
    } else if (selective && !r.find(sac)) {
        r.absent("ac-every", "2", sac, "default");
    }
    // torch.compile changes what a block saves and, from torchtitan 2025.04, the loss
    // (training.compile; compile.enable since 2025.08). JobConfig's default: off.
    const char* compile = pick(r, {"--compile.enable", "--training.compile"});
    if (r.find(compile)) r.set_from("compile", r.flag(compile) ? "on" : "off", compile);
    else r.absent("compile", "off", "--training.compile", "default");
    const std::string* opt = r.text("--optimizer.name", "optimizer");
    if (opt == nullptr || lower(*opt) == "adamw" || lower(*opt) == "adam")
        r.set_from("optimizer", "adamw", opt ? "--optimizer.name" : "default");
    else r.miss("optimizer: --optimizer.name '" + printable(*opt, 20) + "' is not AdamW");
    r.set("framework", "torchtitan", 0, "torchtitan (FSDP2)");
    // FSDP2 shards over data_parallel_shard_degree (-1: all data-parallel ranks); 1 is plain DDP,
    // and a replicate degree over 1 makes it hybrid (HSDP).
    const std::string* shard = r.text("--parallelism.data_parallel_shard_degree", "fsdp");
    const long replicate = r.number("--parallelism.data_parallel_replicate_degree", "fsdp", 1, 1'000'000);
    if (replicate > 1) r.set_from("fsdp", "hybrid", "--parallelism.data_parallel_replicate_degree");
    else if (shard != nullptr && *shard != "1") r.set_from("fsdp", "full", "--parallelism.data_parallel_shard_degree");
    else if (shard == nullptr) r.set("fsdp", "full", 0, "default (data_parallel_shard_degree -1)");
}

}  // namespace aif::detect
