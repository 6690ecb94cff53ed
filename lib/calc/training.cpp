// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/training.hpp"

namespace aif::calc {

int TrainingSetup::shard_stage() const {
    if (fsdp != Fsdp::Off) return 3;
    if (zero > 0) return zero;
    return dist_opt ? 1 : 0;
}

std::string describe(const Layout& l) {
    std::string s;
    auto add = [&](const char* k, int v) {
        if (v == 1) return;
        if (!s.empty()) s += ',';
        s += k;
        s += '=';
        s += std::to_string(v);
    };
    add("tp", l.tp);
    add("pp", l.pp);
    add("vpp", l.vpp);
    add("cp", l.cp);
    add("ep", l.ep);
    if (l.sp && l.tp > 1) s += ",sp=on";
    return s.empty() ? "dp only" : s;
}

}  // namespace aif::calc
