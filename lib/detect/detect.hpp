// SPDX-License-Identifier: GPL-2.0-or-later
// Reads an unmodified batch script and finds the training job it launches (Megatron-LM, Hugging
// Face Trainer): the same description the --llm-* options give, and what it could not find out.
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

struct Detection {
    enum class Status { NotTraining, Detected, Refused };
    Status status = Status::NotTraining;
    std::string why;        // Refused: "larger than 1 MiB", "too complex to read in bounded time"
    std::string framework;  // "Megatron-LM", "Hugging Face Trainer"
    std::string entry;      // the training program: "pretrain_gpt.py"
    std::string launcher;   // the wrappers before it: "srun torchrun", "deepspeed", "python"
    int line = 0;           // where the launch line starts
    std::vector<Value> values;
    std::vector<Source> read;          // every option of the launch line that was used
    std::vector<std::string> missing;  // "seq: --seq-length $SEQ, SEQ is not set in the script"

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
// 256 KiB is 50 times a large real script; 1 MiB of work reads such a script with room to spare.
inline constexpr Limits kSlurmctldLimits{256u << 10, 1u << 20};

Detection read_script(std::string_view script, const Limits& limits = Limits{});

}  // namespace aif::detect
