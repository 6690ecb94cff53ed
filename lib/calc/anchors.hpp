// SPDX-License-Identifier: GPL-2.0-or-later
// Published estimators, reproduced exactly so tests can pin our implementation to them
// (feasibility §3.4, cases V1-V7). Units: bytes.
#pragma once
#ifdef AIF_PLUGIN
#error "anchors.hpp is internal to lib/calc: include calc/calc.hpp"
#endif

namespace aif::calc::anchors {

// DeepSpeed estimate_zero2_model_states_mem_needs (stage_1_and_2.py).
struct ZeroEstimate {
    double gpu, cpu;
};
ZeroEstimate deepspeed_zero2(double params, int gpus_per_node, int nodes, bool offload_optimizer);
// DeepSpeed estimate_zero3_model_states_mem_needs (stage3.py).
ZeroEstimate deepspeed_zero3(double params, double largest_layer, int gpus_per_node, int nodes,
                             bool offload_optimizer, bool offload_params, bool zero_init);

// ZeRO paper (Rajbhandari et al. 2020) model states per device: stage 0..3, K optimizer bytes.
double zero_paper_model_states(double params, int dp, double k, int stage);

// accelerate estimate-memory: model size at `bytes_per_param` (plus registered buffers, which keep
// their dtype), and "Training using Adam" (4x the model).
double accelerate_model_bytes(double params, double bytes_per_param, double buffer_bytes = 0);
double accelerate_training_bytes(double params, double bytes_per_param);

}  // namespace aif::calc::anchors
