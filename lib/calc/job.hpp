// SPDX-License-Identifier: GPL-2.0-or-later
// A training job as described by --llm-* / `aifactory fit` options, and their parsing.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "calc/model.hpp"
#include "calc/models.hpp"
#include "calc/training.hpp"

namespace aif::calc {

struct JobSpec {
    std::string model;      // catalogue id (may be empty when arch describes the whole model)
    std::string arch_spec;  // --arch / forwarded HF config: key=value,... applied on top of model
    TrainingSetup setup;
};

// Applies one option. Keys are the option names without "--"/"--llm-": model, arch, layout, zero,
// fsdp, dist-opt, mbs, gbs, seq, tokens, precision, optimizer, recompute, flash, framework, mfu,
// offload, and the training modes: master, optim-in-bwd, lora, lora-targets, quant,
// offload-activations, partition-activations, cpu-checkpointing, moe-capacity. Throws InputError "--llm-<key>: ..." (prefix given by `flag_prefix`) on bad values.
void apply_option(JobSpec& job, std::string_view key, std::string_view value,
                  std::string_view flag_prefix = "--");

// The keys apply_option knows, in the order to list them.
const std::vector<std::string>& option_keys();

// Model + overrides → architecture; validates it. Throws InputError (unknown model with the
// closest names, or the first bad field).
Architecture resolve_arch(const JobSpec& job, const ModelCatalogue& models);
std::string model_label(const JobSpec& job);  // "llama3.1-70b", or "custom" for an --arch model

}  // namespace aif::calc
