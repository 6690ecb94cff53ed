// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugins/bind/bind_config.hpp"

extern "C" {
#include <slurm/spank.h>
}

#include "common/common.hpp"
#include "plugins/common/plugstack_args.hpp"

namespace aif::bind {
namespace {

bool on_off(const std::string& v, const std::string& key) {
    if (v == "on" || v == "yes" || v == "1") return true;
    if (v == "off" || v == "no" || v == "0") return false;
    throw InputError(key + "=" + v + ": expected on or off");
}

}  // namespace

UserChoice parse_choice(const std::string& s, const std::string& what) {
    UserChoice c;
    auto parts = split(s, ',');
    if (parts.empty()) throw InputError(what + ": empty value (closest, spread, none, verbose, smt)");
    for (const auto& p : parts) {
        std::string v = lower(p);
        if (v == "verbose" || v == "v")
            c.verbose = true;
        else if (v == "smt")
            c.smt = true;
        else if (v == "closest" || v == "spread" || v == "none")
            c.policy = topo::parse_policy(v, what);
        else
            throw InputError(what + ": '" + p + "' is not one of closest, spread, none, verbose, smt");
    }
    return c;
}

Config parse_config(int ac, char** av) {
    Config cfg;
    plugin::PlugstackArgs args(kName, ac, av, {"default", "topology", "cache", "smt", "nic", "omp", "mem"},
                               {"verbose"}, [](const std::string& m) { slurm_error("%s", m.c_str()); });
    cfg.verbose = args.flag("verbose");
    args.use("default", [&](const std::string& v) {
        UserChoice c = parse_choice(v, "default");
        if (c.policy) cfg.policy = *c.policy;
        cfg.verbose = cfg.verbose || c.verbose;
        cfg.smt = cfg.smt || c.smt;
    });
    args.use("topology", [&](const std::string& v) { cfg.topology = v; });
    args.use("cache", [&](const std::string& v) { cfg.cache = v == "none" ? "" : v; });
    args.use("smt", [&](const std::string& v) { cfg.smt = on_off(v, "smt"); });
    args.use("nic", [&](const std::string& v) { cfg.nic = on_off(v, "nic"); });
    args.use("omp", [&](const std::string& v) { cfg.omp = on_off(v, "omp"); });
    args.use("mem", [&](const std::string& v) { cfg.mem = on_off(v, "mem"); });
    return cfg;
}

}  // namespace aif::bind
