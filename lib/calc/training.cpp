#include "calc/training.hpp"

namespace aif {

int TrainingSetup::shard_stage() const {
    if (fsdp != Fsdp::Off) return 3;
    if (zero > 0) return zero;
    return dist_opt ? 1 : 0;
}

const char* name(Precision p) {
    switch (p) {
        case Precision::BF16: return "bf16";
        case Precision::FP16: return "fp16";
        case Precision::FP32: return "fp32";
        case Precision::FP8: return "fp8";
    }
    return "?";
}

const char* name(Optimizer o) {
    switch (o) {
        case Optimizer::AdamW: return "adamw";
        case Optimizer::AdamW8bit: return "adamw8bit";
        case Optimizer::SGD: return "sgd";
    }
    return "?";
}

const char* name(Recompute r) {
    switch (r) {
        case Recompute::None: return "none";
        case Recompute::Selective: return "selective";
        case Recompute::Full: return "full";
    }
    return "?";
}

const char* name(Framework f) {
    switch (f) {
        case Framework::Megatron: return "megatron";
        case Framework::FSDP: return "fsdp";
        case Framework::DeepSpeed: return "deepspeed";
        case Framework::HF: return "hf";
    }
    return "?";
}

std::string describe(const Layout& l) {
    std::string s;
    auto add = [&](const char* k, int v) {
        if (v == 1) return;
        if (!s.empty()) s += ',';
        s += k;
        s += '=';
        s += std::to_string(v);
    };
    add("tp", l.tp);
    add("pp", l.pp);
    add("vpp", l.vpp);
    add("cp", l.cp);
    add("ep", l.ep);
    if (l.sp && l.tp > 1) s += ",sp=on";
    return s.empty() ? "dp only" : s;
}

}  // namespace aif
