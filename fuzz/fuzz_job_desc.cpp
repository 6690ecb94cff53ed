// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the job description adapter of lib/site — TRES strings (GPU count) and
// spank_job_env entries (--llm-* options) — through decide() on the demo site's snapshot.
// Input lines: "tres_per_node=...", "tres_per_job=...", "tres_per_task=...", "num_tasks=N", ...;
// every other line is a spank_job_env entry. decide() must never throw.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "site/decide.hpp"
#include "site/gpu_request.hpp"
#include "site/snapshot.hpp"
#include "site/spank_env.hpp"

#ifndef AIF_SRCDIR
#define AIF_SRCDIR "."
#endif

namespace {
std::uint32_t small(std::string_view v) { return static_cast<std::uint32_t>(std::strtoul(std::string(v).c_str(), nullptr, 10)); }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto snap = aif::site::load_snapshot(AIF_SRCDIR "/etc/slurm-demo/aifactory.conf", "");
    std::string_view text(reinterpret_cast<const char*>(data), size);
    aif::site::JobShape shape;
    std::vector<std::string> env;
    std::string partition;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        std::size_t eq = line.find('=');
        std::string_view key = line.substr(0, eq == std::string_view::npos ? 0 : eq);
        std::string_view value = eq == std::string_view::npos ? std::string_view{} : line.substr(eq + 1);
        if (key == "tres_per_node") shape.tres_per_node = value;
        else if (key == "tres_per_job") shape.tres_per_job = value;
        else if (key == "tres_per_task") shape.tres_per_task = value;
        else if (key == "tres_per_socket") shape.tres_per_socket = value;
        else if (key == "min_nodes") shape.min_nodes = small(value);
        else if (key == "num_tasks") shape.num_tasks = small(value);
        else if (key == "ntasks_per_node") shape.ntasks_per_node = small(value);
        else if (key == "sockets_per_node") shape.sockets_per_node = small(value);
        else if (key == "partition") partition = value;
        else env.emplace_back(line);
    }
    std::vector<const char*> ptrs;
    for (const auto& e : env) ptrs.push_back(e.c_str());
    aif::site::Submission sub;
    sub.options = aif::site::read_spank_env(ptrs.data(), ptrs.size());
    sub.gpus = aif::site::count_gpus(shape);
    sub.partition = partition;
    sub.user = "fuzz";
    aif::site::Decision d = aif::site::decide(sub, *snap);
    for (const auto& l : d.lines)
        if (l.size() > aif::site::kMaxLine * 4) std::abort();  // wrap() must bound what users see
    // The log line is printable and bounded: user text can neither forge nor flood slurmctld.log.
    if (d.log.size() > aif::site::kMaxLog + 3) std::abort();
    for (char c : d.log)
        if (c < 0x20 || c > 0x7e) std::abort();
    // What slurmctld keeps of a request is bounded whatever the request: a few options, a digest.
    if (sub.options.values.size() > aif::site::kMaxOptionEntries) std::abort();
    if (aif::site::DecisionCache::key(sub).size() > 64) std::abort();
    return 0;
}
