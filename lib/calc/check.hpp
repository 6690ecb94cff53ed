// SPDX-License-Identifier: GPL-2.0-or-later
// The sbatch-time check: does this job fit the GPUs it asked for, and if not, the smallest change
// that would. Pure computation over loaded catalogues: no I/O (safe inside job_submit()).
#pragma once
#include <string>
#include <vector>

#include "calc/bands.hpp"
#include "calc/estimate.hpp"
#include "calc/hardware.hpp"
#include "calc/job.hpp"
#include "calc/models.hpp"
#include "calc/site_model.hpp"
#include "record/prediction.hpp"

namespace aif::calc {

struct CheckRequest {
    const JobSpec* job = nullptr;
    const Partition* partition = nullptr;   // catalogue partition the Slurm partition maps to
    int gpus = 0;                           // GPUs the job asked for, in total
    int nodes = 0;                          // nodes the job asked for (0: derive from gpus)
    double headroom = 0.0;                  // fraction of GPU memory kept free
    const BandTable* bands = nullptr;       // error bands of the profiles (nullptr: none)
    const SiteModel* site_model = nullptr;  // the site's calibration (nullptr: none)
    std::vector<const Partition*> alternatives;  // this site's other partitions, for suggestions
    std::vector<std::string> alternative_names;  // their Slurm names, same order
};

// One change that makes the job fit, the upper end of its band included (verdict fits). Typed: the wording (option names, units) is the caller's
// (site::fix_text for sbatch).
struct Fix {
    enum class Kind {
        Recompute,  // setup.recompute raised
        DistOpt,    // Megatron distributed optimizer (ZeRO-1 over DP)
        Zero,       // setup.zero raised
        Mbs,        // setup.mbs lowered to 1
        Layout,     // another layout on the same GPUs: estimate.layout
        Nodes,      // more nodes of this partition: estimate.nodes (layout_changed: estimate.layout)
        Partition,  // another partition of this site: `partition`, estimate.nodes, estimate.layout
    };
    Kind kind = Kind::Layout;
    TrainingSetup setup;        // the setup that fits
    bool layout_changed = false;
    std::string partition;      // Kind::Partition: its Slurm name
    Estimate estimate;          // of the job with the change
};

struct CheckOutcome {
    Estimate estimate;
    std::vector<Fix> fixes;  // smallest change first; none when the estimate fits
};

// Throws InputError for bad job descriptions (unknown model, inconsistent layout, ...).
CheckOutcome check_job(const CheckRequest& req, const ModelCatalogue& models,
                       const HardwareCatalogue& hw);

// The estimate as the prediction that travels with the job (pinning, accounting); its
// components add up to gib_per_gpu. record::Prediction owns the wire form. `profile` and `gpu`
// (catalogue ids), when given, travel as keys profile= and gpu=; a site correction applied
// travels as site_activations= and site_overhead= (what `aifactory calibrate` divides out).
record::Prediction to_prediction(const Estimate& e, std::string_view profile = {}, std::string_view gpu = {});
// to_prediction(e, ...).encode(): "verdict=fits;gib_per_gpu=41.30;capacity_gib=60.20;...".
std::string prediction_kv(const Estimate& e, std::string_view profile = {}, std::string_view gpu = {});

}  // namespace aif::calc
