// Minimal long-option scanner: `--key value`, `--key=value`, and value-less flags.
#pragma once
#include <set>
#include <string>
#include <vector>

namespace aif::cli {

struct Arg {
    std::string key;    // without the leading dashes
    std::string value;  // empty for flags
};

// Throws InputError for a stray positional word or a missing value.
std::vector<Arg> scan_args(int argc, char** argv, const std::set<std::string>& flags_without_value,
                           const std::set<std::string>& flags_with_optional_value = {});

}  // namespace aif::cli
