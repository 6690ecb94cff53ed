// Hugging Face config.json → Architecture (Llama, Mistral, Mixtral, Qwen2, DeepSeek-V3, GPT-2, ...).
#pragma once
#include <string_view>

#include "calc/arch_spec.hpp"  // format_arch/parse_arch: the compact form forwarded to slurmctld
#include "calc/model.hpp"

namespace aif {

// Throws InputError naming the unknown architecture or the missing key.
Architecture arch_from_hf_config(std::string_view json_text, std::string_view origin);

}  // namespace aif
