// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/modes.hpp"

#include <string>

#include "common/error.hpp"

namespace aif::calc {

double lora_params_per_layer(const Architecture& a, const TrainingSetup& s, bool moe_layer) {
    if (s.lora_rank <= 0) return 0;
    const double h = double(a.hidden), d = double(a.dim_head());
    const double q = double(a.heads) * d, kv = double(a.kv_heads > 0 ? a.kv_heads : a.heads) * d;
    const double r = double(s.lora_rank);
    const double qp = r * (h + q), kp = r * (h + kv), vp = r * (h + kv), op = r * (q + h);
    const double mlp = moe_layer ? 0.0 : (a.gated ? 3.0 : 2.0) * r * (h + double(a.ffn));
    switch (s.lora_targets) {
        case LoraTargets::QV: return qp + vp;
        case LoraTargets::QKV: return qp + kp + vp;
        case LoraTargets::Torchtune: return qp + vp + op + mlp;
        case LoraTargets::All: return qp + kp + vp + op + mlp;
    }
    return 0;
}

double optimizer_state_bytes(Optimizer o, Master m) {
    const bool half = m == Master::BF16;  // torch.optim keeps states in the parameters' dtype
    switch (o) {
        case Optimizer::AdamW: return half ? 4 : 8;  // m and v
        case Optimizer::AdamW8bit: return 2;         // 8-bit m and v (block constants negligible)
        case Optimizer::PagedAdamW8bit: return 0;    // managed memory, outside the allocator
        case Optimizer::SGD: return half ? 2 : 4;    // momentum
    }
    return 8;
}

void check_modes(const Architecture& a, const TrainingSetup& s, int dp) {
    auto fail = [](const std::string& m) { throw InputError(m); };
    if (s.quant == Quant::NF4 && s.lora_rank <= 0)
        fail("--quant=nf4: the 4-bit base is frozen, so it needs LoRA adapters to train (--lora RANK)");
    if (s.master == Master::BF16 && s.precision == Precision::FP32)
        fail("--master=bf16 contradicts --precision fp32; use --precision bf16");
    if (s.master == Master::BF16 && s.precision == Precision::FP16)
        fail("--master=bf16 needs --precision bf16: fp16 training keeps an fp32 master copy for loss scaling");
    if (s.optim_in_backward) {
        if (s.gbs > 0 && s.gbs != s.mbs * dp)
            fail("--optim-in-bwd steps each parameter as soon as its gradient is ready, so it cannot accumulate "
                 "gradients: set --gbs to mbs x data-parallel ranks (" + std::to_string(s.mbs * dp) + ")");
        if (s.layout.pp > 1) fail("--optim-in-bwd: pipeline parallelism accumulates micro-batches; use pp=1");
    }
    if (s.cpu_checkpointing && !s.partition_activations)
        fail("--cpu-checkpointing: DeepSpeed offloads only partitioned activations; add --partition-activations");
    if (s.partition_activations && s.recompute != Recompute::Full)
        fail("--partition-activations: DeepSpeed partitions the checkpointed layer inputs; it needs --recompute full");
    if (s.moe_capacity != 1.0 && !a.is_moe()) fail("--moe-capacity needs a mixture-of-experts model");
}

}  // namespace aif::calc
