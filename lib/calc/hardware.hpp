// SPDX-License-Identifier: GPL-2.0-or-later
// Hardware catalogue: GPU models and the partitions of European systems (etc/hardware.json).
#pragma once
#include <string>
#include <vector>

namespace aif::calc {

struct GpuModel {
    std::string id, name, vendor;
    double memory_bytes = 0;  // device total as the runtime reports it
    double bf16_flops = 0;    // dense peak, FLOP/s
    double fp8_flops = 0;     // dense peak, 0 if unsupported
    // Its FP8 GEMMs take non-TN layouts (compute capability 10.x, 11.x, 13+: datacenter Blackwell), so
    // TransformerEngine keeps no transposed copy of a per-tensor fp8 weight (calc/memory.cpp).
    bool fp8_gemm_non_tn = false;
    double tdp_w = 0;
    double mfu_prior = 0.40;
    std::string note;
};

struct Partition {
    std::string id, system, site;
    std::vector<std::string> slurm_partitions;
    std::string gpu_id;
    int gpus_per_node = 0;
    long nodes = 0;
    std::string note;
};

class HardwareCatalogue {
public:
    // Later files replace same-id entries of earlier ones (site overrides).
    static HardwareCatalogue load(const std::vector<std::string>& files);
    void merge_file(const std::string& path);

    const GpuModel* gpu(const std::string& id) const;
    const Partition* partition(const std::string& id) const;
    // Same, but throws InputError with the closest ids suggested.
    const GpuModel& require_gpu(const std::string& id) const;
    const Partition& require_partition(const std::string& id) const;
    const GpuModel& gpu_of(const Partition& p) const { return require_gpu(p.gpu_id); }

    const std::vector<GpuModel>& gpus() const { return gpus_; }
    const std::vector<Partition>& partitions() const { return partitions_; }

private:
    std::vector<GpuModel> gpus_;
    std::vector<Partition> partitions_;
};

}  // namespace aif::calc
