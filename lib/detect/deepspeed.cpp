// SPDX-License-Identifier: GPL-2.0-or-later
// A DeepSpeed JSON the launch line names (--deepspeed_config of Megatron-DeepSpeed, --deepspeed
// of the Hugging Face Trainer, axolotl's `deepspeed:`): the settings of DeepSpeed's config
// reference (docs/_pages/config-json.md) that change memory, as hints "ds:<path.in.json>".
#include <string>

#include "common/text.hpp"
#include "detect/reading.hpp"

namespace aif::detect {

namespace {

bool from_default(const Detection& d, std::string_view key) {
    const Value* v = d.get(key);
    return v == nullptr || v->line == 0;
}

}  // namespace

void read_deepspeed_config(Reading& r, bool set_batch) {
    const ConfigFile* c = config_of(r.detection(), "ds");
    if (c == nullptr) return;
    const Detection& d = r.detection();
    const bool read = r.find("ds:zero_optimization.stage") || r.find("ds:train_micro_batch_size_per_gpu") ||
                      r.find("ds:train_batch_size") || r.find("ds:bf16.enabled") || r.find("ds:fp16.enabled");
    if (!read) {
        if (d.get("zero") == nullptr)
            r.miss("zero: the ZeRO stage is in " + printable(c->path, 60) + " (not read)");
        return;
    }
    if (d.get("zero") == nullptr) {
        if (const long z = r.number("ds:zero_optimization.stage", "zero", 0, 3); z >= 0 && r.find("ds:zero_optimization.stage"))
            r.set_from("zero", std::to_string(z), "ds:zero_optimization.stage");
        else if (z == 0) r.set("zero", "0", 0, "DeepSpeed default");
    }
    if (const std::string* dev = r.text("ds:zero_optimization.offload_optimizer.device", "offload");
        dev != nullptr && (*dev == "cpu" || *dev == "nvme"))
        r.set_from("offload", "on", "ds:zero_optimization.offload_optimizer.device");
    // "auto" (the Trainer fills it in) is left to the command line.
    auto enabled = [&](const char* name) {
        const Option* o = r.find(name);
        return o != nullptr && lower(o->value.text) == "true";
    };
    if (from_default(d, "precision")) {
        if (enabled("ds:bf16.enabled")) r.set_from("precision", "bf16", "ds:bf16.enabled");
        else if (enabled("ds:fp16.enabled")) r.set_from("precision", "fp16", "ds:fp16.enabled");
    }
    if (set_batch || from_default(d, "mbs")) {
        const Option* m = r.find("ds:train_micro_batch_size_per_gpu");
        if (m != nullptr && m->value.text != "auto")
            if (const long mbs = r.number("ds:train_micro_batch_size_per_gpu", "mbs", 1, 65536); mbs > 0)
                r.set_from("mbs", std::to_string(mbs), "ds:train_micro_batch_size_per_gpu");
    }
    if (from_default(d, "gbs") && d.get("gbs") == nullptr) {
        const Option* g = r.find("ds:train_batch_size");
        if (g != nullptr && g->value.text != "auto")
            if (const long gbs = r.number("ds:train_batch_size", "gbs", 1, 100'000'000); gbs > 0)
                r.set_from("gbs", std::to_string(gbs), "ds:train_batch_size");
    }
}

}  // namespace aif::detect
