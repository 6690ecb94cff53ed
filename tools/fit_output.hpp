// SPDX-License-Identifier: GPL-2.0-or-later
// Rendering `aifactory fit` results: a readable table, or the JSON contract of the CLI.
#pragma once
#include <string>
#include <vector>

#include <jansson.h>

#include "calc/estimate.hpp"

namespace aif::cli {

struct FitContext {
    std::string model, system, gpu_name;
    int gpus_per_node = 0;
    double headroom = 0;
    const calc::TrainingSetup* setup = nullptr;
    long partition_nodes = 0;  // the partition's size (0: unknown, or no partition)
    std::string why;           // why the search chose this layout ("" when the user gave it)
};

// "does not fit on this partition (2 nodes)" when the job needs more nodes than it has, else "".
std::string partition_limit(const calc::Estimate& e, long partition_nodes);

void print_estimate(const calc::Estimate& e, const FitContext& c);
json_t* estimate_json(const calc::Estimate& e, const FitContext& c);  // new reference

struct WhereRow {
    std::string partition, system, gpu;
    long partition_nodes = 0;
    bool found = false;
    calc::Estimate estimate;
};
void print_where(const std::vector<WhereRow>& rows, const std::string& model, const calc::TrainingSetup& s,
                 double headroom);

}  // namespace aif::cli
