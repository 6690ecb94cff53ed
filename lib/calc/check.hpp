// The sbatch-time check: does this job fit the GPUs it asked for, and if not, the smallest change
// that would. Pure computation over loaded catalogues: no I/O (safe inside job_submit()).
#pragma once
#include <string>
#include <vector>

#include "calc/estimate.hpp"
#include "calc/hardware.hpp"
#include "calc/job.hpp"
#include "calc/models.hpp"
#include "record/prediction.hpp"

namespace aif {

struct CheckRequest {
    const JobSpec* job = nullptr;
    const Partition* partition = nullptr;   // catalogue partition the Slurm partition maps to
    int gpus = 0;                           // GPUs the job asked for, in total
    int nodes = 0;                          // nodes the job asked for (0: derive from gpus)
    double headroom = 0.0;                  // fraction of GPU memory kept free
    std::vector<const Partition*> alternatives;  // this site's other partitions, for suggestions
    std::vector<std::string> alternative_names;  // their Slurm names, same order
};

struct CheckOutcome {
    Estimate estimate;
    std::vector<std::string> fixes;  // smallest change first, each a short imperative line
};

// Throws InputError for bad job descriptions (unknown model, inconsistent layout, ...).
CheckOutcome check_job(const CheckRequest& req, const ModelCatalogue& models,
                       const HardwareCatalogue& hw);

// User-facing text, at most 80 columns a line, GiB for memory.
std::vector<std::string> rejection_lines(const CheckOutcome& o, const std::string& model_label);
std::string prediction_line(const CheckOutcome& o, const std::string& model_label);

// The estimate as the prediction that travels with the job (pinning, accounting); its
// components add up to gib_per_gpu. record::Prediction owns the wire form.
record::Prediction to_prediction(const Estimate& e);
// to_prediction(e).encode(): "verdict=fits;gib_per_gpu=41.30;capacity_gib=60.20;...".
std::string prediction_kv(const Estimate& e);

}  // namespace aif
