// SPDX-License-Identifier: GPL-2.0-or-later
// Hugging Face Trainer scripts (run_clm.py, train.py, ...): TrainingArguments on the command line.
// Where an option is absent, TrainingArguments' default applies (batch 8, fp32, no checkpointing).
#include <string>

#include "common/text.hpp"
#include "detect/reading.hpp"

namespace aif::detect {

bool is_hf_trainer(const std::vector<Option>& opts) {
    bool model = false, training = false;
    for (const Option& o : opts) {
        model = model || o.name == "--model_name_or_path";
        training = training || o.name == "--per_device_train_batch_size" || o.name == "--do_train" ||
                   o.name == "--per_gpu_train_batch_size";
    }
    return model && training;
}

void read_hf(Reading& r, bool accelerate_config) {
    if (const std::string* m = r.text("--model_name_or_path", "model")) {
        const bool path = m->empty() || (*m)[0] == '/' || (*m)[0] == '.' || (*m)[0] == '~';
        bool plain = m->size() <= 128;
        for (char c : *m) plain = plain && c > ' ' && c < 127;
        if (path || !plain || catalogue_name(*m).empty())
            r.miss("model: --model_name_or_path '" + printable(*m, 60) +
                   "' is a local directory (its config.json is read at sbatch time, not here)");
        else r.set("model", catalogue_name(*m), r.line_of("--model_name_or_path"), "--model_name_or_path");
    }
    const char* mbs_opt = r.find("--per_gpu_train_batch_size") ? "--per_gpu_train_batch_size"
                                                                : "--per_device_train_batch_size";
    const long mbs = r.number(mbs_opt, "mbs", 1, 65536);
    if (mbs > 0) r.set("mbs", std::to_string(mbs), r.line_of(mbs_opt), mbs_opt);
    else if (mbs == 0) r.set("mbs", "8", 0, "default");
    const long accumulation = r.number("--gradient_accumulation_steps", "gbs", 1, 1'000'000);
    r.miss("gbs: mbs × gradient accumulation (" + std::to_string(accumulation > 0 ? accumulation : 1) +
           ") × the job's GPU count");

    static const char* const seq_opts[] = {"--max_seq_length", "--block_size", "--model_max_length",
                                           "--max_seq_len", "--seq_length", "--max_length"};
    long seq = 0;
    for (const char* o : seq_opts)
        if (seq == 0 && r.find(o)) {
            seq = r.number(o, "seq", 1, 16'777'216);
            if (seq > 0) r.set("seq", std::to_string(seq), r.line_of(o), o);
        }
    if (seq == 0) r.miss("seq: no --max_seq_length or --block_size (the program's or tokenizer's default applies)");

    if (r.flag("--bf16")) r.set("precision", "bf16", r.line_of("--bf16"), "--bf16");
    else if (r.flag("--fp16")) r.set("precision", "fp16", r.line_of("--fp16"), "--fp16");
    else r.set("precision", "fp32", 0, "default");
    if (r.flag("--gradient_checkpointing"))
        r.set("recompute", "full", r.line_of("--gradient_checkpointing"), "--gradient_checkpointing");
    else r.set("recompute", "none", 0, "default");

    const std::string* optim = r.text("--optim", "optimizer");
    if (optim == nullptr) r.set("optimizer", "adamw", 0, "default");
    else if (optim->find("8bit") != std::string::npos) r.set("optimizer", "adamw8bit", r.line_of("--optim"), "--optim");
    else if (optim->rfind("adamw", 0) == 0) r.set("optimizer", "adamw", r.line_of("--optim"), "--optim");
    else if (*optim == "sgd") r.set("optimizer", "sgd", r.line_of("--optim"), "--optim");
    else r.miss("optimizer: --optim '" + printable(*optim) + "' is not an AdamW or SGD variant");

    // DeepSpeed-Chat style (--zero_stage, --dtype, --offload; the config is built in the program).
    if (const long zero = r.number("--zero_stage", "zero", 0, 3); zero >= 0 && r.find("--zero_stage"))
        r.set_from("zero", std::to_string(zero), "--zero_stage");
    if (const std::string* dtype = r.text("--dtype", "precision"); dtype != nullptr && !r.find("--bf16") && !r.find("--fp16")) {
        if (*dtype == "bf16") r.set_from("precision", "bf16", "--dtype");
        else if (*dtype == "fp16") r.set_from("precision", "fp16", "--dtype");
    }
    if (r.flag("--offload")) r.set_from("offload", "on", "--offload");
    if (r.find("--deepspeed") || r.find("--zero_stage")) {
        r.set_from("framework", "deepspeed", r.find("--deepspeed") ? "--deepspeed" : "--zero_stage");
    } else if (const std::string* fsdp = r.text("--fsdp", "framework");
               fsdp != nullptr && (fsdp->find("shard") != std::string::npos || *fsdp == "true")) {
        r.set("framework", "fsdp", r.line_of("--fsdp"), "--fsdp");
        // full_shard / hybrid_shard shard everything; shard_grad_op keeps parameters (ZeRO-2).
        if (fsdp->find("shard_grad_op") != std::string::npos) r.set_from("zero", "2", "--fsdp");
        else r.set_from("fsdp", fsdp->find("hybrid") != std::string::npos ? "hybrid" : "full", "--fsdp");
    } else {
        r.set("framework", "hf", 0, "--model_name_or_path");
    }
    if (accelerate_config)
        r.miss("accelerate: the settings in the --config_file it names are not read here");
}

}  // namespace aif::detect
