// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/training.hpp"

#include <algorithm>
#include <cstdio>

namespace aif::calc {

int TrainingSetup::shard_stage() const {
    if (fsdp != Fsdp::Off) return 3;
    if (zero > 0) return zero;
    return dist_opt ? 1 : 0;
}

int TrainingSetup::expert_tp() const {
    if (layout.etp > 0) return layout.etp;
    if (framework == Framework::Megatron) return layout.tp;  // arguments.py: etp = tp when not given
    return layout.ep > 1 ? 1 : layout.tp;
}

namespace {
struct Split {
    long base = 0, extra = 0;  // middle stages: base layers, the first `extra` of them one more
    int head = 0;              // 1 when the first stage is given
};
Split split_of(const Layout& l, long layers) {
    Split s;
    s.head = l.pp > 1 && l.first > 0;
    const int mid = l.pp - s.head - (l.pp > 1 && l.last > 0);
    const long rest = layers - (s.head ? l.first : 0) - (l.pp > 1 && l.last > 0 ? l.last : 0);
    if (mid > 0) {
        s.base = rest / mid;
        s.extra = rest % mid;
    }
    return s;
}
}  // namespace

long stage_layers(const Layout& l, long layers, int rank) {
    if (l.pp <= 1) return layers;
    if (rank == 0 && l.first > 0) return l.first;
    if (rank == l.pp - 1 && l.last > 0) return l.last;
    const Split s = split_of(l, layers);
    return s.base + (rank - s.head < s.extra ? 1 : 0);
}

long stage_start(const Layout& l, long layers, int rank) {
    if (l.pp <= 1 || rank == 0) return 0;
    if (rank == l.pp - 1 && l.last > 0) return layers - l.last;
    const Split s = split_of(l, layers);
    const long m = rank - s.head;  // middle stages before this one
    return (s.head ? l.first : 0) + m * s.base + std::min(m, s.extra);
}

std::string describe(const Layout& l) {
    std::string s;
    auto put = [&](const char* k, long v) {
        if (!s.empty()) s += ',';
        s += k;
        s += '=';
        s += std::to_string(v);
    };
    auto add = [&](const char* k, long v) {
        if (v != 1) put(k, v);
    };
    add("tp", l.tp);
    add("pp", l.pp);
    add("vpp", l.vpp);
    add("cp", l.cp);
    add("ep", l.ep);
    if (l.etp > 0) put("etp", l.etp);
    if (l.first > 0) put("first", l.first);
    if (l.last > 0) put("last", l.last);
    if (l.sp && l.tp > 1) s += ",sp=on";
    return s.empty() ? "dp only" : s;
}

}  // namespace aif::calc

namespace aif::calc {

std::string describe_modes(const TrainingSetup& s) {
    std::string out;
    auto add = [&](const std::string& v) { out += (out.empty() ? "" : ", ") + v; };
    if (s.master == Master::BF16) add("pure bf16 (no fp32 master)");
    if (s.optim_in_backward) add("optimizer in backward");
    if (s.lora_rank > 0)
        add("LoRA r=" + std::to_string(s.lora_rank) + " (" + name(s.lora_targets) + ")" +
            (s.quant == Quant::NF4 ? ", NF4 base" : ", bf16 base"));
    if (s.offload_activations) add("activations offloaded");
    if (s.partition_activations) add(s.cpu_checkpointing ? "checkpoints partitioned to CPU" : "checkpoints partitioned over TP");
    if (s.moe_capacity != 1.0) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "MoE capacity %.3g", s.moe_capacity);
        add(buf);
    }
    return out;
}

}  // namespace aif::calc
