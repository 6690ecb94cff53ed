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
    std::string name;  // "--num-layers", "model.micro_batch_size" (a Hydra/OmegaConf override)
    Word value;        // empty text for a flag
    int line = 0;      // the option's own line
    std::string file;  // the config file it was read from at sbatch time ("": the script)
};

struct Args {
    std::vector<Option> options;
    std::vector<Word> positionals;  // words that are neither options nor their values
};
// "--name value", "--name=value" and "key=value" (Hydra, OmegaConf) after the training program;
// a later one wins.
Args parse_args(const std::vector<Word>& words, std::size_t from);

// Puts the settings read from a config file of `kind` before `opts` (the command line wins), each
// named `prefix` + its key: "toml:training.seq_len" with prefix "--" is "--training.seq_len".
void add_hints(std::vector<Option>& opts, const Hints* hints, std::string_view kind, std::string_view prefix,
               const std::string& file);
// The value of `name` in a config file of `kind` the script names ("" when none).
const ConfigFile* config_of(const Detection& d, std::string_view kind);

// "meta-llama/Meta-Llama-3.1-8B" → "llama-3.1-8b": the name the model catalogue knows it by
// (the organisation, "meta-" and "-hf" dropped, lower case); "" when it is a local path.
std::string catalogue_name(std::string_view hf_id);

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
    // set() with the line and source of option `name` ("file: key" when a config file gave it).
    void set_from(std::string key, std::string value, std::string_view name);
    void miss(std::string what) { d_.missing.push_back(std::move(what)); }
    int line_of(std::string_view name) const;
    // An absent setting: the framework's default (`value`, said to come from `source`), or, when
    // a config file that was not read names it, a missing entry (`value` "": no default).
    void absent(std::string key, std::string value, std::string_view what, std::string_view source);
    // The config file that may set what the command line does not, and that was not read.
    const ConfigFile* unread = nullptr;
    Detection& detection() { return d_; }

private:
    Detection& d_;
    const std::vector<Option>& opts_;
    void used(const Option& o);
};

void read_megatron(Reading& r);
void read_hf(Reading& r, bool accelerate_config);
bool is_hf_trainer(const std::vector<Option>& opts);
void read_torchtitan(Reading& r);
void read_litgpt(Reading& r, std::string_view command, const std::vector<Word>& positionals);
void read_axolotl(Reading& r);
void read_foundry(Reading& r);
// NeMo's Hydra overrides, in Megatron's terms, read by read_megatron.
void read_nemo(Detection& d, const std::vector<Option>& opts, const std::vector<Word>& positionals, const Hints* hints);
// The DeepSpeed JSON's ZeRO stage, batch and precision ("ds:" options), where a reader found one.
void read_deepspeed_config(Reading& r, bool set_batch);

}  // namespace aif::detect
