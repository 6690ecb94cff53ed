// SPDX-License-Identifier: GPL-2.0-or-later
// The `key=value,...` architecture syntax of --arch, the model catalogue and forwarded HF configs.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "calc/model.hpp"

namespace aif::calc {

// Sets one field; throws InputError "<where>: ..." for unknown keys or bad values.
void set_arch_key(Architecture& a, std::string_view key, std::string_view value, std::string_view where);
const std::vector<std::string>& arch_keys();

// Applies `hidden=4096,layers=32,...` on top of `base` (overrides or a whole architecture).
Architecture parse_arch(std::string_view spec, Architecture base = {});
// Compact form of every non-default field; parse_arch(format_arch(a)) == a.
std::string format_arch(const Architecture& a);

}  // namespace aif::calc
