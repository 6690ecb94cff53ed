// Hugging Face config.json → Architecture (Llama, Mistral, Mixtral, Qwen2, DeepSeek-V3, GPT-2, ...).
#pragma once
#include <string>
#include <string_view>

#include "calc/model.hpp"

namespace aif {

// Throws InputError naming the unknown architecture or the missing key.
Architecture arch_from_hf_config(std::string_view json_text, std::string_view origin);

// Compact `key=value,...` form (the --arch syntax); round-trips through parse_arch.
std::string format_arch(const Architecture& a);
// Applies `hidden=4096,layers=32,...` on top of `base` (overrides or a whole architecture).
Architecture parse_arch(std::string_view spec, Architecture base = {});

}  // namespace aif
