// SPDX-License-Identifier: GPL-2.0-or-later
// Launchers whose settings live in a YAML the script names: axolotl (`axolotl train cfg.yml`,
// `accelerate launch -m axolotl.cli.train cfg.yml --micro_batch_size 2`; keys of
// docs/config-reference.qmd) and llm-foundry (`composer scripts/train/train.py yamls/x.yaml
// key=value`; keys of scripts/train/train.py and yamls/pretrain/*.yaml). The YAML's settings
// come as hints of kind "yaml"; the command line's own overrides win.
#include <string>

#include "common/text.hpp"
#include "detect/reading.hpp"

namespace aif::detect {

namespace {

// axolotl's CLI takes --micro_batch_size and --micro-batch-size: the one given, else the YAML's.
std::string axolotl_name(Reading& r, const char* key) {
    std::string dashed = std::string("--") + key;
    for (std::size_t i = 2; i < dashed.size(); ++i)
        if (dashed[i] == '_') dashed[i] = '-';
    return r.find(dashed) ? dashed : std::string("--") + key;
}

bool yes(const std::string* v) {
    if (v == nullptr) return false;
    const std::string l = lower(*v);
    return l == "true" || l == "yes" || l == "1" || l == "auto";
}

}  // namespace

void read_axolotl(Reading& r) {
    const std::string base = axolotl_name(r, "base_model");
    if (const std::string* m = r.text(base, "model")) {
        if (const std::string n = catalogue_name(*m); !n.empty()) r.set_from("model", n, base);
        else r.miss("model: base_model '" + printable(*m, 60) + "' is a local directory (not read here)");
    } else if (!r.find(base)) {
        r.absent("model", "", "base_model", "");
    }
    const std::string mbs_name = axolotl_name(r, "micro_batch_size");
    if (const long mbs = r.number(mbs_name, "mbs", 1, 65536); mbs > 0) r.set_from("mbs", std::to_string(mbs), mbs_name);
    else if (mbs == 0) r.absent("mbs", "1", "micro_batch_size", "default");
    const std::string seq_name = axolotl_name(r, "sequence_len");
    if (const long seq = r.number(seq_name, "seq", 1, 16'777'216); seq > 0) r.set_from("seq", std::to_string(seq), seq_name);
    else if (seq == 0) r.absent("seq", "2048", "sequence_len", "default");
    const long accumulation = r.number(axolotl_name(r, "gradient_accumulation_steps"), "gbs", 1, 1'000'000);
    r.miss("gbs: mbs × gradient_accumulation_steps (" + std::to_string(accumulation > 0 ? accumulation : 1) +
           ") × the job's GPU count");

    const std::string bf16 = axolotl_name(r, "bf16"), fp16 = axolotl_name(r, "fp16");
    if (yes(r.text(bf16, "precision"))) r.set_from("precision", "bf16", bf16);
    else if (yes(r.text(fp16, "precision"))) r.set_from("precision", "fp16", fp16);
    else if (r.unread != nullptr) r.absent("precision", "", "bf16/fp16", "");
    else r.set("precision", "fp32", 0, "default");
    const std::string gc = axolotl_name(r, "gradient_checkpointing");
    if (yes(r.text(gc, "recompute"))) r.set_from("recompute", "full", gc);
    else r.absent("recompute", "none", "gradient_checkpointing", "default");
    const std::string optim = axolotl_name(r, "optimizer");
    if (const std::string* o = r.text(optim, "optimizer")) {
        if (o->find("8bit") != std::string::npos) r.set_from("optimizer", "adamw8bit", optim);
        else if (o->find("adamw") != std::string::npos) r.set_from("optimizer", "adamw", optim);
        else r.miss("optimizer: '" + printable(*o, 30) + "' is not an AdamW variant");
    } else {
        r.absent("optimizer", "adamw", "optimizer", "default");
    }
    const std::string ds = axolotl_name(r, "deepspeed"), fsdp = axolotl_name(r, "fsdp");
    if (const std::string* d = r.text(ds, "zero")) {
        r.set_from("framework", "deepspeed", ds);
        if (config_of(r.detection(), "ds") == nullptr) r.detection().configs.push_back({"ds", *d, "deepspeed", 0});
    } else if (r.find(fsdp) || r.find("--fsdp_config.fsdp_sharding_strategy") || r.find("--fsdp_version")) {
        r.set_from("framework", "fsdp", r.find(fsdp) ? fsdp : "--fsdp_config.fsdp_sharding_strategy");
        const std::string* how = r.text("--fsdp_config.fsdp_sharding_strategy", "fsdp");
        if (how != nullptr && lower(*how).find("shard_grad_op") != std::string::npos)
            r.set_from("zero", "2", "--fsdp_config.fsdp_sharding_strategy");
        else r.set_from("fsdp", how != nullptr && lower(*how).find("hybrid") != std::string::npos ? "hybrid" : "full",
                        r.find("--fsdp_config.fsdp_sharding_strategy") ? "--fsdp_config.fsdp_sharding_strategy" : fsdp);
    } else {
        r.absent("framework", "hf", "deepspeed/fsdp", "default (DDP)");
    }
    const std::string adapter = axolotl_name(r, "adapter");
    if (const std::string* a = r.text(adapter, "method"); a != nullptr && !a->empty())
        r.miss("method: adapter " + printable(*a, 20) + " trains adapters; the estimate assumes full training");
}

void read_foundry(Reading& r) {
    // MPT models are described by their dimensions; hf_causal_lm names a Hugging Face model.
    const std::string* kind = r.text("model.name", "model");
    if (kind != nullptr && *kind == "hf_causal_lm") {
        if (const std::string* m = r.text("model.pretrained_model_name_or_path", "model")) {
            if (const std::string n = catalogue_name(*m); !n.empty())
                r.set_from("model", n, "model.pretrained_model_name_or_path");
            else r.miss("model: '" + printable(*m, 60) + "' is a local directory (not read here)");
        }
    } else if (kind != nullptr && (*kind == "mpt_causal_lm" || *kind == "mpt")) {
        const long d = r.number("model.d_model", "arch"), layers = r.number("model.n_layers", "arch");
        const long heads = r.number("model.n_heads", "arch");
        long ratio = r.number("model.expansion_ratio", "arch", 1, 64);
        long vocab = r.number("model.vocab_size", "arch", 1, 10'000'000);
        const long kv = r.number("model.attn_config.kv_n_heads", "arch", 1, heads > 0 ? heads : 1);
        const long seq = r.number("max_seq_len", "arch", 1, 16'777'216);
        if (d > 0 && layers > 0 && heads > 0 && ratio >= 0 && vocab >= 0 && kv >= 0) {
            if (ratio == 0) ratio = 4;      // MPTConfig's defaults
            if (vocab == 0) vocab = 50368;
            const bool alibi = yes(r.text("model.attn_config.alibi", "arch"));
            std::string arch = "hidden=" + std::to_string(d) + ",layers=" + std::to_string(layers) +
                               ",heads=" + std::to_string(heads) + ",kv_heads=" + std::to_string(kv > 0 ? kv : heads) +
                               ",ffn=" + std::to_string(ratio * d) + ",vocab=" + std::to_string(vocab);
            if (!alibi && seq > 0) arch += ",max_pos=" + std::to_string(seq);
            arch += std::string(",mlp=plain,tied=yes,norm=layer,pos_emb=") + (alibi || seq <= 0 ? "rope" : "learned") +
                    ",bias=none";
            r.set_from("arch", arch, "model.d_model");
        } else {
            r.absent("arch", "", "model.d_model, model.n_layers, model.n_heads", "");
        }
    } else if (kind == nullptr && !r.find("model.name")) {
        r.absent("model", "", "model.name", "");
    } else if (kind != nullptr) {
        r.miss("model: model.name '" + printable(*kind, 30) + "' is not mpt_causal_lm or hf_causal_lm");
    }
    if (const long mbs = r.number("device_train_microbatch_size", "mbs", 1, 65536); mbs > 0)
        r.set_from("mbs", std::to_string(mbs), "device_train_microbatch_size");
    else if (mbs == 0) r.absent("mbs", "", "device_train_microbatch_size", "");
    if (const long gbs = r.number("global_train_batch_size", "gbs", 1, 100'000'000); gbs > 0)
        r.set_from("gbs", std::to_string(gbs), "global_train_batch_size");
    if (const long seq = r.number("max_seq_len", "seq", 1, 16'777'216); seq > 0)
        r.set_from("seq", std::to_string(seq), "max_seq_len");
    else if (seq == 0) r.absent("seq", "", "max_seq_len", "");
    r.miss("tokens: max_duration is in batches or epochs");
    const std::string* p = r.text("precision", "precision");
    if (p == nullptr) r.absent("precision", "", "precision", "");
    else if (*p == "amp_bf16") r.set_from("precision", "bf16", "precision");
    else if (*p == "amp_fp16") r.set_from("precision", "fp16", "precision");
    else if (*p == "amp_fp8") r.set_from("precision", "fp8", "precision");
    else if (*p == "fp32") r.set_from("precision", "fp32", "precision");
    else r.miss("precision: '" + printable(*p, 20) + "' is not amp_bf16, amp_fp16, amp_fp8 or fp32");
    const std::string* ac = r.text("fsdp_config.activation_checkpointing", "recompute");
    if (ac != nullptr) r.set_from("recompute", yes(ac) ? "full" : "none", "fsdp_config.activation_checkpointing");
    else r.absent("recompute", "none", "fsdp_config.activation_checkpointing", "default");
    const std::string* opt = r.text("optimizer.name", "optimizer");
    if (opt == nullptr) r.absent("optimizer", "adamw", "optimizer.name", "default");
    else if (opt->find("adam") != std::string::npos) r.set_from("optimizer", "adamw", "optimizer.name");
    else r.miss("optimizer: optimizer.name '" + printable(*opt, 30) + "' is not an Adam variant");
    r.set("framework", "fsdp", 0, "llm-foundry (Composer FSDP)");
    const std::string* how = r.text("fsdp_config.sharding_strategy", "fsdp");
    if (how == nullptr) r.set("fsdp", "full", 0, "default (FULL_SHARD)");
    else if (*how == "SHARD_GRAD_OP") r.set_from("zero", "2", "fsdp_config.sharding_strategy");
    else if (*how == "NO_SHARD") r.set_from("fsdp", "off", "fsdp_config.sharding_strategy");
    else r.set_from("fsdp", how->find("HYBRID") != std::string::npos ? "hybrid" : "full", "fsdp_config.sharding_strategy");
}

}  // namespace aif::detect
