// SPDX-License-Identifier: GPL-2.0-or-later
// Where the test topologies are, found from the environment (make check sets AIF_SRCDIR; no
// source path is compiled in). synthetic_* files are this project's (tests/topologies/); the
// real nodes' XML are other projects' files kept out of the tree, in shared/data/topologies
// beside the source tree (AIF_TOPOLOGIES overrides). Empty when the environment does not say.
#pragma once
#include <cstdlib>
#include <string>

inline std::string topology_file(const std::string& name) {
    const char* src = std::getenv("AIF_SRCDIR");
    if (name.rfind("synthetic_", 0) == 0) return src && *src ? std::string(src) + "/tests/topologies/" + name : "";
    if (const char* dir = std::getenv("AIF_TOPOLOGIES"); dir && *dir) return std::string(dir) + "/" + name;
    return src && *src ? std::string(src) + "/../shared/data/topologies/" + name : "";
}
