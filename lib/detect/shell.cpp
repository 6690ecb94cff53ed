// SPDX-License-Identifier: GPL-2.0-or-later
#include "detect/shell.hpp"

#include <cctype>

namespace aif::detect {

namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
std::size_t name_length(std::string_view s) {
    if (s.empty() || !name_start(s[0])) return 0;
    std::size_t n = 1;
    while (n < s.size() && name_char(s[n])) ++n;
    return n;
}
bool is_declare(std::string_view w) {
    return w == "export" || w == "declare" || w == "local" || w == "readonly" || w == "typeset";
}
// Index just past the ')' that closes the '(' at `open` (npos when none): quotes are ignored,
// which is enough for the $(...) we only skip.
std::size_t closing_paren(std::string_view s, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < s.size(); ++i) {
        if (s[i] == '(') ++depth;
        else if (s[i] == ')' && --depth == 0) return i + 1;
    }
    return std::string_view::npos;
}
std::size_t closing_brace(std::string_view s, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < s.size(); ++i) {
        if (s[i] == '{') ++depth;
        else if (s[i] == '}' && --depth == 0) return i + 1;
        else if (s[i] == '\n') return std::string_view::npos;  // ${ never spans lines in practice
    }
    return std::string_view::npos;
}

// "42" or "-42" (at most 15 digits), else "".
std::string arithmetic_literal(std::string_view v) {
    std::size_t i = !v.empty() && v[0] == '-' ? 1 : 0;
    if (v.size() == i || v.size() - i > 15) return "";
    for (std::size_t k = i; k < v.size(); ++k)
        if (!std::isdigit(static_cast<unsigned char>(v[k]))) return "";
    return std::string(v);
}

}  // namespace

bool is_assignment(std::string_view w) {
    const std::size_t n = name_length(w);
    if (n == 0 || n >= w.size()) return false;
    return w[n] == '=' || (w[n] == '+' && n + 1 < w.size() && w[n + 1] == '=');
}

// The command being read: finished words, the word being built (one line number per character).
struct Shell::Builder {
    std::vector<Word>& words;
    std::string text;
    std::vector<int> lines;
    bool started = false;  // "" is a word
    bool array = false;    // inside NAME=( ... )
    bool drop_next = false;  // the word after a redirection is its target, not an argument
    bool output = false;     // ... of an output redirection: kept as `target`
    std::string target = {};
    bool overflow = false;
    int start_line = 0;

    void begin(int line) {  // a word starts here, even if it stays empty ("")
        if (!started) start_line = line;
        started = true;
    }
    void add(char c, int line) {
        begin(line);
        if (text.size() >= kMaxValueBytes) {
            overflow = true;
            return;
        }
        text += c;
        lines.push_back(line);
    }
    void end_word() {
        if (!started) return;
        if (overflow) text.assign(1, kUnknown);
        if (drop_next) drop_next = false, target = output ? text : target;
        else if (words.size() < kMaxWords) {
            words.push_back({text, lines.empty() ? start_line : lines[0], {}});
            if (is_assignment(text)) words.back().lines = lines;
        }
        else overflow_words = true;
        text.clear();
        lines.clear();
        started = overflow = false;
    }
    // In an assignment (A=$B, export A=$B) a value is not split into words.
    bool assigning() const {
        if (array || !is_assignment(text)) return false;
        for (const Word& w : words)
            if (!is_assignment(w.text) && !is_declare(w.text) && w.text.rfind('-', 0) != 0) return false;
        return true;
    }
    bool overflow_words = false;
};

bool Shell::spend(std::size_t n) {
    work_ += n;
    if (work_ > max_work_) exhausted_ = true;
    return !exhausted_;
}

const Shell::Var* Shell::find(std::string_view name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &vars_[it->second];
}

void Shell::assign(const Word& w) {
    const std::size_t n = name_length(w.text);
    const bool append = w.text[n] == '+';
    std::string value = w.text.substr(n + (append ? 2 : 1));
    Var* var = const_cast<Var*>(find(std::string_view(w.text).substr(0, n)));
    if (var == nullptr) {
        if (vars_.size() >= kMaxVariables) return;  // later uses read as unknown
        index_.emplace(w.text.substr(0, n), vars_.size());
        vars_.push_back({w.text.substr(0, n), {}, {}});
        var = &vars_.back();
    }
    if (!append) var->value.clear(), var->lines.clear();
    if (append && !var->value.empty() && !value.empty()) var->value += ' ', var->lines.push_back(w.line);
    if (var->value.size() + value.size() > kMaxValueBytes) {
        var->value.assign(1, kUnknown);
        var->lines.assign(1, w.line);
        return;
    }
    var->value += value;
    // Each character keeps the line it came from (a multi-line GPT_ARGS="..." is common).
    const std::size_t from = w.text.size() - value.size();
    for (std::size_t k = 0; k < value.size(); ++k)
        var->lines.push_back(from + k < w.lines.size() ? w.lines[from + k] : w.line);
}

// Integer arithmetic of $(( )): + - * / % over numbers and variables, no parentheses. Returns ""
// when anything is not a plain integer (the caller then marks the value unknown).
std::string Shell::arithmetic(std::string_view e) {
    long long sum = 0, term = 0;
    char add_op = '+', mul_op = 0;
    bool expect_value = true;
    auto fold = [&](long long v) -> bool {
        if (mul_op == 0) term = v;
        else if (mul_op == '*') term *= v;
        else if (v == 0) return false;
        else if (mul_op == '/') term /= v;
        else term %= v;
        return term > -1'000'000'000'000'000LL && term < 1'000'000'000'000'000LL;
    };
    for (std::size_t i = 0; i < e.size();) {
        const char c = e[i];
        if (c == ' ' || c == '\t') { ++i; continue; }
        if (expect_value) {
            bool neg = false;
            if (c == '-') { neg = true; ++i; while (i < e.size() && e[i] == ' ') ++i; }
            if (i < e.size() && e[i] == '$') ++i;
            if (i < e.size() && e[i] == '{') ++i;
            long long v = 0;
            if (i < e.size() && std::isdigit(static_cast<unsigned char>(e[i]))) {
                std::size_t digits = 0;
                while (i < e.size() && std::isdigit(static_cast<unsigned char>(e[i])) && digits++ < 15)
                    v = v * 10 + (e[i++] - '0');
                if (i < e.size() && std::isdigit(static_cast<unsigned char>(e[i]))) return "";
            } else {
                const std::size_t n = name_length(e.substr(i));
                if (n == 0) return "";
                const Var* var = find(e.substr(i, n));
                if (var == nullptr) return "";
                const std::string r = arithmetic_literal(var->value);
                if (r.empty()) return "";
                v = std::stoll(r);
                i += n;
            }
            if (i < e.size() && e[i] == '}') ++i;
            if (!fold(neg ? -v : v)) return "";
            expect_value = false;
        } else if (c == '*' || c == '/' || c == '%') {
            mul_op = c, expect_value = true, ++i;
        } else if (c == '+' || c == '-') {
            sum = add_op == '+' ? sum + term : sum - term;
            add_op = c, mul_op = 0, expect_value = true, ++i;
        } else {
            return "";
        }
    }
    if (expect_value) return "";
    sum = add_op == '+' ? sum + term : sum - term;
    return std::to_string(sum);
}

// text[i] is '$'. Appends what it stands for to the word (split into words when unquoted, as the
// shell does) and moves i past it.
void Shell::expand(Builder& b, std::string_view text, std::size_t& i, int line, bool quoted, int depth) {
    const bool split = !quoted && !b.assigning();
    auto unknown = [&] { b.add(kUnknown, line); };
    auto put = [&](const Var* v) {
        if (v == nullptr) return unknown();
        if (!spend(v->value.size())) return;
        for (std::size_t k = 0; k < v->value.size(); ++k) {
            const char c = v->value[k];
            if (split && (c == ' ' || c == '\t' || c == '\n')) b.end_word();
            else b.add(c, v->lines[k]);
        }
    };
    const std::size_t at = i;
    if (at + 1 >= text.size()) { b.add('$', line); ++i; return; }
    const char c = text[at + 1];
    if (c == '(') {
        const std::size_t end = closing_paren(text, at + 1);
        if (end == std::string_view::npos) { i = text.size(); return unknown(); }
        i = end;
        const bool arith = text.substr(at + 1, 2) == "((" && end >= at + 5 && text[end - 2] == ')';
        const std::string r = arith ? arithmetic(text.substr(at + 3, end - 2 - (at + 3))) : "";
        if (r.empty()) return unknown();
        for (char d : r) b.add(d, line);
        return;
    }
    if (c == '{') {
        const std::size_t end = closing_brace(text, at + 1);
        if (end == std::string_view::npos) { i = text.size(); return unknown(); }
        i = end;
        const std::string_view body = text.substr(at + 2, end - 1 - (at + 2));
        const std::size_t n = name_length(body);
        if (n == 0) return unknown();  // ${#A}, ${1}, ${!A}
        const Var* v = find(body.substr(0, n));
        std::string_view rest = body.substr(n);
        if (rest == "[@]" || rest == "[*]") {  // an array's elements are words, even in quotes
            if (v == nullptr) return unknown();
            if (b.text.empty()) b.started = false;  // "${EMPTY[@]}" is no word at all
            b.end_word();
            for (std::size_t k = 0; k < v->value.size() && spend(1); ++k) {
                if (v->value[k] == ' ' || v->value[k] == '\t' || v->value[k] == '\n') b.end_word();
                else b.add(v->value[k], v->lines[k]);
            }
            return;
        }
        if (rest.empty()) return put(v);
        const bool colon = rest[0] == ':';
        if (colon) rest.remove_prefix(1);
        if (rest.empty() || (rest[0] != '-' && rest[0] != '=' && rest[0] != '+')) return unknown();
        const char op = rest[0];
        const std::string_view word = rest.substr(1);
        const bool set = v != nullptr && !(colon && v->value.empty());
        if (op == '+') {
            if (!set) return;
            if (v->value.find(kUnknown) != std::string::npos) return unknown();
        } else if (set) {
            return put(v);
        }
        // The default (or alternative) word: quotes dropped, $ expanded one level deeper.
        if (depth >= kMaxNesting) return unknown();
        b.begin(line);
        const std::size_t start = b.text.size();
        for (std::size_t k = 0; k < word.size();) {
            if (word[k] == '$') expand(b, word, k, line, quoted, depth + 1);
            else if (word[k] == '"' || word[k] == '\'') ++k;
            else b.add(word[k++], line);
        }
        // ${A:=word} also sets A (`: "${TP:=8}"` is a common way to give a default).
        if (op == '=' && b.text.size() >= start) {
            const std::string name(body.substr(0, n));
            Word w{name + "=" + b.text.substr(start), line, std::vector<int>(name.size() + 1, line)};
            w.lines.insert(w.lines.end(), b.lines.begin() + static_cast<std::ptrdiff_t>(start), b.lines.end());
            assign(w);
        }
        return;
    }
    if (name_start(c)) {
        const std::size_t n = name_length(text.substr(at + 1));
        i = at + 1 + n;
        return put(find(text.substr(at + 1, n)));
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || std::string_view("@*#?$!-").find(c) != std::string_view::npos) {
        i = at + 2;
        return unknown();
    }
    b.add('$', line);
    ++i;
}

// A here-document's body as the shell hands it on: $VAR, ${VAR}, $((...)) expanded, \$ kept.
std::string Shell::expand_heredoc(std::string_view body, int line) {
    std::vector<Word> scratch;
    Builder b{scratch, {}, {}};
    for (std::size_t k = 0; k < body.size() && !exhausted_;) {
        const char c = body[k];
        if (c == '\\' && k + 1 < body.size() && (body[k + 1] == '$' || body[k + 1] == '`' || body[k + 1] == '\\'))
            b.add(body[k + 1], line), k += 2;
        else if (c == '$') expand(b, body, k, line, true, 0);
        else b.add(c, line), ++k;
    }
    if (b.overflow) return std::string(1, kUnknown);
    return b.text;
}

bool Shell::next(std::string_view text, std::size_t& pos, int& line, Command& out, int depth) {
    out.words.clear();
    out.writes.clear();
    out.heredoc.clear();
    out.line = line;
    Builder b{out.words, {}, {}};
    struct Heredoc { std::string delim; bool tabs, quoted; };  // <<-: tabs dropped; <<'EOF': not expanded
    std::vector<Heredoc> heredocs;
    auto finish = [&] {
        b.end_word();
        out.writes = b.target;
        if (b.overflow_words) exhausted_ = true;
        if (out.words.empty()) return false;
        if (!spend(kCommandWork)) return false;
        branches_.follow(out.words);
        if (out.words.empty() || branches_.skipping()) return out.words.clear(), false;
        // Assignments apply when the command is only assignments, or export/declare/... of them.
        const bool declares = is_declare(out.words[0].text);
        bool only = true;
        for (const Word& w : out.words) only = only && is_assignment(w.text);
        if (only || declares)
            for (const Word& w : out.words)
                if (is_assignment(w.text)) assign(w);
        return true;
    };
    auto skip_heredocs = [&] {
        // Only `cat`/`tee` write a file from their here-document; other bodies are skipped unread.
        std::string_view cmd = out.words.empty() ? std::string_view() : std::string_view(out.words[0].text);
        if (const std::size_t slash = cmd.rfind('/'); slash != std::string_view::npos) cmd.remove_prefix(slash + 1);
        bool first = cmd == "cat" || cmd == "tee";
        for (const auto& [delim, tabs, quoted] : heredocs) {
            std::string body;  // the first one's, for a config file the script writes
            while (pos < text.size()) {
                std::size_t end = text.find('\n', pos);
                if (end == std::string_view::npos) end = text.size();
                if (!spend(end - pos + 1)) return;
                std::string_view l = text.substr(pos, end - pos);
                pos = end + 1 > text.size() ? text.size() : end + 1;
                ++line;
                while (tabs && !l.empty() && l[0] == '\t') l.remove_prefix(1);
                if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
                if (l == delim) break;
                if (first && body.size() + l.size() < kMaxValueBytes) body.append(l).push_back('\n');
            }
            if (first) out.heredoc = quoted ? body : expand_heredoc(body, line);
            first = false;
        }
        heredocs.clear();
    };
    while (pos < text.size()) {
        if (!spend(1) || b.overflow_words) return exhausted_ = true, false;  // more words than kMaxWords: stop now
        const char c = text[pos];
        const char d = pos + 1 < text.size() ? text[pos + 1] : '\0';
        if (c == '\\') {
            if (d == '\n') ++line;
            else if (d != '\0') b.add(d, line);
            pos += 2;
        } else if (c == '\n' || c == ' ' || c == '\t' || c == '\r') {
            ++pos;
            if (b.array) {
                if (c == '\n') ++line;
                if (!b.text.empty() && b.text.back() != ' ') b.add(' ', line);
                continue;
            }
            b.end_word();
            if (c != '\n') continue;
            ++line;
            skip_heredocs();
            if (finish()) return true;
            out.line = line;
        } else if (c == '#' && (!b.started || (b.array && (b.text.empty() || b.text.back() == ' ')))) {
            while (pos < text.size() && text[pos] != '\n') ++pos;
        } else if (c == '(' && b.started && !b.array && b.text.back() == '=' && b.assigning()) {
            b.array = true;
            ++pos;
        } else if (c == ')' && b.array) {
            b.array = false;
            ++pos;
        } else if (c == ';' || c == '&' || c == '|' || c == '(' || c == ')') {
            ++pos;
            if ((c == '&' || c == '|') && d == c) ++pos;
            if (c == '&' && d == '>') continue;  // &> file: a redirection, read on
            b.end_word();
            if (finish()) return true;
            out.line = line;
        } else if (c == '\'') {
            const std::size_t end = text.find('\'', pos + 1);
            const std::size_t stop = end == std::string_view::npos ? text.size() : end;
            if (!spend(stop - pos)) return false;
            b.begin(line);  // '' is a word
            for (std::size_t k = pos + 1; k < stop; ++k) {
                b.add(text[k], line);
                if (text[k] == '\n') ++line;
            }
            pos = stop + 1;
        } else if (c == '"') {
            b.begin(line);
            ++pos;
            while (pos < text.size() && text[pos] != '"') {
                if (!spend(1)) return false;
                const char q = text[pos];
                const char n = pos + 1 < text.size() ? text[pos + 1] : '\0';
                if (q == '\\' && n == '\n') pos += 2, ++line;
                else if (q == '\\' && (n == '"' || n == '\\' || n == '$' || n == '`')) b.add(n, line), pos += 2;
                else if (q == '$') expand(b, text, pos, line, true, depth);
                else if (q == '`') {
                    const std::size_t end = text.find('`', pos + 1);
                    pos = end == std::string_view::npos ? text.size() : end + 1;
                    b.add(kUnknown, line);
                } else {
                    if (q == '\n') ++line;
                    b.add(q, line);
                    ++pos;
                }
            }
            ++pos;
        } else if (c == '$') {
            expand(b, text, pos, line, false, depth);
        } else if (c == '`') {
            const std::size_t end = text.find('`', pos + 1);
            pos = end == std::string_view::npos ? text.size() : end + 1;
            b.add(kUnknown, line);
        } else if (c == '<' || c == '>') {
            // 2>&1, > log, >> log, < in, <<EOF, <<< "text": none of it is an argument.
            bool fd = b.started && !b.text.empty();
            for (char x : b.text) fd = fd && std::isdigit(static_cast<unsigned char>(x));
            if (fd) b.text.clear(), b.lines.clear(), b.started = false;
            else b.end_word();
            b.output = c == '>' && d != '&';  // not 2>&1
            if (c == '<' && d == '<' && pos + 2 < text.size() && text[pos + 2] != '<') {
                pos += 2;
                const bool tabs = pos < text.size() && text[pos] == '-';
                if (tabs) ++pos;
                while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
                std::string delim;
                bool quoted = false;
                while (pos < text.size() && !std::isspace(static_cast<unsigned char>(text[pos])) &&
                       text[pos] != ';' && text[pos] != '&' && text[pos] != '|' && delim.size() < 256) {
                    if (text[pos] != '"' && text[pos] != '\'' && text[pos] != '\\') delim += text[pos];
                    else quoted = true;
                    ++pos;
                }
                if (heredocs.size() < 8) heredocs.push_back({delim, tabs, quoted});
                continue;
            }
            while (pos < text.size() && (text[pos] == '<' || text[pos] == '>' || text[pos] == '&' || text[pos] == '|'))
                ++pos;
            b.drop_next = true;
        } else {
            b.add(c, line);
            ++pos;
        }
    }
    return finish();
}

}  // namespace aif::detect
