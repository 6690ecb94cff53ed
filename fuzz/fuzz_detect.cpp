// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: batch scripts through detect::read_script (what job_submit will run on
// job_desc->script), with the hints decoded from the input's first line (what any client may put
// in AIFACTORY_HINTS), and the input through the TOML, YAML and JSON config readers the SPANK
// plugin uses. Beyond not crashing, leaking or hanging: every value it gives is one apply_option
// accepts, and its arch is in format_arch's own form.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "calc/arch_spec.hpp"
#include "calc/job.hpp"
#include "common/error.hpp"
#include "detect/config_files.hpp"
#include "detect/detect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (auto* flatten : {aif::detect::flatten_toml, aif::detect::flatten_yaml, aif::detect::flatten_json}) {
        try {
            aif::detect::Hints h;
            aif::detect::add_config(h, "yaml", flatten(text, "fuzz"));
            if (aif::detect::encode(h).size() > aif::detect::kMaxHintsBytes) __builtin_trap();
        } catch (const aif::InputError&) {
        }
    }
    const aif::detect::Hints hints = aif::detect::decode(text.substr(0, text.find('\n')));
    const aif::detect::Detection d = aif::detect::read_script(text, aif::detect::Limits{}, &hints);
    if (!d.detected()) {
        if (!d.values.empty()) __builtin_trap();
        return 0;
    }
    aif::calc::JobSpec job;
    try {
        for (const auto& [k, v] : d.options()) aif::calc::apply_option(job, k, v, "--llm-");
        if (const auto* a = d.get("arch"))
            if (aif::calc::format_arch(aif::calc::parse_arch(a->value)) != a->value) __builtin_trap();
    } catch (const aif::InputError&) {
        __builtin_trap();  // the reader passed on a value the options would refuse
    }
    return 0;
}
