// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: a Hugging Face config.json (user input via --llm-config and `aifactory fit`).
// Any input must either parse or throw InputError; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "calc/hf_config.hpp"
#include "common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        aif::calc::Architecture a = aif::calc::arch_from_hf_config(text, "fuzz.json");
        // The compact form is what the SPANK plugin forwards to slurmctld; it must read back.
        (void)aif::calc::parse_arch(aif::calc::format_arch(a));
    } catch (const aif::InputError&) {
    }
    return 0;
}
