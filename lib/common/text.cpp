// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/error.hpp"

namespace aif {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        std::size_t end = s.find(sep, start);
        if (end == std::string_view::npos) end = s.size();
        std::string_view part = trim(s.substr(start, end - start));
        if (!part.empty()) out.emplace_back(part);
        start = end + 1;
    }
    return out;
}

std::string printable(std::string_view s, std::size_t max) {
    std::string out;
    for (char c : s.substr(0, max)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    if (s.size() > max) out += "...";
    return out;
}

static std::string quoted(std::string_view s) { return "'" + printable(s) + "'"; }

long long parse_int(std::string_view s, std::string_view what, long long lo, long long hi) {
    std::string str(trim(s));
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(str.c_str(), &end, 10);
    if (str.empty() || *end != '\0' || errno == ERANGE)
        throw InputError(std::string(what) + ": " + quoted(s) + " is not a whole number");
    if (v < lo || v > hi)
        throw InputError(std::string(what) + ": " + std::to_string(v) + " is out of range (" +
                         std::to_string(lo) + ".." + std::to_string(hi) + ")");
    return v;
}

double parse_double(std::string_view s, std::string_view what, double lo, double hi) {
    std::string str(trim(s));
    errno = 0;
    char* end = nullptr;
    double v = std::strtod(str.c_str(), &end);
    if (str.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
        throw InputError(std::string(what) + ": " + quoted(s) + " is not a number");
    if (v < lo || v > hi)
        throw InputError(std::string(what) + ": " + str + " is out of range (" + fmt_fixed(lo, 2) +
                         ".." + fmt_fixed(hi, 2) + ")");
    return v;
}

double parse_count(std::string_view s, std::string_view what) {
    std::string str(trim(s));
    double mult = 1;
    if (!str.empty()) {
        switch (std::toupper(static_cast<unsigned char>(str.back()))) {
            case 'K': mult = 1e3; break;
            case 'M': mult = 1e6; break;
            case 'B': case 'G': mult = 1e9; break;
            case 'T': mult = 1e12; break;
            case 'P': mult = 1e15; break;
            default: break;
        }
        if (mult != 1) str.pop_back();
    }
    errno = 0;
    char* end = nullptr;
    double v = std::strtod(str.c_str(), &end);
    if (str.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v < 0)
        throw InputError(std::string(what) + ": " + quoted(s) +
                         " is not a count (examples: 4096, 8k, 300B, 2T)");
    return v * mult;
}

bool parse_bool(std::string_view s, std::string_view what) {
    std::string v = lower(trim(s));
    if (v == "on" || v == "yes" || v == "true" || v == "1") return true;
    if (v == "off" || v == "no" || v == "false" || v == "0") return false;
    throw InputError(std::string(what) + ": " + quoted(s) + " must be on or off");
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            std::size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                       std::tolower(static_cast<unsigned char>(b[j - 1]))
                                   ? 0
                                   : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
            diag = up;
        }
    }
    return row[b.size()];
}

std::vector<std::string> closest(std::string_view word, const std::vector<std::string>& candidates,
                                 std::size_t n) {
    std::vector<std::pair<std::size_t, std::string>> scored;
    if (word.size() > kMaxSuggestWord) return {};
    std::string w = lower(word);
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(w, c);
        if (w.size() >= 3 && c.find(w) != std::string::npos) d = std::min<std::size_t>(d, 1);
        if (d <= std::max<std::size_t>(3, w.size() / 2)) scored.emplace_back(d, c);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && i < n; ++i) out.push_back(scored[i].second);
    return out;
}

std::string fmt_fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string fmt_gib(double bytes, int decimals) { return fmt_gib_value(bytes / GiB, decimals); }

std::string fmt_gib_value(double gib, int decimals) {
    if (!std::isfinite(gib) || decimals != 1) return fmt_fixed(gib, decimals);
    // Records keep GiB to 0.01; one decimal is rounded from that figure (half away from zero),
    // so the figure sbatch prints and the one a report prints from the record are the same.
    const long long hundredths = std::llround(gib * 100);
    const long long tenths = (hundredths + (hundredths < 0 ? -5 : 5)) / 10;
    return fmt_fixed(static_cast<double>(tenths) / 10, 1);
}

std::string fmt_count(double n) {
    const char* suffix[] = {"", "K", "M", "B", "T"};
    int i = 0;
    while (n >= 1000 && i < 4) {
        n /= 1000;
        ++i;
    }
    return fmt_fixed(n, n < 10 && i > 0 ? 2 : (n < 100 && i > 0 ? 1 : 0)) + suffix[i];
}

std::string fmt_duration_hours(double hours) {
    if (!std::isfinite(hours)) return "unknown";
    if (hours * 60 < 1) return "under 1 min";
    if (hours < 1) return fmt_fixed(hours * 60, 0) + " min";
    if (hours < 48) return fmt_fixed(hours, 1) + " h";
    const double days = hours / 24;
    if (days < 10) return fmt_fixed(days, 1) + " days";
    if (days < 365) return fmt_fixed(days, 0) + " days";
    const double years = days / 365.25;
    return (years < 100 ? fmt_fixed(years, 1) : fmt_count(years)) + " years";
}

std::string fmt_gpu_hours(double h) {
    if (!std::isfinite(h)) return "?";
    if (h < 0.1) return "<0.1";
    if (h < 10) return fmt_fixed(h, 1);
    return fmt_count(h);
}

std::string html_escape(std::string_view s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            case '\'': o += "&#39;"; break;
            default: o += c;
        }
    }
    return o;
}

}  // namespace aif
