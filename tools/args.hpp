// SPDX-License-Identifier: GPL-2.0-or-later
// Long-option parsing driven by one table per subcommand: the same rows decide what is accepted
// and print the option list of --help, so the two cannot drift apart.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace aif::cli {

enum class Takes { Nothing, Value, OptionalValue };

struct Option {
    std::string name;  // without the leading dashes
    Takes takes;
    std::string meta;  // what the value is, for the usage text ("N", "FILE"); "" for flags
    std::string help;  // one line
    char letter = 0;   // a one-letter alias (-n), or 0
};

// Everything `aifactory COMMAND --help` prints, and what the parser accepts.
struct CommandSpec {
    std::string name;      // "fit"
    std::string synopsis;  // after "usage: aifactory fit "; "" = every option, from the table
    std::string about;     // a paragraph before the option list; may be ""
    std::vector<Option> options;
    std::string notes;     // lines after the option list; may be ""
    std::size_t max_words = 0;  // positional words accepted (JOBID, spool's COMMAND and ARG)
};

struct Arg {
    std::string key;    // the option's table name, without the leading dashes
    std::string value;  // empty for flags (and for an optional value left out)
};

struct ParsedArgs {
    std::vector<Arg> options;        // in command-line order
    std::vector<std::string> words;  // positional words, in order
    bool has(const std::string& key) const;
};

// Thrown for --help / -h; guarded() prints the usage on stdout and exits 0.
struct HelpRequested {};

// Parses argv[1..] against `spec` (--help and -h are always understood). Throws InputError for
// an unknown option (named, with the closest known one), a missing value, a value given to a
// flag, or a positional word beyond spec.max_words.
ParsedArgs parse_options(const CommandSpec& spec, int argc, char** argv);

std::string usage_text(const CommandSpec& spec);

// "--a and --b cannot be used together" style checks; throws InputError when both are given.
void forbid_together(const ParsedArgs& args, const std::string& a, const std::string& b, const std::string& why);

// Runs `body`: --help prints the usage (exit 0), InputError "aifactory NAME: why" (exit 2).
template <class F>
int guarded(const CommandSpec& spec, F&& body) {
    try {
        return body();
    } catch (const HelpRequested&) {
        std::fputs(usage_text(spec).c_str(), stdout);
        return 0;
    } catch (const InputError& e) {
        std::fprintf(stderr, "aifactory %s: %s\n", spec.name.c_str(), e.what());
        return 2;
    }
}

}  // namespace aif::cli
