// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: --llm-* option values as job_submit sees them, through apply_option,
// resolve_arch and check_job against the shipped catalogues. Input: lines "key=value".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "calc/check.hpp"
#include "calc/hardware.hpp"
#include "calc/job.hpp"
#include "calc/models.hpp"
#include "common/error.hpp"
#include "site/wording.hpp"

namespace {
struct Catalogues {
    aif::calc::ModelCatalogue models = aif::calc::ModelCatalogue::load({aif::calc::default_catalogue_path("models.json")});
    aif::calc::HardwareCatalogue hw = aif::calc::HardwareCatalogue::load({aif::calc::default_catalogue_path("hardware.json")});
};
const Catalogues& catalogues() {
    static const Catalogues c;
    return c;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Catalogues& cat = catalogues();
    std::string_view text(reinterpret_cast<const char*>(data), size);
    aif::calc::JobSpec job;
    int gpus = 8, nodes = 0;
    std::string partition = "leonardo-booster";
    try {
        while (!text.empty()) {
            std::size_t nl = text.find('\n');
            std::string_view line = text.substr(0, nl);
            text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
            std::size_t eq = line.find('=');
            if (eq == std::string_view::npos) continue;
            std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
            // Two pseudo-keys steer the job shape, so the search for fixes is fuzzed as well.
            if (key == "gpus") gpus = static_cast<int>(value.size() % 64);
            else if (key == "nodes") nodes = static_cast<int>(value.size() % 8);
            else if (key == "partition") partition = std::string(value);
            else aif::calc::apply_option(job, key, value, "--llm-");
        }
        (void)aif::calc::resolve_arch(job, cat.models);
        const aif::calc::Partition* p = cat.hw.partition(partition);
        if (p == nullptr) return 0;
        aif::calc::CheckRequest req;
        req.job = &job;
        req.partition = p;
        req.gpus = gpus;
        req.nodes = nodes;
        req.headroom = 0.05;
        aif::calc::CheckOutcome o = aif::calc::check_job(req, cat.models, cat.hw);
        (void)aif::site::rejection_lines(o, aif::calc::model_label(job));
        (void)aif::calc::prediction_kv(o.estimate);
    } catch (const aif::InputError&) {
    }
    return 0;
}
