// SPDX-License-Identifier: GPL-2.0-or-later
// The calculator's prediction as it travels: one type, one encoder, one decoder.
//
// Wire form (job environment AIFACTORY_PREDICTION, signed by job_submit):
//   verdict=fits;gib_per_gpu=41.30;capacity_gib=60.20[;gib_lo=39.10;gib_hi=44.50];dominant=activations;gpus=8;layout=tp:2/pp:1;
//   tokens_per_s=1234;mem_weights_gib=...;mem_overhead_gib=...[;train_hours=2.00;gpu_hours=16.0]
//   [;decision_id=<uuid>][;sig=<hex>]
// decision_id names the submit_decision record job_submit wrote for this job (which has no job
// id yet), so the job's report can show what sbatch said. It is signed with the rest.
// Record form: the record's "prediction" object, one member per key (numbers as JSON numbers).
//
// decode() is strict about what it knows and tolerant of what it does not: a known key whose
// value does not parse (not a finite number, a negative GPU count, an item without '=') is an
// InputError naming the key; an unknown key is kept aside in `extra`, as sent, and recorded as
// such, so a newer calculator's keys survive an older producer. from_json() reads stored records
// of any producer version and never throws: what it cannot read it leaves empty.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.hpp"

namespace aif::record {

inline constexpr const char* kSignatureKey = "sig";

struct Prediction {
    std::string verdict;   // fits | may-not-fit | does-not-fit (older producers: tight)
    std::optional<double> gib_per_gpu, capacity_gib;  // GiB per GPU: needed, usable
    std::optional<double> gib_lo, gib_hi;  // the error band around gib_per_gpu (absent in older records)
    std::string dominant;  // the largest memory term ("activations", ...)
    std::optional<int> gpus;
    std::string layout;    // "tp:2/pp:1/dp:4" ('=' and ',' of the layout replaced)
    std::optional<double> tokens_per_s;
    // Memory components, GiB per GPU, in order ("weights", "gradients", ...); they add up to
    // gib_per_gpu. Wire key mem_<name>_gib.
    std::vector<std::pair<std::string, double>> components;
    std::optional<double> train_hours, gpu_hours;
    // The compute ledger (docs/ai-act.md): model FLOPs per token (6N + attention), the tokens the
    // job declared (--llm-tokens), the GPU's TDP in W, and the training run the job belongs to
    // (--llm-run, else account + model; [A-Za-z0-9._-], at most 64 bytes). Signed with the rest.
    std::optional<double> flops_per_token, tokens, tdp_w;
    std::string run;
    std::string decision_id;  // record id of the job's submit_decision record; "" when none
    std::vector<std::pair<std::string, std::string>> extra;  // keys this version does not know, as sent
    std::string sig;  // job_submit's signature, when the text carried one (never encoded)

    std::string encode() const;  // the wire form without the signature: what job_submit signs
    static Prediction decode(std::string_view text);  // throws InputError
    json::Ptr to_json() const;
    static Prediction from_json(const json_t* object);  // nullptr or not an object → empty
    bool empty() const {
        return verdict.empty() && !gib_per_gpu && extra.empty() && components.empty() && decision_id.empty() &&
               run.empty();
    }
};

// Training-run names (--llm-run): 1..kMaxRunBytes of [A-Za-z0-9._-].
inline constexpr std::size_t kMaxRunBytes = 64;
bool is_run_name(std::string_view name);
// "" when `name` is a run name, else what is wrong with it ("is empty", "has ' '...").
std::string run_name_problem(std::string_view name);
// The run of a job that names none: "<account>.<model>", other characters replaced by '_'.
std::string default_run_name(std::string_view account, std::string_view model);

// "<encoded>;sig=<hex>" → {"<encoded>", "<hex>"}; {text, ""} when unsigned.
std::pair<std::string, std::string> split_signature(const std::string& text);

// The k=v value rule shared by every key/value string a producer records (training, binding,
// a prediction's unknown keys): a finite decimal number becomes a JSON number (an integer when
// written without '.', 'e'), anything else a string.
json_t* kv_value_json(std::string_view value);
// "a=1;b=x;c=2.5" → {"a":1,"b":"x","c":2.5} (values may contain ',' and '='); empty Ptr for "".
json::Ptr kv_object(std::string_view kv);

}  // namespace aif::record
