// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory detect SCRIPT`: what aifactory reads from an unmodified batch script, line by line.
#include <jansson.h>

#include <cstdio>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "common/files.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "detect/detect.hpp"
#include "detect/named_configs.hpp"

namespace aif::cli {

namespace {

const char* status_name(detect::Detection::Status s) {
    switch (s) {
    case detect::Detection::Status::Detected: return "detected";
    case detect::Detection::Status::Refused: return "refused";
    default: return "not_training";
    }
}

void print_json(const detect::Detection& d, const detect::NamedConfigs& named) {
    json::Ptr o(json_object());
    json_object_set_new(o.get(), "status", json_string(status_name(d.status)));
    if (!d.why.empty()) json_object_set_new(o.get(), "why", json_string(d.why.c_str()));
    if (d.detected()) {
        json_object_set_new(o.get(), "framework", json_string(d.framework.c_str()));
        json_object_set_new(o.get(), "entry", json_string(d.entry.c_str()));
        json_object_set_new(o.get(), "launcher", json_string(d.launcher.c_str()));
        json_object_set_new(o.get(), "line", json_integer(d.line));
    }
    json_t* values = json_array();
    for (const auto& v : d.values) {
        json_t* e = json_pack("{s:s, s:s, s:i, s:s}", "key", v.key.c_str(), "value", v.value.c_str(), "line",
                              v.line, "from", v.from.c_str());
        json_array_append_new(values, e);
    }
    json_object_set_new(o.get(), "values", values);
    json_t* read = json_array();
    for (const auto& s : d.read)
        json_array_append_new(read, json_pack("{s:s, s:s, s:i}", "option", s.option.c_str(), "value",
                                              s.value.c_str(), "line", s.line));
    json_object_set_new(o.get(), "read", read);
    json_t* missing = json_array();
    for (const auto& m : d.missing) json_array_append_new(missing, json_string(m.c_str()));
    json_object_set_new(o.get(), "missing", missing);
    json_t* configs = json_array();
    for (const auto& c : d.configs)
    {
        bool read = false;
        for (const auto& r : named.read) read = read || r == c.path;
        json_array_append_new(configs, json_pack("{s:s, s:s, s:s, s:i, s:b, s:b}", "kind", c.kind.c_str(), "path",
                                                 c.path.c_str(), "option", c.option.c_str(), "line", c.line,
                                                 "written", c.written, "read", read || c.written));
    }
    json_object_set_new(o.get(), "configs", configs);
    json_t* problems = json_array();
    for (const auto& p : named.problems) json_array_append_new(problems, json_string(p.c_str()));
    json_object_set_new(o.get(), "config_problems", problems);
    std::printf("%s\n", json::dump(o.get(), true).c_str());
}

void print_text(const std::string& path, const detect::Detection& d, const detect::NamedConfigs& named) {
    const std::string name = printable(path, 80);
    if (d.status == detect::Detection::Status::Refused) {
        std::printf("%s: not read: %s\n", name.c_str(), d.why.c_str());
        return;
    }
    if (!d.detected()) {
        std::printf("%s: not a training job (no launch line of Megatron-LM, NeMo, torchtitan, LitGPT, axolotl, "
                    "llm-foundry, DeepSpeed or the Hugging Face Trainer)\n",
                    name.c_str());
        return;
    }
    std::printf("%s: %s (%s), launched by %s at line %d\n", name.c_str(), d.framework.c_str(), d.entry.c_str(),
                d.launcher.c_str(), d.line);
    for (const auto& v : d.values) {
        const std::string where = v.line > 0 ? "line " + std::to_string(v.line) : "";
        std::printf("  %-10s %-40s %-9s %s\n", v.key.c_str(), v.value.c_str(), where.c_str(), v.from.c_str());
    }
    if (!d.read.empty()) std::printf("read from the script:\n");
    for (const auto& s : d.read)
        std::printf("  line %-5d %s%s%s\n", s.line, s.option.c_str(), s.value.empty() ? "" : " ", s.value.c_str());
    if (!d.missing.empty()) std::printf("not determined:\n");
    for (const auto& m : d.missing) std::printf("  - %s\n", m.c_str());
    if (!d.configs.empty()) std::printf("config files it names:\n");
    for (const auto& c : d.configs) {
        bool read = false;
        for (const auto& r : named.read) read = read || r == c.path;
        std::printf("  line %-5d %s %s (%s)\n", c.line, c.option.c_str(), printable(c.path, 100).c_str(),
                    c.written ? "written by the script: read from it" : read ? "read, as sbatch will" : "not read");
    }
    for (const auto& p : named.problems) std::printf("  - %s\n", p.c_str());
}

}  // namespace

int cmd_detect(int argc, char** argv) {
    static const CommandSpec spec{
        "detect",
        "SCRIPT [--json]",
        "What aifactory reads from an unmodified batch script: the training program it launches "
        "(Megatron-LM, Megatron-DeepSpeed, NeMo, torchtitan, LitGPT, axolotl, llm-foundry, DeepSpeed, Hugging "
        "Face Trainer), the model, layout, batch, sequence length, precision "
        "and recompute it finds, the line each came from, and what it could not determine.",
        {
            {"json", Takes::Nothing, "", "print the result as JSON"},
            {"no-configs", Takes::Nothing, "", "do not read the config files the script names"},
        },
        "Exit status: 0 a training job was read, 1 not a training job (or not read: over 1 MiB, too "
        "complex), 2 bad input.",
        1};
    return guarded(spec, [&] {
        const ParsedArgs args = parse_options(spec, argc, argv);
        if (args.words.size() != 1) throw InputError("give one SCRIPT to read");
        // Up to sbatch's own 4 MiB: larger scripts are refused by the reader, as job_submit would.
        const std::string text = read_file(args.words[0], 4u << 20);
        // The config files it names are read as sbatch reads them (relative names from here).
        const detect::NamedConfigs named = args.has("no-configs") ? detect::NamedConfigs{} : detect::read_named_configs(text);
        const detect::Detection d =
            detect::read_script(text, detect::Limits{}, named.hints.kinds.empty() ? nullptr : &named.hints);
        if (args.has("json")) print_json(d, named);
        else print_text(args.words[0], d, named);
        return d.detected() ? 0 : 1;
    });
}

}  // namespace aif::cli
