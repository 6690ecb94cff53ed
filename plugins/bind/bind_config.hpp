// SPDX-License-Identifier: GPL-2.0-or-later
// aifactory_bind's settings: the site's (plugstack.conf) and the user's (--llm-bind, or
// AIFACTORY_BIND in the job's environment).
#pragma once
#include <optional>
#include <string>

#include "topo/topo.hpp"

namespace aif::bind {

inline constexpr const char* kName = "aifactory_bind";
inline constexpr const char* kDefaultCache = "/run/aifactory/topology.xml";

struct Config {
    topo::Policy policy = topo::Policy::closest;
    bool verbose = false;
    std::string topology;               // site XML, empty: none
    std::string cache = kDefaultCache;  // empty: no cache
    bool smt = false, nic = true, omp = true, mem = true;
};

struct UserChoice {
    std::optional<topo::Policy> policy;
    bool verbose = false;
    bool smt = false;
};

// "closest", "spread,verbose", "verbose", "none", "closest,smt"; throws InputError naming `what`.
UserChoice parse_choice(const std::string& s, const std::string& what);

// plugstack.conf: default=closest|spread|none[,verbose][,smt] verbose topology=FILE.xml
// cache=FILE.xml|none smt= nic= omp= mem= (on/off). Bad words are logged and left out.
Config parse_config(int ac, char** av);

}  // namespace aif::bind
