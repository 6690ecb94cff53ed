// SPDX-License-Identifier: GPL-2.0-or-later
// Internal to lib/detect: the options of a launch line, and how a framework reader turns them into
// a Detection (values it read, where, and what is missing).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "detect/detect.hpp"
#include "detect/shell.hpp"

namespace aif::detect {

struct Option {
    std::string name;  // "--num-layers"
    Word value;        // empty text for a flag
    int line = 0;      // the option's own line
};

// "--name value" and "--name=value" after the training program; a later one wins.
std::vector<Option> parse_options(const std::vector<Word>& words, std::size_t from);

class Reading {
public:
    Reading(Detection& d, const std::vector<Option>& opts) : d_(d), opts_(opts) {}
    const Option* find(std::string_view name) const;
    // A whole number in [lo, hi]: 0 when the option is absent, -1 (and a note under `key`) when
    // its value cannot be read from the script.
    long number(std::string_view name, std::string_view key, long lo = 1, long hi = 1'000'000'000);
    // The option's value (nullptr when absent or not in the script; the latter is noted).
    const std::string* text(std::string_view name, std::string_view key);
    // A flag that is given and not followed by False/false/0/no.
    bool flag(std::string_view name);
    void set(std::string key, std::string value, int line, std::string from);
    void miss(std::string what) { d_.missing.push_back(std::move(what)); }
    int line_of(std::string_view name) const;

private:
    Detection& d_;
    const std::vector<Option>& opts_;
    void used(const Option& o);
};

void read_megatron(Reading& r);
void read_hf(Reading& r, bool accelerate_config);
bool is_hf_trainer(const std::vector<Option>& opts);

}  // namespace aif::detect
