// SPDX-License-Identifier: GPL-2.0-or-later
// The config files a launch line names (ConfigFile), turned into the Hints read_script takes: a
// bounded reader of the subset of TOML and YAML that training configs use, JSON through jansson,
// and the one compact form the hints travel in from sbatch to job_submit. No I/O: the SPANK
// plugin reads the files (as the user, at sbatch time) and hands their text here.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detect/detect.hpp"

namespace aif::detect {

// Larger files are not read (real configs are a few KiB).
inline constexpr std::size_t kMaxConfigBytes = 256u << 10;
// The encoded hints fit one spank_job_env entry (site::kMaxOptionValueBytes is 4096).
inline constexpr std::size_t kMaxHintsBytes = 3072;
inline constexpr std::size_t kMaxHintValueBytes = 128;

// "key.path" → scalar text, in file order, for the keys the readers use (wanted()).
// Throws InputError "<name>:<line>: <why>" for text that is not the format.
using Flat = std::vector<std::pair<std::string, std::string>>;
Flat flatten_toml(std::string_view text, std::string_view name);
Flat flatten_yaml(std::string_view text, std::string_view name);
Flat flatten_json(std::string_view text, std::string_view name);
// The reader for a file of `kind` ("toml", "ds" is JSON, "yaml").
Flat flatten(std::string_view kind, std::string_view text, std::string_view name);

// Whether a setting of a file of `kind` ("toml", "ds", "yaml") is one a reader uses.
bool wanted(std::string_view kind, std::string_view key);

// Adds a file's settings (only wanted keys with plain values) to `hints`.
void add_config(Hints& hints, std::string_view kind, const Flat& settings);

// "read=toml,ds;toml:training.seq_len=8192;..." and back. decode() is what job_submit runs on
// text any client may send: bounded, and it keeps only entries encode() could have written.
std::string encode(const Hints& hints);
Hints decode(std::string_view text);

}  // namespace aif::detect
