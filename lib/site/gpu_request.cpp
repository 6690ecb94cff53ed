// SPDX-License-Identifier: GPL-2.0-or-later
#include "site/gpu_request.hpp"

#include <algorithm>
#include <charconv>

#include "common/text.hpp"

namespace aif::site {

namespace {

// Far beyond any machine; requests above it are absurd and are held there so that products of
// counts, nodes and tasks cannot overflow (a fuzzer found 8e18 GPUs x 2 nodes).
constexpr long kMaxGpus = 1L << 24;

long capped_product(long a, long b) {
    long out = 0;
    if (__builtin_mul_overflow(a, b, &out) || out > kMaxGpus) return kMaxGpus;
    return out;
}

// Count of one GPU entry; -1 when it is not a GPU entry. Slurm writes the count after a colon
// ("gpu:a100:2", "gres/gpu:2", 22.05 to 23.02 clients) or, in TRES form, after '=' ("gres/gpu=1",
// "gres/gpu:a100=2": tres_per_task from 23.11 clients); "gpu" or "gpu:a100" alone mean 1.
long gpu_entry_count(std::string_view entry) {
    for (std::string_view prefix : {"gres:", "gres/"})
        if (entry.substr(0, prefix.size()) == prefix) entry.remove_prefix(prefix.size());
    if (entry.substr(0, 3) != "gpu") return -1;
    entry.remove_prefix(3);
    if (entry.empty()) return 1;
    if (entry[0] != ':' && entry[0] != '=') return -1;  // "gpus..." or another name starting with gpu
    const auto sep = entry.find('=') != std::string_view::npos ? entry.rfind('=') : entry.rfind(':');
    std::string_view last = entry.substr(sep + 1);
    long n = 0;
    const auto [ptr, ec] = std::from_chars(last.data(), last.data() + last.size(), n);
    if (ec != std::errc() || ptr != last.data() + last.size())
        return sep == 0 && entry[0] == ':' ? 1 : -1;  // "gpu:a100" has a type but no count: 1
    // Suffixes like "2k" are not used for GPUs; a plain number is the count.
    return std::min(n, kMaxGpus);
}

}  // namespace

long gpus_in_tres(std::string_view tres) {
    long total = -1;
    for (const auto& entry : split(tres, ',')) {
        const long n = gpu_entry_count(entry);
        if (n < 0) continue;
        total = std::min(kMaxGpus, (total < 0 ? 0 : total) + n);
    }
    return total;
}

GpuRequest count_gpus(const JobShape& j) {
    GpuRequest r;
    r.nodes = j.min_nodes;
    const long nodes = std::max<long>(1, r.nodes);
    long tasks = j.num_tasks;
    if (tasks == 0 && j.ntasks_per_node > 0) tasks = capped_product(j.ntasks_per_node, nodes);
    if (tasks == 0) tasks = nodes;  // Slurm's default: one task per node

    long best = 0;
    if (const long n = gpus_in_tres(j.tres_per_job); n > 0) best = std::max(best, n);
    if (const long n = gpus_in_tres(j.tres_per_node); n > 0) best = std::max(best, capped_product(n, nodes));
    if (const long n = gpus_in_tres(j.tres_per_task); n > 0) best = std::max(best, capped_product(n, tasks));
    if (const long n = gpus_in_tres(j.tres_per_socket); n > 0)
        best = std::max(best, capped_product(capped_product(n, std::max<long>(1, j.sockets_per_node)), nodes));
    r.gpus = best;
    return r;
}

}  // namespace aif::site
