// SPDX-License-Identifier: GPL-2.0-or-later
// Finding the launch line: the commands of the script, through the wrappers that start the
// training program (srun, torchrun, python -m torch.distributed.run, deepspeed, accelerate, ...).
#include "detect/detect.hpp"

#include <algorithm>
#include <cctype>

#include "common/error.hpp"
#include "detect/config_files.hpp"
#include "detect/reading.hpp"
#include "detect/shell.hpp"

namespace aif::detect {

namespace {

std::string_view base_name(std::string_view w) {
    const std::size_t slash = w.rfind('/');
    return slash == std::string_view::npos ? w : w.substr(slash + 1);
}
bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}
bool is_python(std::string_view w) { return base_name(w).substr(0, 6) == "python"; }

// Words that may start a launch line (a wrapper), by their base name.
bool starts_launch(const Word& w) {
    if (w.unknown()) return true;  // $LAUNCHER: set outside the script
    static const char* const names[] = {"srun", "torchrun", "deepspeed", "accelerate", "mpirun", "mpiexec",
                                        "singularity", "apptainer", "env", "numactl", "exec", "nohup",
                                        "time", "conda", "uv", "bash", "sh", "stdbuf", "nsys", "composer",
                                        "litgpt", "axolotl", "nemo"};
    const std::string_view b = base_name(w.text);
    if (is_python(b)) return true;
    for (const char* n : names)
        if (b == n) return true;
    return false;
}
// Shell words that only shape control flow: `then torchrun ...` is still a launch.
bool is_keyword(std::string_view w) {
    static const char* const words[] = {"if", "then", "else", "elif", "fi", "do", "done", "while",
                                        "until", "for", "!", "{", "}"};
    for (const char* k : words)
        if (w == k) return true;
    return false;
}

struct Launch {
    std::string framework, entry, launcher;
    std::string command;  // LitGPT's subcommand: "pretrain", "finetune_lora"
    Args args;
    bool accelerate_config = false;
};

// What the wrappers before the program were, for the message: "srun torchrun".
std::string launcher_of(const std::vector<Word>& w, std::size_t first, std::size_t entry, bool& accel_cfg,
                        bool name_python = true) {
    std::string out;
    auto add = [&](std::string_view s) {
        if (out.find(s) != std::string::npos) return;
        if (!out.empty()) out += ' ';
        out += s;
    };
    for (std::size_t i = first; i < entry; ++i) {
        const std::string_view b = base_name(w[i].text);
        if (b == "srun" || b == "torchrun" || b == "deepspeed" || b == "mpirun" || b == "mpiexec" ||
            b == "singularity" || b == "apptainer" || b == "composer")
            add(b);
        else if (b == "accelerate") add("accelerate launch");
        else if (w[i].text == "--config_file" || w[i].text.rfind("--config_file=", 0) == 0) accel_cfg = true;
        else if (is_python(b)) {  // python -u -m torch.distributed.run
            std::size_t k = i + 1;
            while (k + 1 < entry && w[k].text != "-m" && w[k].text.rfind('-', 0) == 0) ++k;
            if (k + 1 < entry && w[k].text == "-m") add("python -m " + w[k + 1].text), i = k + 1;
        }
    }
    const bool runs_python = out.find("python") != std::string::npos || out.find("torchrun") != std::string::npos ||
                             out.find("deepspeed") != std::string::npos || out.find("accelerate") != std::string::npos ||
                             out.find("composer") != std::string::npos;
    if (name_python && !runs_python)
        add("python");
    return out;
}

bool is_megatron_entry(std::string_view b) { return b == "pretrain_gpt.py" || b == "pretrain_gpt_core.py"; }
// NeMo 1.x's Hydra programs: megatron_gpt_pretraining.py, megatron_gpt_finetuning.py, ...
bool is_nemo_entry(std::string_view b) { return b.rfind("megatron_gpt_", 0) == 0 || b.rfind("megatron_llama_", 0) == 0; }
bool has(const Args& a, std::string_view prefix) {
    for (const Option& o : a.options)
        if (o.name.compare(0, prefix.size(), prefix) == 0) return true;
    return false;
}
bool first_positional_is_yaml(const Args& a) {
    return !a.positionals.empty() &&
           (ends_with(a.positionals[0].text, ".yaml") || ends_with(a.positionals[0].text, ".yml"));
}
// llm-foundry's scripts/train/train.py with its YAML: started by composer or named by its path,
// and recognisable by the YAML's place (yamls/) or foundry's own settings among the overrides.
bool is_foundry(std::string_view program, const Args& a, bool composer) {
    if (!first_positional_is_yaml(a)) return false;
    const bool foundry_path = program.find("llm-foundry") != std::string_view::npos ||
                              program.find("llmfoundry") != std::string_view::npos;
    if (!composer && !foundry_path && program.find("scripts/train/train.py") == std::string_view::npos) return false;
    return foundry_path || a.positionals[0].text.find("yamls/") != std::string::npos ||
           has(a, "global_train_batch_size") || has(a, "device_train_microbatch_size");
}
// python -m torch.distributed.run ...: a launcher, not the program.
bool is_wrapper_module(const std::vector<Word>& w, std::size_t i) {
    if (i == 0 || w[i - 1].text != "-m") return false;
    static const char* const wrappers[] = {"torch.distributed.run", "torch.distributed.launch",
                                           "deepspeed.launcher.runner", "accelerate.commands.launch"};
    for (const char* m : wrappers)
        if (w[i].text == m) return true;
    return false;
}
bool word_is(const std::vector<Word>& w, std::size_t i, std::string_view text) {
    return i < w.size() && w[i].text == text;
}

// The training program `w[i]` starts (a .py, a module after -m, or a command such as litgpt),
// or false. `composer`: MosaicML's launcher came before it (llm-foundry's train.py).
bool identify(const std::vector<Word>& w, std::size_t i, bool composer, Launch& out) {
    const std::string_view b = base_name(w[i].text);
    const bool module = i > 0 && w[i - 1].text == "-m";
    auto take = [&](const char* framework, std::size_t args_from) {
        out.framework = framework;
        out.entry = module ? "-m " + w[i].text : std::string(b);
        out.args = parse_args(w, args_from);
        return true;
    };
    if (b == "litgpt" || (module && w[i].text == "litgpt")) {  // litgpt pretrain MODEL --train.x ...
        static const char* const commands[] = {"pretrain", "finetune", "finetune_full", "finetune_lora",
                                               "finetune_adapter", "finetune_adapter_v2"};
        if (i + 1 >= w.size()) return false;
        for (const char* c : commands)
            if (w[i + 1].text == c) {
                out.command = c;
                take("LitGPT", i + 2);
                out.entry = "litgpt " + out.command;
                return true;
            }
        return false;
    }
    if (b == "axolotl" && word_is(w, i + 1, "train")) return take("axolotl", i + 2), out.entry = "axolotl train", true;
    if (module && (w[i].text == "axolotl.cli.train" || w[i].text == "axolotl.cli.main")) {
        take("axolotl", i + 1);
        if (!out.args.positionals.empty() && out.args.positionals[0].text == "train")
            out.args.positionals.erase(out.args.positionals.begin());
        return true;
    }
    // torchtitan.train, torchtitan.models.flux.train; not torchtitan.models.flux.inference.infer.
    if (module && w[i].text.rfind("torchtitan.", 0) == 0)
        return w[i].text.substr(w[i].text.rfind('.') + 1).find("train") != std::string::npos &&
               take("torchtitan", i + 1);
    if (b == "nemo" && word_is(w, i + 1, "llm") && (word_is(w, i + 2, "pretrain") || word_is(w, i + 2, "finetune"))) {
        take("NeMo", i + 3);
        out.entry = "nemo llm " + w[i + 2].text;
        return true;
    }
    if (b.find(kUnknown) != std::string_view::npos || (!module && !ends_with(w[i].text, ".py")) ||
        is_wrapper_module(w, i))
        return false;
    Args a = parse_args(w, i + 1);
    if (is_megatron_entry(b)) take(has(a, "--deepspeed") ? "Megatron-DeepSpeed" : "Megatron-LM", i + 1);
    else if (is_nemo_entry(b)) take("NeMo", i + 1);
    else if (has(a, "--job.config_file") || w[i].text.find("torchtitan") != std::string::npos) take("torchtitan", i + 1);
    else if (is_foundry(w[i].text, a, composer)) take("llm-foundry", i + 1);
    else if (w[i].text.find("litgpt/") != std::string::npos && b != "__main__.py") return false;
    else if (is_hf_trainer(a.options)) take("Hugging Face Trainer", i + 1);
    else return false;  // the program is the first .py: a script of something else
    return true;
}

// A command that launches a known training program, or false.
bool recognise(const std::vector<Word>& w, Launch& out) {
    std::size_t first = 0;
    while (first < w.size() && (is_keyword(w[first].text) || is_assignment(w[first].text))) ++first;
    if (first >= w.size() || !starts_launch(w[first])) return false;
    bool composer = false;
    for (std::size_t i = first; i < w.size(); ++i) {
        const std::string_view prev = i > 0 ? base_name(w[i - 1].text) : std::string_view();
        if (w[i].text == "-c" && (is_python(prev) || prev == "bash" || prev == "sh")) return false;  // runs a string
        // ${DIR}/pretrain_gpt.py, `pwd`/pretrain_gpt.py: the program is known by its base name.
        if (base_name(w[i].text).find(kUnknown) != std::string_view::npos) continue;
        if (!identify(w, i, composer, out)) {
            composer = composer || base_name(w[i].text) == "composer";
            if (ends_with(w[i].text, ".py") || (w[i - (i > 0)].text == "-m" && !is_wrapper_module(w, i)))
                return false;  // the first .py (or module) is the program
            continue;
        }
        const bool command = out.framework == "LitGPT" || out.entry == "axolotl train" || out.entry.rfind("nemo ", 0) == 0;
        out.launcher = launcher_of(w, first, i, out.accelerate_config, !command);
        if (out.launcher.empty()) out.launcher = "(none)";
        return true;
    }
    return false;
}

}  // namespace

const Value* Detection::get(std::string_view key) const {
    for (const Value& v : values)
        if (v.key == key) return &v;
    return nullptr;
}

std::vector<std::pair<std::string, std::string>> Detection::options() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Value& v : values) out.emplace_back(v.key, v.value);
    return out;
}

namespace {

// Notes the config file option `name` (or `alt`) names, for the SPANK plugin to read.
void name_config(Reading& r, const char* kind, const char* name, const char* alt = nullptr) {
    const char* given = r.find(name) ? name : (alt && r.find(alt) ? alt : nullptr);
    if (given == nullptr) return;
    const Option* o = r.find(given);
    if (o->value.text.empty()) return;  // DeepSpeed-Chat's --deepspeed is a flag
    if (o->value.unknown()) {
        r.miss(std::string("config: ") + given + " (line " + std::to_string(o->line) +
               ") names a file the script does not spell out");
        return;
    }
    r.detection().configs.push_back({kind, o->value.text, given, o->line});
}

// The settings the SPANK plugin read from the file of `kind` the script names, put before the
// command line's; without them, that file is one that may set what the command line does not.
void with_hints(Reading& r, std::vector<Option>& opts, const Hints* hints, const char* kind, const char* prefix) {
    const ConfigFile* c = config_of(r.detection(), kind);
    if (c == nullptr) return;
    if (hints != nullptr && hints->read(kind)) {
        bool done = false;  // once per kind
        for (const Option& o : opts) done = done || (!o.file.empty() && o.name.rfind(prefix, 0) == 0);
        if (!done) add_hints(opts, hints, kind, prefix, c->path.substr(c->path.rfind('/') + 1));
    } else if (std::string_view(kind) != "ds") {
        r.unread = c;
    }
}

// What the launch line says, with the settings of the files it names where they are known.
void interpret(Detection& d, Launch launch, const Hints* hints) {
    std::vector<Option>& opts = launch.args.options;
    Reading r(d, opts);
    const std::string& fw = launch.framework;
    if (fw == "Megatron-LM" || fw == "Megatron-DeepSpeed") {
        name_config(r, "ds", "--deepspeed_config", "--deepspeed-config");
        with_hints(r, opts, hints, "ds", "ds:");
        read_megatron(r);
    } else if (fw == "NeMo") {
        read_nemo(d, opts, launch.args.positionals, hints);
    } else if (fw == "torchtitan") {
        name_config(r, "toml", "--job.config_file");
        with_hints(r, opts, hints, "toml", "--");
        // torchtitan since 2026: `--module llama3 --config llama3_8b` names a Python function of its
        // config registry. It sets what the command line does not; it is code, never read here.
        ConfigFile registry;
        const Option* fn = r.find("--config");
        if (r.unread == nullptr && config_of(d, "toml") == nullptr && fn != nullptr && !fn->value.text.empty()) {
            registry = {"py", fn->value.unknown() ? "its Python config" : fn->value.text + " (Python)", "--config", fn->line};
            r.unread = &registry;
        }
        read_torchtitan(r);
    } else if (fw == "LitGPT") {
        name_config(r, "yaml", "--config");
        with_hints(r, opts, hints, "yaml", "--");
        read_litgpt(r, launch.command, launch.args.positionals);
    } else if (fw == "axolotl" || fw == "llm-foundry") {
        if (!launch.args.positionals.empty() && !launch.args.positionals[0].unknown()) {
            const Word& p = launch.args.positionals[0];
            d.configs.push_back({"yaml", p.text, "(config)", p.line});
        } else {
            r.miss("config: the YAML file " + launch.entry + " reads is not named in the script");
        }
        with_hints(r, opts, hints, "yaml", fw == "axolotl" ? "--" : "");
        if (fw == "axolotl") read_axolotl(r);
        else read_foundry(r);
    } else {
        name_config(r, "ds", "--deepspeed");
        with_hints(r, opts, hints, "ds", "ds:");
        read_hf(r, launch.accelerate_config);
        // DeepSpeed-Chat style: its own program with --zero_stage, not the Trainer.
        if (r.find("--zero_stage")) d.framework = "DeepSpeed";
    }
    if (fw != "NeMo") {
        with_hints(r, opts, hints, "ds", "ds:");
        read_deepspeed_config(r, false);
    }
}

bool same_file(std::string_view a, std::string_view b) {
    while (a.substr(0, 2) == "./") a.remove_prefix(2);
    while (b.substr(0, 2) == "./") b.remove_prefix(2);
    return !a.empty() && a == b;
}

}  // namespace

Detection read_script(std::string_view script, const Limits& limits, const Hints* hints) {
    Detection d;
    if (script.size() > limits.script_bytes) {
        d.status = Detection::Status::Refused;
        const std::size_t kib = limits.script_bytes >> 10;
        d.why = "the script is larger than " +
                (kib % 1024 == 0 ? std::to_string(kib / 1024) + " MiB" : std::to_string(kib) + " KiB");
        return d;
    }
    Shell sh(limits.work);
    Launch launch;
    bool found = false;
    int found_line = 0;
    // `srun bash -c "torchrun ... pretrain_gpt.py ..."`: the quoted text is read as commands too.
    std::string outer;  // the wrappers before `bash -c`
    std::vector<std::pair<std::string, std::string>> written;  // file, text: `cat > FILE <<EOF`
    auto look = [&](const Command& c, auto& self, int depth) -> void {
        if (found) return;
        if (!c.heredoc.empty() && !c.words.empty() && written.size() < 8) {
            const std::string_view b = base_name(c.words[0].text);
            if (b == "cat" && !c.writes.empty()) written.emplace_back(c.writes, c.heredoc);
            else if (b == "tee" && c.words.size() >= 2) written.emplace_back(c.words.back().text, c.heredoc);
        }
        if (recognise(c.words, launch)) {
            found = true;
            if (depth == 0) found_line = c.line;
            if (!outer.empty()) launch.launcher = outer + " " + launch.launcher;
            return;
        }
        if (depth >= 1) return;
        // `eval ${run_cmd}` (Megatron-DeepSpeed's examples): its words, joined, are read as commands.
        std::size_t first = 0;
        while (first < c.words.size() && is_keyword(c.words[first].text)) ++first;
        if (first + 1 < c.words.size() && c.words[first].text == "eval") {
            std::string text;
            for (std::size_t i = first + 1; i < c.words.size(); ++i) text += (i > first + 1 ? " " : "") + c.words[i].text;
            outer.clear();
            found_line = c.line;
            sh.each(text, c.words[first + 1].line, depth + 1, [&](const Command& inner) { self(inner, self, depth + 1); });
            return;
        }
        for (std::size_t i = 0; i + 2 < c.words.size(); ++i) {
            const std::string_view b = base_name(c.words[i].text);
            if ((b == "bash" || b == "sh") && c.words[i + 1].text == "-c") {
                bool unused = false;
                outer = launcher_of(c.words, 0, i, unused, false);
                found_line = c.line;
                sh.each(c.words[i + 2].text, c.words[i + 2].line, depth + 1,
                        [&](const Command& inner) { self(inner, self, depth + 1); });
                break;
            }
        }
    };
    std::size_t pos = 0;
    int line = 1;
    Command c;
    while (!found && sh.next(script, pos, line, c)) look(c, look, 0);
    if (sh.exhausted()) {
        d.status = Detection::Status::Refused;
        d.why = "the script is too complex to read in bounded time";
        return d;
    }
    if (!found) return d;
    d.status = Detection::Status::Detected;
    d.framework = launch.framework;
    d.entry = launch.entry;
    d.launcher = launch.launcher;
    d.line = found_line;
    interpret(d, launch, hints);
    // A config file the script writes itself (`cat > ds_config.json <<EOF`) is read from its text:
    // that is what the job will use, and it does not exist yet when sbatch runs.
    Hints merged = hints != nullptr ? *hints : Hints{};
    bool more = false;
    for (ConfigFile& cf : d.configs)
        for (const auto& [path, body] : written)
            if (same_file(cf.path, path)) {
                cf.written = true;
                if (merged.read(cf.kind)) continue;
                try {
                    add_config(merged, cf.kind, flatten(cf.kind, body, path));
                    more = true;
                } catch (const InputError&) {  // not the format: its settings stay unknown
                }
            }
    if (more) {
        Detection again;
        again.status = d.status, again.framework = launch.framework, again.entry = d.entry;
        again.launcher = d.launcher, again.line = d.line;
        interpret(again, launch, &merged);
        for (ConfigFile& cf : again.configs)
            for (const auto& w : written) cf.written = cf.written || same_file(cf.path, w.first);
        d = std::move(again);
    }
    return d;
}

}  // namespace aif::detect
