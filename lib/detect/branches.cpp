// SPDX-License-Identifier: GPL-2.0-or-later
#include "detect/shell.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace aif::detect {

namespace {

bool whole_number(const std::string& s, long& out) {
    if (s.empty() || s.size() > 15) return false;
    const std::size_t from = s[0] == '-' ? 1 : 0;
    if (from == s.size()) return false;
    for (std::size_t i = from; i < s.size(); ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    out = std::strtol(s.c_str(), nullptr, 10);
    return true;
}

}  // namespace

int test_result(const std::vector<Word>& w, std::size_t from, std::size_t end) {
    if (end - from != 5) return -1;
    const std::string& open = w[from].text;
    const std::string& close = w[from + 4].text;
    if (!((open == "[" && close == "]") || (open == "[[" && close == "]]"))) return -1;
    const Word& a = w[from + 1];
    const std::string& op = w[from + 2].text;
    const Word& b = w[from + 3];
    if (a.unknown() || b.unknown()) return -1;
    if (op == "=" || op == "==") return a.text == b.text;
    if (op == "!=") return a.text != b.text;
    long x = 0, y = 0;
    if (!whole_number(a.text, x) || !whole_number(b.text, y)) return -1;
    if (op == "-eq") return x == y;
    if (op == "-ne") return x != y;
    if (op == "-gt") return x > y;
    if (op == "-ge") return x >= y;
    if (op == "-lt") return x < y;
    if (op == "-le") return x <= y;
    return -1;
}

bool Branches::skipping() const {
    return std::any_of(open_.begin(), open_.end(), [](State s) { return s == State::Skip || s == State::Done; });
}

void Branches::follow(std::vector<Word>& words) {
    auto decide = [](int r) { return r == 1 ? State::Take : r == 0 ? State::Skip : State::All; };
    std::size_t i = 0;
    // `if [ A ] && [ B ]; then`: a second test before `then` leaves the branch undecided.
    if (testing_ && !words.empty() && (words[0].text == "[" || words[0].text == "[[" || words[0].text == "test")) {
        if (overflow_ == 0 && !open_.empty() && (open_.back() == State::Take || open_.back() == State::Skip))
            open_.back() = State::All;
    }
    while (i < words.size()) {
        const std::string& k = words[i].text;
        if (k == "then") {
            testing_ = false;
            ++i;
        } else if (k == "if" || k == "elif") {
            // A `[ ... ]` test runs to `then` on the same line, else to the end of the command (`;
            // then`); `if torchrun ...; then` runs the command itself.
            std::size_t end = i + 1;
            const bool bracket = end < words.size() && (words[end].text == "[" || words[end].text == "[[");
            while (bracket && end < words.size() && words[end].text != "then") ++end;
            const int r = bracket ? test_result(words, i + 1, end) : -1;
            testing_ = true;
            if (k == "if") {
                if (open_.size() >= kMaxBranchNesting) ++overflow_;
                else open_.push_back(skipping() ? State::Done : decide(r));
            } else if (overflow_ == 0 && !open_.empty()) {
                State& s = open_.back();
                if (s == State::Take) s = State::Done;
                else if (s == State::Skip) s = decide(r);
            }
            i = end;
        } else if (k == "else") {
            if (overflow_ == 0 && !open_.empty()) {
                State& s = open_.back();
                if (s == State::Take) s = State::Done;
                else if (s == State::Skip) s = State::Take;
            }
            ++i;
        } else if (k == "fi") {
            if (overflow_ > 0) --overflow_;
            else if (!open_.empty()) open_.pop_back();
            ++i;
        } else {
            break;
        }
    }
    words.erase(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(i));
}

}  // namespace aif::detect
