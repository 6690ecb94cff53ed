// SPDX-License-Identifier: GPL-2.0-or-later
// Finding the launch line: the commands of the script, through the wrappers that start the
// training program (srun, torchrun, python -m torch.distributed.run, deepspeed, accelerate, ...).
#include "detect/detect.hpp"

#include <algorithm>
#include <cctype>

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
                                        "time", "conda", "uv", "bash", "sh", "stdbuf", "nsys"};
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
    std::vector<Option> options;
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
            b == "singularity" || b == "apptainer")
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
                             out.find("deepspeed") != std::string::npos || out.find("accelerate") != std::string::npos;
    if (name_python && !runs_python)
        add("python");
    return out;
}

bool is_megatron_entry(std::string_view b) { return b == "pretrain_gpt.py" || b == "pretrain_gpt_core.py"; }

// A command that launches a known training program, or false.
bool recognise(const std::vector<Word>& w, Launch& out) {
    std::size_t first = 0;
    while (first < w.size() && (is_keyword(w[first].text) || is_assignment(w[first].text))) ++first;
    if (first >= w.size() || !starts_launch(w[first])) return false;
    for (std::size_t i = first + 1; i < w.size(); ++i) {
        const std::string_view prev = base_name(w[i - 1].text);
        if (w[i].text == "-c" && (is_python(prev) || prev == "bash" || prev == "sh")) return false;  // runs a string
        if (w[i].unknown() || !ends_with(w[i].text, ".py")) continue;
        const std::string_view b = base_name(w[i].text);
        out.options = parse_options(w, i + 1);
        if (is_megatron_entry(b)) out.framework = "Megatron-LM";
        else if (is_hf_trainer(out.options)) out.framework = "Hugging Face Trainer";
        else return false;  // the program is the first .py: a script of something else
        out.entry = std::string(b);
        out.launcher = launcher_of(w, first, i, out.accelerate_config);
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

Detection read_script(std::string_view script, const Limits& limits) {
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
    auto look = [&](const Command& c, auto& self, int depth) -> void {
        if (found) return;
        if (recognise(c.words, launch)) {
            found = true;
            if (depth == 0) found_line = c.line;
            if (!outer.empty()) launch.launcher = outer + " " + launch.launcher;
            return;
        }
        if (depth >= 1) return;
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
    Reading r(d, launch.options);
    if (launch.framework == "Megatron-LM") read_megatron(r);
    else read_hf(r, launch.accelerate_config);
    return d;
}

}  // namespace aif::detect
