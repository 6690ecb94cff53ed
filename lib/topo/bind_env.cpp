// SPDX-License-Identifier: GPL-2.0-or-later
// A task plan as environment variables (see bind_env.hpp).
#include "topo/bind_env.hpp"

#include <algorithm>
#include <cctype>

#include "common/error.hpp"
#include "common/text.hpp"

namespace aif::topo {

int visible_number(int gpu_index, const std::vector<int>& numbering) {
    if (numbering.empty()) return gpu_index;
    auto it = std::find(numbering.begin(), numbering.end(), gpu_index);
    return it == numbering.end() ? -1 : static_cast<int>(it - numbering.begin());
}

std::vector<int> step_numbering(const std::string& slurm_gpus, const std::string& visible) {
    std::vector<int> order, seen;
    try {
        for (const auto& p : split(slurm_gpus, ','))
            for (int i : parse_list(p, "SLURM_STEP_GPUS")) order.push_back(i);
        for (const auto& p : split(visible, ','))
            seen.push_back(static_cast<int>(parse_int(p, "CUDA_VISIBLE_DEVICES", 0, 1 << 20)));
    } catch (const InputError&) {
        return {};  // UUIDs or other forms: leave the node numbering
    }
    if (seen.empty() || seen.size() != order.size() || seen == order) return {};
    for (std::size_t i = 0; i < seen.size(); ++i)
        if (seen[i] != static_cast<int>(i)) return {};
    return order;
}

namespace {

std::string join(const std::vector<int>& v) {
    std::string s;
    for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

// Slingshot netdev hsiN is served by the libfabric CXI domain cxiN on HPE nodes.
std::string cxi_domain(const std::string& nic) {
    if (nic.rfind("cxi", 0) == 0) return nic;
    if (nic.rfind("hsi", 0) == 0 && nic.size() > 3 &&
        std::all_of(nic.begin() + 3, nic.end(), [](unsigned char c) { return std::isdigit(c); }))
        return "cxi" + nic.substr(3);
    return "";
}

}  // namespace

std::vector<EnvVar> task_env(const Topology& topo, const TaskPlan& task, const EnvOptions& opt) {
    std::vector<EnvVar> env;
    if (opt.gpus && !task.gpus.empty()) {
        std::vector<int> nums;
        for (int g : task.gpus) {
            int n = visible_number(topo.gpus[static_cast<std::size_t>(g)].index, opt.numbering);
            if (n >= 0 && std::find(nums.begin(), nums.end(), n) == nums.end()) nums.push_back(n);
        }
        Vendor v = topo.gpus[static_cast<std::size_t>(task.gpus.front())].vendor;
        if (!nums.empty()) switch (v) {
            case Vendor::nvidia:
                env.push_back({"CUDA_VISIBLE_DEVICES", join(nums), true});
                // CUDA counts fastest-first unless told otherwise; our numbers are NVML's (PCI order).
                env.push_back({"CUDA_DEVICE_ORDER", "PCI_BUS_ID", false});
                break;
            case Vendor::amd:
                env.push_back({"ROCR_VISIBLE_DEVICES", join(nums), true});
                // HIP applies these after ROCR's selection: Slurm's node-wide values would then
                // point past the one device left.
                env.push_back({"CUDA_VISIBLE_DEVICES", "", true, true});
                env.push_back({"GPU_DEVICE_ORDINAL", "", true, true});
                break;
            case Vendor::intel: env.push_back({"ZE_AFFINITY_MASK", join(nums), true}); break;
            default: break;
        }
    }
    if (opt.nic && task.nic >= 0) {
        const Nic& n = topo.nics[static_cast<std::size_t>(task.nic)];
        if (n.kind == NicKind::infiniband) {
            env.push_back({"NCCL_IB_HCA", "=" + n.name, false});  // "=": exact name, not a prefix
            env.push_back({"UCX_NET_DEVICES", n.name + ":" + std::to_string(n.port), false});
        } else if (n.kind == NicKind::slingshot) {
            std::string cxi = cxi_domain(n.name);
            if (!cxi.empty()) env.push_back({"FI_CXI_DEVICE_NAME", cxi, false});
        }
    }
    if (opt.omp && !task.cpus.empty()) {
        env.push_back({"OMP_NUM_THREADS", std::to_string(task.cpus.size()), false});
        env.push_back({"OMP_PLACES", opt.smt ? "threads" : "cores", false});
        env.push_back({"OMP_PROC_BIND", "close", false});
    }
    return env;
}

std::string describe_task(const Topology& topo, const TaskPlan& task, const std::string& host) {
    std::string s = "rank " + std::to_string(task.rank) + " host " + host + " gpu ";
    if (task.gpus.empty()) s += "-";
    for (std::size_t i = 0; i < task.gpus.size(); ++i) {
        const Gpu& g = topo.gpus[static_cast<std::size_t>(task.gpus[i])];
        s += (i ? "," : "") + g.name + "(" + std::to_string(g.index) + ")";
    }
    s += " cpus " + (task.cpus.empty() ? std::string("-") : format_list(task.cpus));
    s += " numa " + (task.numa.empty() ? std::string("-") : format_list(task.numa));
    s += " nic " + (task.nic >= 0 ? topo.nics[static_cast<std::size_t>(task.nic)].name : std::string("-"));
    if (!task.local) s += " (not GPU-local)";
    return s;
}

}  // namespace aif::topo
