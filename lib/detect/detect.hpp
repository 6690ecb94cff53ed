// SPDX-License-Identifier: GPL-2.0-or-later
// Reads an unmodified batch script and finds the training job it launches (Megatron-LM and
// Megatron-DeepSpeed, NeMo, torchtitan, LitGPT, axolotl, llm-foundry, Hugging Face Trainer and
// DeepSpeed): the same description the --llm-* options give, and what it could not find out.
// No Slurm dependency, no I/O: the script is text in memory, read in bounded time and space.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aif::detect {

// Scripts larger than this are not read (sbatch's own limit is 4 MiB; real ones are a few KiB).
inline constexpr std::size_t kMaxScriptBytes = 1u << 20;

// One script option that was read, where it was written.
struct Source {
    std::string option;  // "--num-layers", "--bf16"
    std::string value;   // as written after expansion ("" for a flag)
    int line = 0;        // the option's line; for a value from $VAR the line that set VAR
};

// One entry of the description, keyed like the --llm-* options (model, layout, mbs, gbs, seq,
// tokens, precision, optimizer, recompute, framework, zero) plus `arch` (the compact form of
// lib/calc/arch_spec that --llm-config forwards) and `dist-opt` (apply_option's key).
struct Value {
    std::string key, value;
    int line = 0;      // where it was read (0: a default of the framework)
    std::string from;  // "--micro-batch-size", "default", "--train-iters × --global-batch-size × --seq-length"
};

// A configuration file the launch line names (a torchtitan TOML, a DeepSpeed JSON, a YAML of
// NeMo, axolotl, LitGPT or llm-foundry). Not read here: the SPANK plugin reads it at sbatch time.
struct ConfigFile {
    std::string kind;    // "toml", "ds" (DeepSpeed JSON) or "yaml": the prefix of its hints
    std::string path;    // as written after expansion
    std::string option;  // "--job.config_file", "--deepspeed_config", "(config)" for a positional
    int line = 0;
    bool written = false;  // the script writes it itself (cat > FILE <<EOF): read from its text
};

// Settings read from those files on the submit host and forwarded with the job: "kind:key" →
// value ("toml:training.local_batch_size" → "2", "ds:zero_optimization.stage" → "3",
// "yaml:model.micro_batch_size" → "1"). The launch line's own options win over them.
struct Hints {
    std::vector<std::pair<std::string, std::string>> values;
    std::vector<std::string> kinds;  // the kinds of file that were read ("toml", "ds", "yaml")
    bool read(std::string_view kind) const;
    const std::string* get(std::string_view kind_key) const;
};

struct Detection {
    enum class Status { NotTraining, Detected, Refused };
    Status status = Status::NotTraining;
    std::string why;        // Refused: "larger than 1 MiB", "too complex to read in bounded time"
    std::string framework;  // "Megatron-LM", "torchtitan", "Hugging Face Trainer"
    std::string entry;      // the training program: "pretrain_gpt.py"
    std::string launcher;   // the wrappers before it: "srun torchrun", "deepspeed", "python"
    int line = 0;           // where the launch line starts
    std::vector<Value> values;
    std::vector<Source> read;          // every option of the launch line that was used
    std::vector<std::string> missing;  // "seq: --seq-length $SEQ, SEQ is not set in the script"
    std::vector<ConfigFile> configs;   // files the launch line names

    bool detected() const { return status == Status::Detected; }
    const Value* get(std::string_view key) const;
    // key → value, in the form read_spank_env returns the --llm-* options.
    std::vector<std::pair<std::string, std::string>> options() const;
};

// How much a read may cost. The CLI reads with the defaults; slurmctld reads every sbatch script
// in job_submit, on an RPC thread, so it uses kSlurmctldLimits.
struct Limits {
    std::size_t script_bytes = kMaxScriptBytes;  // larger scripts are Refused, not read
    std::size_t work = 8u << 20;                 // characters scanned or copied, in all
};
// 256 KiB is 50 times a large real script; 512 KiB of work reads such a script with room to
// spare (the largest of 49 real public scripts uses a tenth of it) and costs at most ~3 ms
// however the script is written (bench/bench_detect).
inline constexpr Limits kSlurmctldLimits{256u << 10, 512u << 10};

// `hints`: what the SPANK plugin read from the files a previous read named (nullptr: none).
Detection read_script(std::string_view script, const Limits& limits = Limits{}, const Hints* hints = nullptr);

}  // namespace aif::detect
