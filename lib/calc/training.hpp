// What the user declares about a training run: precision, optimizer, sharding, layout, batch.
#pragma once
#include <string>

namespace aif {

enum class Precision { BF16, FP16, FP32, FP8 };
enum class Optimizer { AdamW, AdamW8bit, SGD };
enum class Recompute { None, Selective, Full };
enum class Framework { Megatron, FSDP, DeepSpeed, HF };
enum class Fsdp { Off, Full, Hybrid };

// Model-parallel layout; data parallelism is what is left of the GPU count.
struct Layout {
    int tp = 1, pp = 1, vpp = 1, cp = 1, ep = 1;
    bool sp = false;  // sequence parallelism (Megatron, with tp > 1)
    int model_parallel() const { return tp * pp * cp; }
};

struct TrainingSetup {
    Precision precision = Precision::BF16;
    Optimizer optimizer = Optimizer::AdamW;
    Recompute recompute = Recompute::None;
    Framework framework = Framework::Megatron;
    Layout layout;
    int zero = 0;            // DeepSpeed ZeRO stage 0-3
    Fsdp fsdp = Fsdp::Off;   // PyTorch FSDP; Full == ZeRO-3, Hybrid shards within a node
    bool dist_opt = false;   // Megatron distributed optimizer (ZeRO-1 over DP)
    bool flash = true;       // flash attention (no s^2 activation term)
    bool offload_optimizer = false;
    long mbs = 1;            // micro-batch, sequences per GPU
    long gbs = 0;            // global batch in sequences; 0: mbs x DP (no accumulation)
    long seq = 4096;
    double tokens = 0;       // tokens to train; 0: no time estimate
    double mfu = 0;          // model FLOPs utilisation; 0: the GPU's prior

    // What sharding the optimizer state gets, in ZeRO terms (0 none, 1 opt, 2 +grads, 3 +weights).
    int shard_stage() const;
};

const char* name(Precision);
const char* name(Optimizer);
const char* name(Recompute);
const char* name(Framework);
std::string describe(const Layout&);  // "tp=4,pp=2" (only what differs from 1)

}  // namespace aif
