// SPDX-License-Identifier: GPL-2.0-or-later
// The node's cumulative energy: HPE Cray EX pm_counters ("<joules> J <timestamp> us", the whole
// node), else the top-level RAPL package zones (intel-rapl:N, microjoules, wrapping at
// max_energy_range_uj; their dram and core sub-zones are parts of the package and left out, and
// so is a psys zone, which would count the packages twice). Every read is a bounded file read
// (sysfs files report 4096 bytes). Since Linux 5.10 RAPL counters are readable by root only:
// read from slurmstepd's root context.
#include <dirent.h>

#include <cstdlib>
#include <string>

#include "common/files.hpp"
#include "gpu/gpu.hpp"

namespace aif::gpu {
namespace {

constexpr std::size_t kSysfsMax = 4096;

std::optional<double> read_number(const std::string& path) {
    auto text = try_read_file(path, kSysfsMax);
    if (!text) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(text->c_str(), &end);
    if (end == text->c_str() || !(v >= 0)) return std::nullopt;
    return v;
}

std::optional<NodeEnergy> read_pm_counters(const std::string& root) {
    auto j = read_number(root + "/sys/cray/pm_counters/energy");
    if (!j) return std::nullopt;
    NodeEnergy e;
    e.source = "pm_counters";
    e.zones.emplace_back(*j, 0);
    return e;
}

std::optional<NodeEnergy> read_rapl(const std::string& root) {
    const std::string dir = root + "/sys/class/powercap";
    DIR* d = opendir(dir.c_str());
    if (!d) return std::nullopt;
    std::vector<std::string> zones;
    while (dirent* ent = readdir(d)) {
        const std::string name = ent->d_name;
        // "intel-rapl:0", not "intel-rapl:0:1" (a sub-zone) nor "intel-rapl" (the control type).
        if (name.rfind("intel-rapl:", 0) == 0 && name.find(':') == name.rfind(':') && zones.size() < 64)
            zones.push_back(name);
    }
    closedir(d);
    NodeEnergy e;
    e.source = "rapl";
    for (const auto& z : zones) {
        auto kind = try_read_file(dir + "/" + z + "/name", kSysfsMax);
        if (!kind || kind->rfind("package", 0) != 0) continue;
        auto uj = read_number(dir + "/" + z + "/energy_uj");
        if (!uj) return std::nullopt;  // a package we cannot read: the node total would be wrong
        auto range = read_number(dir + "/" + z + "/max_energy_range_uj");
        e.zones.emplace_back(*uj / 1e6, range.value_or(0) / 1e6);
    }
    if (e.zones.empty()) return std::nullopt;
    return e;
}

}  // namespace

std::optional<NodeEnergy> read_node_energy(const std::string& root) {
    try {
        if (auto e = read_pm_counters(root)) return e;
        return read_rapl(root);
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<double> node_energy_between(const NodeEnergy& a, const NodeEnergy& b) {
    if (a.source != b.source || a.zones.size() != b.zones.size()) return std::nullopt;
    double total = 0;
    for (std::size_t i = 0; i < a.zones.size(); ++i) {
        const auto [start, range] = a.zones[i];
        const double end = b.zones[i].first;
        if (end >= start) total += end - start;
        else if (range > 0 && start <= range) total += range - start + end;  // wrapped once
        else return std::nullopt;  // reset (reboot, pm_counters restart): not measurable
    }
    return total;
}

}  // namespace aif::gpu
