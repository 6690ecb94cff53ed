// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/anchors.hpp"

#include <algorithm>

namespace aif::calc::anchors {

static constexpr double buffer_factor = 1.5;  // DeepSpeed's additional_buffer_factor default

ZeroEstimate deepspeed_zero2(double p, int gpus_per_node, int nodes, bool offload) {
    const double gpus = double(gpus_per_node) * nodes;
    if (offload) return {2 * p, p * std::max(4 * gpus, 16.0) * buffer_factor};
    return {4 * p + 16 * p / gpus, 4 * p * gpus_per_node * buffer_factor};
}

ZeroEstimate deepspeed_zero3(double p, double ll, int gpus_per_node, int nodes, bool offload_opt,
                             bool offload_params, bool zero_init) {
    const double gpus = double(gpus_per_node) * nodes;
    const double largest = 4 * ll;
    const double init_cpu = 4 * p * gpus_per_node * buffer_factor;  // fp32 model built on every rank
    if (offload_opt && offload_params)
        return {largest, zero_init ? 18 * p / nodes * buffer_factor : init_cpu};
    if (offload_opt) return {largest + 2 * p / gpus, zero_init ? 16 * p / nodes * buffer_factor : init_cpu};
    return {largest + 18 * p / gpus, zero_init ? largest * gpus_per_node * buffer_factor : init_cpu};
}

double zero_paper_model_states(double p, int dp, double k, int stage) {
    switch (stage) {
        case 0: return (2 + 2 + k) * p;
        case 1: return 2 * p + 2 * p + k * p / dp;
        case 2: return 2 * p + (2 + k) * p / dp;
        default: return (2 + 2 + k) * p / dp;
    }
}

double accelerate_model_bytes(double p, double bytes_per_param, double buffer_bytes) {
    return p * bytes_per_param + buffer_bytes;
}
double accelerate_training_bytes(double p, double bytes_per_param) { return 4 * p * bytes_per_param; }

}  // namespace aif::calc::anchors
