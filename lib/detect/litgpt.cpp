// SPDX-License-Identifier: GPL-2.0-or-later
// LitGPT (Lightning-AI/litgpt): `litgpt pretrain|finetune_* MODEL --train.micro_batch_size N ...`
// (TrainArgs in litgpt/args.py; setup() of litgpt/pretrain.py and litgpt/finetune/*.py). A
// `--config X.yaml` comes as hints of kind "yaml" named like the options.
#include <string>

#include "common/text.hpp"
#include "detect/reading.hpp"

namespace aif::detect {

void read_litgpt(Reading& r, std::string_view command, const std::vector<Word>& positionals) {
    const bool pretrain = command == "pretrain";
    // The model: the first positional (LitGPT ≥ 0.4), else --model_name (pretrain) or
    // --checkpoint_dir (older finetune scripts: checkpoints/ORG/NAME).
    const char* model_opt = r.find("--model_name") ? "--model_name" : "--checkpoint_dir";
    std::string model;
    if (!positionals.empty() && !positionals[0].unknown()) model = positionals[0].text;
    else if (const std::string* m = r.text(model_opt, "model")) model = *m;
    if (const std::string n = catalogue_name(model); !n.empty()) {
        if (!positionals.empty() && !positionals[0].unknown()) r.set("model", n, positionals[0].line, "MODEL");
        else r.set_from("model", n, model_opt);
    } else if (!model.empty()) {
        r.miss("model: '" + printable(model, 60) + "' is a local checkpoint directory (not read here)");
    } else if (!r.find(model_opt)) {
        r.absent("model", "", "the model (MODEL or --model_name)", "");
    }
    // TrainArgs' defaults differ per command: pretrain 4 × 512, finetuning 1 (lora: 1 of 16).
    if (const long mbs = r.number("--train.micro_batch_size", "mbs", 1, 65536); mbs > 0)
        r.set_from("mbs", std::to_string(mbs), "--train.micro_batch_size");
    else if (mbs == 0) r.absent("mbs", pretrain ? "4" : "1", "--train.micro_batch_size", "default");
    const long gbs = r.number("--train.global_batch_size", "gbs", 1, 100'000'000);
    if (gbs > 0) r.set_from("gbs", std::to_string(gbs), "--train.global_batch_size");
    else if (gbs == 0) r.absent("gbs", pretrain ? "512" : "16", "--train.global_batch_size", "default");
    if (const long seq = r.number("--train.max_seq_length", "seq", 1, 16'777'216); seq > 0)
        r.set_from("seq", std::to_string(seq), "--train.max_seq_length");
    else if (seq == 0)
        r.miss("seq: --train.max_seq_length is not given (the model's block size applies)");
    if (const long tokens = r.number("--train.max_tokens", "tokens", 1, 1'000'000'000'000'000); tokens > 0)
        r.set_from("tokens", std::to_string(tokens), "--train.max_tokens");
    else r.miss("tokens: --train.max_tokens is not given");

    const std::string* p = r.text("--precision", "precision");
    if (p == nullptr) {
        if (!r.find("--precision")) r.absent("precision", "bf16", "--precision", "default (bf16 where supported)");
    } else if (p->rfind("bf16", 0) == 0) r.set_from("precision", "bf16", "--precision");
    else if (p->rfind("16", 0) == 0) r.set_from("precision", "fp16", "--precision");
    else if (p->rfind("32", 0) == 0) r.set_from("precision", "fp32", "--precision");
    else if (*p == "transformer-engine") r.set_from("precision", "fp8", "--precision");
    else r.miss("precision: --precision '" + printable(*p, 20) + "' is not bf16-*, 16-* or 32-true");

    // Pretraining wraps blocks in FSDP without checkpointing; the finetuning scripts checkpoint
    // every block (activation_checkpointing_policy={Block}).
    r.set("recompute", pretrain ? "none" : "full", 0, "litgpt " + std::string(command));
    const std::string* opt = r.text("--optimizer", "optimizer");
    if (opt == nullptr || lower(*opt) == "adamw" || lower(*opt).find("adamw") != std::string::npos)
        r.set_from("optimizer", "adamw", opt ? "--optimizer" : "default");
    else if (lower(*opt).find("sgd") != std::string::npos) r.set_from("optimizer", "sgd", "--optimizer");
    else r.miss("optimizer: --optimizer '" + printable(*opt, 30) + "' is not AdamW or SGD");
    r.set("framework", "fsdp", 0, "litgpt (FSDP)");
    // litgpt/pretrain.py shards with HYBRID_SHARD (within a node); the finetuning scripts with
    // FSDPStrategy's default, FULL_SHARD.
    r.set("fsdp", pretrain ? "hybrid" : "full", 0, "litgpt " + std::string(command));
    // Adapters train a small part of a frozen (possibly quantized) model: the full-training
    // estimate is an upper bound, so the job is never refused on it.
    if (command != "pretrain" && command != "finetune_full")
        r.miss("method: litgpt " + std::string(command) + " trains adapters; the estimate assumes full training");
}

}  // namespace aif::detect
