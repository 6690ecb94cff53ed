// SPDX-License-Identifier: GPL-2.0-or-later
// Small string helpers shared by the parsers (options, config files, catalogues).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aif {

std::string_view trim(std::string_view s);
std::string lower(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);  // trims each part, drops empty ones

// Integer in [lo, hi]; throws InputError naming `what` otherwise.
long long parse_int(std::string_view s, std::string_view what, long long lo, long long hi);
double parse_double(std::string_view s, std::string_view what, double lo, double hi);
// Counts with an optional SI suffix: "2T", "300B", "1.5M", "4096", "8k".
double parse_count(std::string_view s, std::string_view what);
// "on/off", "yes/no", "true/false", "1/0".
bool parse_bool(std::string_view s, std::string_view what);

// The one way user text reaches a message or a log line: at most `max` characters, every
// non-printable byte (newline, escape, NUL, non-ASCII) as '?', "..." when cut. A user can then
// neither forge a log line nor make a message or log line larger than `max` + 3.
std::string printable(std::string_view s, std::size_t max = 40);

// Text for HTML, SVG and XML, in element content and in either kind of quoted attribute.
std::string html_escape(std::string_view s);

// Levenshtein distance, for "did you mean" suggestions. O(|a|·|b|): callers bound the input.
std::size_t edit_distance(std::string_view a, std::string_view b);
// Words longer than this get no suggestion (no option, key or model name is anywhere near it);
// it bounds closest() to microseconds whatever the user typed.
inline constexpr std::size_t kMaxSuggestWord = 64;
// Up to `n` candidates closest to `word` (by edit distance, then prefix match).
std::vector<std::string> closest(std::string_view word, const std::vector<std::string>& candidates,
                                 std::size_t n = 3);

// Human formatting.
// GiB figures shown to people: one rounding rule everywhere. One decimal is rounded from the
// 0.01 GiB figure records keep (60.149 → 60.15 → "60.2"), so sbatch and reports agree.
std::string fmt_gib(double bytes, int decimals = 1);      // "41.3" (no unit)
std::string fmt_gib_value(double gib, int decimals = 1);  // same, from a GiB figure
std::string fmt_count(double n);                      // "70.6B", "8.03B", "125M"
// "under 1 min", "41 min", "5.1 h", "3.2 days", "83 days", "5.4 years".
std::string fmt_duration_hours(double hours);
std::string fmt_gpu_hours(double hours);              // "<0.1", "2.4", "20.4", "160K"
std::string fmt_fixed(double v, int decimals);

constexpr double GiB = 1024.0 * 1024.0 * 1024.0;

}  // namespace aif
