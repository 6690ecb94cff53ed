// SPDX-License-Identifier: GPL-2.0-or-later
// Hugging Face config.json → Architecture (Llama, Mistral, Mixtral, Qwen2, DeepSeek-V3, GPT-2, ...).
#pragma once
#include <string>
#include <string_view>

#include "calc/arch_spec.hpp"  // format_arch/parse_arch: the compact form forwarded to slurmctld
#include "calc/model.hpp"

namespace aif::calc {

// Throws InputError naming the unknown architecture or the missing key.
Architecture arch_from_hf_config(std::string_view json_text, std::string_view origin);

// The model's name for messages: the last part of `_name_or_path`, else `architectures[0]`,
// else `model_type`; "" when the config has none of them (or is not JSON). Never throws.
std::string hf_model_name(std::string_view json_text);

}  // namespace aif::calc
