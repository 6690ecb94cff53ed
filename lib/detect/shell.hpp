// SPDX-License-Identifier: GPL-2.0-or-later
// A bounded reader of the shell a batch script is written in: enough of bash to see the commands
// a script runs with the variables it set earlier expanded. It never runs anything, and it stops
// (Shell::exhausted) after a fixed amount of work whatever the text holds.
#pragma once
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aif::detect {

// Stands in for what the script does not say: an unset variable, $(command), $1, ...
inline constexpr char kUnknown = '\x01';

struct Word {
    std::string text;
    int line = 0;  // where its first character was written (for $VAR: the line that set VAR)
    std::vector<int> lines;  // assignments only: the line of each character (for values used later)
    bool unknown() const { return text.find(kUnknown) != std::string::npos; }
};

// Which branch of `if ...; then ... elif ... else ... fi` a script runs, where its test compares
// values the script set (`[ "$AC" = "true" ]`, `[[ $ZERO -gt 1 ]]`); lib/detect/branches.cpp. A
// test the reader cannot decide takes every branch (Megatron-DeepSpeed's examples set
// activation_checkpoint="false", then add --recompute-granularity full under such a test).
class Branches {
public:
    // Takes the leading if/then/elif/else/fi of a command's words off (with the test of an `if`
    // or `elif`) and follows them; the words left are the command itself.
    void follow(std::vector<Word>& words);
    bool skipping() const;  // the command is in a branch the script does not run

private:
    enum class State { Take, Skip, Done, All };  // Done: an earlier branch ran
    std::vector<State> open_;
    int overflow_ = 0;  // nesting deeper than kMaxBranchNesting: followed as All
    bool testing_ = false;  // between `if`/`elif` and its `then`
};
inline constexpr std::size_t kMaxBranchNesting = 32;
// 1 true, 0 false, -1 not decidable: `[ A OP B ]` or `[[ A OP B ]]` on known values, words[from, end).
int test_result(const std::vector<Word>& words, std::size_t from, std::size_t end);

struct Command {
    std::vector<Word> words;
    int line = 0;  // where the command starts
    std::string writes;   // the target of its last `>`/`>>` redirection ("" when none)
    std::string heredoc;  // the body of its first here-document, expanded unless the delimiter is quoted
};

// Limits: far above any real script, low enough that a hostile one costs milliseconds.
inline constexpr std::size_t kMaxWork = 8u << 20;       // characters scanned or copied, in all
inline constexpr std::size_t kMaxVariables = 512;
// A command's fixed cost (words, assignments, the launch-line test), in characters' worth of work:
// measured at ~200x a character (bench/bench_detect), so 20 000 one-word commands are refused in
// bounded time; 2 048 commands fit in job_submit's 512 KiB, 10 times a large real script.
inline constexpr std::size_t kCommandWork = 256;
inline constexpr std::size_t kMaxValueBytes = 64u << 10;  // one variable's value, one word
inline constexpr std::size_t kMaxWords = 4096;          // words in one command
inline constexpr int kMaxNesting = 2;                   // ${A:-${B:-x}}, bash -c "..."

class Shell {
public:
    explicit Shell(std::size_t max_work = kMaxWork) : max_work_(max_work) {}
    // Reads `text` up to the end of its next command; false at the end (or when out of work).
    // Assignments (`A=1`, `export A="x y"`, `A=(...)`, `A+=...`) are applied as they are read.
    bool next(std::string_view text, std::size_t& pos, int& line, Command& out, int depth = 0);
    bool exhausted() const { return exhausted_; }
    // Scans a whole text (the argument of `bash -c`), calling f(Command) for each command.
    template <class F>
    void each(std::string_view text, int line, int depth, F&& f) {
        std::size_t pos = 0;
        Command c;
        while (next(text, pos, line, c, depth)) f(c);
    }

private:
    struct Var {
        std::string name, value;
        std::vector<int> lines;  // the line of each character of value
    };
    struct Builder;
    std::vector<Var> vars_;
    Branches branches_;  // if/elif/else on values the script set: the branch it runs
    // name -> index in vars_: a script of thousands of assignments costs no scan per use.
    std::map<std::string, std::size_t, std::less<>> index_;
    std::size_t max_work_;
    std::size_t work_ = 0;
    bool exhausted_ = false;

    bool spend(std::size_t n);
    const Var* find(std::string_view name) const;
    void assign(const Word& w);
    void expand(Builder& b, std::string_view text, std::size_t& i, int line, bool quoted, int depth);
    std::string arithmetic(std::string_view expr);
    std::string expand_heredoc(std::string_view body, int line);
};

bool is_assignment(std::string_view word);  // NAME=... or NAME+=...

}  // namespace aif::detect
