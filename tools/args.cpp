// SPDX-License-Identifier: GPL-2.0-or-later
#include "args.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace aif::cli {

namespace {

const Option* find_option(const CommandSpec& spec, const std::string& word) {
    for (const auto& o : spec.options) {
        if (word == "--" + o.name) return &o;
        if (o.letter && word == std::string{'-', o.letter}) return &o;
    }
    return nullptr;
}

[[noreturn]] void unknown(const CommandSpec& spec, const std::string& flag) {
    std::vector<std::string> names{"help"};
    for (const auto& o : spec.options) names.push_back(o.name);
    const auto start = flag.find_first_not_of('-');
    const auto near = closest(start == std::string::npos ? "" : flag.substr(start), names, 1);
    throw InputError(printable(flag) + ": unknown option" +
                     (near.empty() ? "" : " (did you mean --" + near[0] + "?)") + "; see aifactory " + spec.name +
                     " --help");
}

std::string head(const Option& o) {
    std::string h = o.letter ? std::string{'-', o.letter} + ", --" + o.name : "--" + o.name;
    if (o.takes == Takes::Value) h += " " + o.meta;
    if (o.takes == Takes::OptionalValue) h += " [" + o.meta + "]";
    return h;
}

}  // namespace

bool ParsedArgs::has(const std::string& key) const {
    return std::any_of(options.begin(), options.end(), [&](const Arg& a) { return a.key == key; });
}

ParsedArgs parse_options(const CommandSpec& spec, int argc, char** argv) {
    ParsedArgs out;
    for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        if (word == "-h" || word == "--help") throw HelpRequested{};
        if (word.size() < 2 || word[0] != '-') {
            if (out.words.size() >= spec.max_words)
                throw InputError("unexpected argument '" + printable(word) + "' (options start with --)");
            out.words.push_back(word);
            continue;
        }
        const auto eq = word.find('=');
        const std::string flag = word.substr(0, eq);
        const Option* o = find_option(spec, flag);
        if (!o) unknown(spec, flag);
        Arg a{o->name, ""};
        if (eq != std::string::npos) {
            if (o->takes == Takes::Nothing) throw InputError("--" + o->name + ": takes no value");
            a.value = word.substr(eq + 1);
        } else if (o->takes == Takes::Value) {
            if (i + 1 >= argc) throw InputError("--" + o->name + ": needs a value (" + o->meta + ")");
            a.value = argv[++i];
        } else if (o->takes == Takes::OptionalValue && i + 1 < argc && argv[i + 1][0] != '-') {
            a.value = argv[++i];  // `--fsdp full` as well as `--fsdp=full` and a bare `--fsdp`
        }
        out.options.push_back(std::move(a));
    }
    return out;
}

// "[--a N] [--b] ...", wrapped under the command name.
std::string synopsis_of(const CommandSpec& spec) {
    const std::string indent(std::string("usage: aifactory  ").size() + spec.name.size(), ' ');
    std::string out, line;
    for (const auto& o : spec.options) {
        std::string item = "[--" + o.name;
        if (o.takes == Takes::Value) item += " " + o.meta;
        if (o.takes == Takes::OptionalValue) item += " [" + o.meta + "]";
        item += "]";
        if (!line.empty() && indent.size() + line.size() + 1 + item.size() > 96) {
            out += line + "\n" + indent;
            line.clear();
        }
        line += (line.empty() ? "" : " ") + item;
    }
    return out + line;
}

std::string usage_text(const CommandSpec& spec) {
    std::string out = "usage: aifactory " + spec.name + " " +
                      (spec.synopsis.empty() ? synopsis_of(spec) : spec.synopsis) + "\n";
    if (!spec.about.empty()) out += spec.about + "\n";
    std::size_t width = 0;
    for (const auto& o : spec.options) width = std::max(width, head(o).size());
    if (!spec.options.empty()) out += "\n";
    for (const auto& o : spec.options) {
        const std::string h = head(o);
        out += "  " + h + std::string(width - h.size() + 2, ' ') + o.help + "\n";
    }
    out += "  --help" + std::string(width > 6 ? width - 6 + 2 : 2, ' ') + "this text\n";
    if (!spec.notes.empty()) out += "\n" + spec.notes + "\n";
    return out;
}

void forbid_together(const ParsedArgs& args, const std::string& a, const std::string& b, const std::string& why) {
    if (args.has(a) && args.has(b)) throw InputError("--" + a + " and --" + b + " cannot be used together: " + why);
}

}  // namespace aif::cli
