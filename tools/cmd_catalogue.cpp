// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory models` and `aifactory systems`: list the catalogues (plain or --json).
#include <algorithm>
#include <cstdio>

#include "args.hpp"
#include "catalogues.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::cli {

namespace {

CommandSpec list_spec(const char* name, const char* about) {
    return {name,
            "",
            about,
            {
                {"json", Takes::Nothing, "", "a JSON list"},
                {"models", Takes::Value, "FILE", "extra model catalogue (repeatable)"},
                {"hardware", Takes::Value, "FILE", "extra hardware catalogue (repeatable)"},
            },
            "Set AIFACTORY_DATADIR to read the shipped catalogues from another directory."};
}

struct ListArgs {
    bool json = false, frameworks = false;
    std::vector<std::string> models, hardware;
};

ListArgs parse_list(const CommandSpec& spec, int argc, char** argv) {
    ListArgs l;
    for (const Arg& a : parse_options(spec, argc, argv).options) {
        if (a.key == "json") l.json = true;
        else if (a.key == "frameworks") l.frameworks = true;
        else if (a.key == "models") l.models.push_back(a.value);
        else if (a.key == "hardware") l.hardware.push_back(a.value);
    }
    return l;
}

// `models --frameworks`: the versioned framework profiles, what each models, its band.
int list_frameworks(const ListArgs& l, const Catalogues& c) {
    json::Ptr list(json_array());
    for (const calc::FrameworkProfile& p : calc::framework_profiles()) {
        const calc::Band b = c.bands.of(p);
        const bool newest = calc::newest_of_family(p.family) == &p;
        const std::string cases = std::to_string(b.cases) + (b.cases == 1 ? " case" : " cases");
        const std::string band = calc::describe(b) + " (" +
                                 (b.cases > 0 ? cases + (b.from == p.id ? "" : " of " + b.from)
                                              : std::string("default, no cases")) + ")";
        if (l.json) {
            json_array_append_new(
                list.get(), json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:{s:f,s:f,s:i,s:s}}", "id", p.id, "family", p.family,
                                      "newest", newest, "models", p.models, "source", p.source, "checked_on",
                                      p.checked_on, "band", "lo", b.lo, "hi", b.hi, "cases", b.cases, "from",
                                      b.from.c_str()));
            continue;
        }
        std::printf("%s%s  band %s\n", p.id, newest ? " (newest: the bare name)" : "", band.c_str());
        std::printf("    models:  %s\n    source:  %s\n    checked: %s\n", p.models, p.source, p.checked_on);
    }
    if (l.json) std::puts(json::dump(list.get(), true).c_str());
    return 0;
}

}  // namespace

int cmd_models(int argc, char** argv) {
    static const CommandSpec spec = [] {
        CommandSpec s = list_spec("models", "The model catalogue: id, name, total and active parameters, shape.");
        s.options.push_back({"frameworks", Takes::Nothing, "",
                             "the framework profiles instead (--llm-framework=NAME[@VERSION]) with their bands"});
        return s;
    }();
    return guarded(spec, [&] {
        ListArgs l = parse_list(spec, argc, argv);
        Catalogues c = load_catalogues(l.models, l.hardware);
        if (l.frameworks) return list_frameworks(l, c);
        json::Ptr list(json_array());
        if (!l.json) std::printf("%-16s %-32s %10s %10s  %s\n", "id", "name", "params", "active", "shape");
        for (const calc::ModelEntry& m : c.models.entries()) {
            calc::ParamCount p = count_params(m.arch);
            const calc::Architecture& a = m.arch;
            std::string shape = "h" + std::to_string(a.hidden) + " L" + std::to_string(a.layers) + " a" +
                                std::to_string(a.heads) + (a.is_moe() ? " E" + std::to_string(a.experts) + "/top" + std::to_string(a.topk) : "");
            if (l.json)
                json_array_append_new(list.get(), json_pack("{s:s,s:s,s:I,s:I,s:s}", "id", m.id.c_str(), "name",
                                                            m.name.c_str(), "params_total", (json_int_t)p.total,
                                                            "params_active", (json_int_t)p.active, "source",
                                                            m.source.c_str()));
            else
                std::printf("%-16s %-32s %10s %10s  %s\n", m.id.c_str(), m.name.c_str(), fmt_count(p.total).c_str(),
                            fmt_count(p.active).c_str(), shape.c_str());
        }
        if (l.json) std::puts(json::dump(list.get(), true).c_str());
        return 0;
    });
}

int cmd_systems(int argc, char** argv) {
    static const CommandSpec spec =
        list_spec("systems", "The hardware catalogue: partition, system, GPU, GPUs per node, GiB per GPU, BF16 peak.");
    return guarded(spec, [&] {
        ListArgs l = parse_list(spec, argc, argv);
        Catalogues c = load_catalogues(l.models, l.hardware);
        json::Ptr list(json_array());
        // Columns as wide as the longest entry: announced systems have long names.
        int wid = 2, wsys = 6, wgpu = 3;
        for (const calc::Partition& p : c.hardware.partitions()) {
            wid = std::max(wid, int(p.id.size()));
            wsys = std::max(wsys, int(p.system.size()));
            wgpu = std::max(wgpu, int(c.hardware.gpu_of(p).name.size()));
        }
        if (!l.json)
            std::printf("%-*s %-*s %-*s %9s %8s %8s %8s\n", wid, "id", wsys, "system", wgpu, "GPU", "GPUs/node", "GiB/GPU",
                        "BF16 TF", "nodes");
        for (const calc::Partition& p : c.hardware.partitions()) {
            const calc::GpuModel& g = c.hardware.gpu_of(p);
            if (l.json)
                json_array_append_new(list.get(),
                                      json_pack("{s:s,s:s,s:s,s:i,s:f,s:f,s:I}", "id", p.id.c_str(), "system",
                                                p.system.c_str(), "gpu", g.id.c_str(), "gpus_per_node", p.gpus_per_node,
                                                "memory_gib", g.memory_bytes / GiB, "bf16_tflops", g.bf16_flops / 1e12,
                                                "nodes", (json_int_t)p.nodes));
            else
                std::printf("%-*s %-*s %-*s %9d %8s %8.0f %8s\n", wid, p.id.c_str(), wsys, p.system.c_str(), wgpu,
                            g.name.c_str(), p.gpus_per_node, fmt_gib(g.memory_bytes, 1).c_str(), g.bf16_flops / 1e12,
                            p.nodes > 0 ? std::to_string(p.nodes).c_str() : "-");  // 0: not published
        }
        if (l.json) std::puts(json::dump(list.get(), true).c_str());
        return 0;
    });
}

}  // namespace aif::cli
