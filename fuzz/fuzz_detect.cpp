// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: batch scripts through detect::read_script (what job_submit will run on
// job_desc->script). Beyond not crashing, leaking or hanging: every value it gives is one
// apply_option accepts, and its arch is in format_arch's own form.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "calc/arch_spec.hpp"
#include "calc/job.hpp"
#include "common/error.hpp"
#include "detect/detect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const aif::detect::Detection d = aif::detect::read_script(text);
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
