// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/hardware.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::calc {

template <class T>
static void upsert(std::vector<T>& list, T item) {
    auto it = std::find_if(list.begin(), list.end(), [&](const T& x) { return x.id == item.id; });
    if (it != list.end())
        *it = std::move(item);
    else
        list.push_back(std::move(item));
}

static GpuModel parse_gpu(const json_t* g, const std::string& where) {
    GpuModel m;
    m.id = json::require_string(g, "id", where);
    const std::string at = where + " gpu '" + m.id + "'";
    m.name = json::string(g, "name", at).value_or(m.id);
    m.vendor = json::string(g, "vendor", at).value_or("");
    double gib = json::number(g, "memory_gib", at).value_or(0);
    if (gib <= 0 || gib > 4096) throw InputError(at + ": 'memory_gib' must be between 0 and 4096");
    m.memory_bytes = gib * GiB;
    double bf16 = json::number(g, "bf16_tflops", at).value_or(0);
    if (bf16 <= 0) throw InputError(at + ": 'bf16_tflops' must be positive");
    m.bf16_flops = bf16 * 1e12;
    m.fp8_flops = json::number(g, "fp8_tflops", at).value_or(0) * 1e12;
    if (const json_t* v = json_object_get(g, "fp8_gemm_non_tn")) {
        if (!json_is_boolean(v)) throw InputError(at + ": 'fp8_gemm_non_tn' must be true or false");
        m.fp8_gemm_non_tn = json_is_true(v);
    }
    m.tdp_w = json::number(g, "tdp_w", at).value_or(0);
    m.mfu_prior = json::number(g, "mfu_prior", at).value_or(0.40);
    if (m.mfu_prior <= 0 || m.mfu_prior > 1) throw InputError(at + ": 'mfu_prior' must be in (0, 1]");
    m.note = json::string(g, "note", at).value_or("");
    return m;
}

static Partition parse_partition(const json_t* p, const std::string& where) {
    Partition part;
    part.id = json::require_string(p, "id", where);
    const std::string at = where + " partition '" + part.id + "'";
    part.system = json::string(p, "system", at).value_or(part.id);
    part.site = json::string(p, "site", at).value_or("");
    part.gpu_id = json::require_string(p, "gpu", at);
    part.gpus_per_node = static_cast<int>(json::require_integer(p, "gpus_per_node", at));
    if (part.gpus_per_node < 1 || part.gpus_per_node > 64)
        throw InputError(at + ": 'gpus_per_node' must be between 1 and 64");
    part.nodes = json::integer(p, "nodes", at).value_or(0);
    part.note = json::string(p, "note", at).value_or("");
    if (const json_t* names = json_object_get(p, "slurm_partitions"); json_is_array(names)) {
        std::size_t i;
        json_t* n;
        json_array_foreach(names, i, n) if (json_is_string(n)) part.slurm_partitions.emplace_back(json_string_value(n));
    }
    return part;
}

void HardwareCatalogue::merge_file(const std::string& path) {
    json::Ptr root = json::load_file(path);
    if (const json_t* gpus = json_object_get(root.get(), "gpus"); json_is_array(gpus)) {
        std::size_t i;
        json_t* g;
        json_array_foreach(gpus, i, g) upsert(gpus_, parse_gpu(g, path));
    }
    if (const json_t* parts = json_object_get(root.get(), "partitions"); json_is_array(parts)) {
        std::size_t i;
        json_t* p;
        json_array_foreach(parts, i, p) upsert(partitions_, parse_partition(p, path));
    }
    for (const auto& p : partitions_)
        if (!gpu(p.gpu_id))
            throw InputError(path + ": partition '" + p.id + "' names unknown gpu '" + p.gpu_id + "'");
}

HardwareCatalogue HardwareCatalogue::load(const std::vector<std::string>& files) {
    HardwareCatalogue c;
    for (const auto& f : files) c.merge_file(f);
    return c;
}

const GpuModel* HardwareCatalogue::gpu(const std::string& id) const {
    for (const auto& g : gpus_)
        if (g.id == id) return &g;
    return nullptr;
}

const Partition* HardwareCatalogue::partition(const std::string& id) const {
    for (const auto& p : partitions_)
        if (p.id == id) return &p;
    return nullptr;
}

template <class T>
static std::string suggestion(const std::string& id, const std::vector<T>& list) {
    std::vector<std::string> ids;
    for (const auto& x : list) ids.push_back(x.id);
    auto near = closest(id, ids);
    if (near.empty()) return "";
    std::string s = " (closest:";
    for (std::size_t i = 0; i < near.size(); ++i) s += (i ? ", " : " ") + near[i];
    return s + ")";
}

const GpuModel& HardwareCatalogue::require_gpu(const std::string& id) const {
    if (const GpuModel* g = gpu(id)) return *g;
    throw InputError("unknown GPU model '" + printable(id) + "'" + suggestion(id, gpus_) +
                     "; `aifactory systems` lists them");
}

const Partition& HardwareCatalogue::require_partition(const std::string& id) const {
    if (const Partition* p = partition(id)) return *p;
    throw InputError("unknown system '" + printable(id) + "'" + suggestion(id, partitions_) +
                     "; `aifactory systems` lists them");
}

}  // namespace aif::calc
