// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/validation.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "calc/estimate.hpp"
#include "calc/job.hpp"
#include "calc/search.hpp"
#include "calc/throughput.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::calc {

namespace {

using Status = ValidationRow::Status;

JobSpec job_of(const json_t* c, const std::string& where) {
    JobSpec job;
    job.model = json::string(c, "model", where).value_or("");
    if (const json_t* opts = json_object_get(c, "options"); json_is_object(opts)) {
        const char* key;
        json_t* v;
        json_object_foreach(const_cast<json_t*>(opts), key, v) {
            if (!json_is_string(v)) throw InputError(where + ": option '" + key + "' must be a string");
            apply_option(job, key, json_string_value(v), "--");
        }
    }
    return job;
}

double unit_bytes(const std::string& unit, const std::string& where) {
    if (unit == "GiB") return GiB;
    if (unit == "MiB") return 1024.0 * 1024.0;
    if (unit == "GB") return 1e9;
    throw InputError(where + ": unknown unit '" + unit + "'");
}

double counter_of(const MemoryBreakdown& m, const std::string& counter, const std::string& where) {
    if (counter == "allocated") return m.allocated;
    if (counter == "reserved") return m.reserved;
    if (counter == "total") return m.total;
    throw InputError(where + ": unknown counter '" + counter + "'");
}

void judge(ValidationRow& r, double published, double predicted) {
    r.error = predicted / published - 1.0;
    r.status = std::fabs(r.error) <= r.band + 1e-12 ? Status::Within : Status::Outside;
}

// The case's job on its GPU ("gpu", "gpus", "gpus_per_node") as the sbatch-time check sees it:
// the profile's band, no headroom.
Estimate estimate_on_gpu(const json_t* c, const std::string& gpu, const std::string& where, const Architecture& a,
                         const TrainingSetup& s, const HardwareCatalogue& hw, const BandTable* bands) {
    const GpuModel& g = hw.require_gpu(gpu);
    const int gpus = int(json::require_integer(c, "gpus", where));
    const int gpn = int(json::integer(c, "gpus_per_node", where).value_or(8));
    return estimate(a, s, with_band(target_for(g, gpn, gpus), bands, s));
}

// A measured run worked on its GPU: under enforce, with the profile's band and no headroom, the
// calculator must not call it does-not-fit (issue 12: no published working configuration rejected).
void judge_on_gpu(ValidationRow& r, const json_t* c, const std::string& where, const Architecture& a,
                  const TrainingSetup& s, const HardwareCatalogue& hw, const BandTable* bands) {
    const std::optional<std::string> gpu = json::string(c, "gpu", where);
    if (!gpu) return;
    const Estimate e = estimate_on_gpu(c, *gpu, where, a, s, hw, bands);
    r.verdict_on_gpu = std::string(name(e.verdict)) + " on " + *gpu;
    r.rejects_a_run_that_worked = e.verdict == Verdict::DoesNotFit;
}

void run_memory(ValidationRow& r, const json_t* c, const std::string& where, const ModelCatalogue& models,
                const HardwareCatalogue& hw, const BandTable* bands) {
    JobSpec job = job_of(c, where);
    r.profile = profile(job.setup).id;
    Architecture a = resolve_arch(job, models);
    const int gpus = int(json::require_integer(c, "gpus", where));
    const int gpn = int(json::integer(c, "gpus_per_node", where).value_or(8));
    check_layout(a, job.setup, gpus);
    if (const auto id = json::string(c, "gpu", where))
        if (const GpuModel* g = hw.gpu(*id)) job.setup.fp8_gemm_non_tn = g->fp8_gemm_non_tn;
    StageMemory sm = memory_by_stage(a, count_params(a), job.setup, gpus, gpn);
    const std::string stage = json::string(c, "stage", where).value_or("worst");
    const MemoryBreakdown& m = stage == "last" ? sm.last
                               : stage == "first" ? sm.first
                               : sm.worst;  // may be a middle stage with uneven layers
    r.confidence = json::require_string(c, "confidence", where);
    if (r.confidence != "high" && r.confidence != "low")
        throw InputError(where + ": confidence must be \"high\" or \"low\", not '" + r.confidence + "'");
    const std::string counter = json::require_string(c, "counter", where);
    const std::string unit = json::require_string(c, "unit", where);
    const double scale = unit_bytes(unit, where);
    const double published = json::require_number(c, "published", where);
    const double predicted = counter_of(m, counter, where) / scale;
    r.published = fmt_fixed(published, 1) + " " + unit + " " + counter;
    r.predicted = fmt_fixed(predicted, 1) + " " + unit;
    judge(r, published, predicted);
    judge_on_gpu(r, c, where, a, job.setup, hw, bands);
}

void run_throughput(ValidationRow& r, const json_t* c, const std::string& where, const ModelCatalogue& models,
                    const HardwareCatalogue& hw) {
    JobSpec job = job_of(c, where);
    Architecture a = resolve_arch(job, models);
    const GpuModel& g = hw.require_gpu(json::require_string(c, "gpu", where));
    const bool causal = json::string(c, "attention", where).value_or("causal") == "causal";
    const double flops = model_flops_per_token(a, count_params(a), job.setup.seq, causal);
    const double per_gpu = job.setup.mfu * g.bf16_flops / flops;
    const double published = json::require_number(c, "published", where);
    r.published = fmt_fixed(published, 0) + " tok/s/GPU";
    r.predicted = fmt_fixed(per_gpu, 0) + " tok/s/GPU";
    judge(r, published, per_gpu);
}

void run_verdict(ValidationRow& r, const json_t* c, const std::string& where, const ModelCatalogue& models,
                 const HardwareCatalogue& hw, const BandTable* bands) {
    JobSpec job = job_of(c, where);
    r.profile = profile(job.setup).id;
    Architecture a = resolve_arch(job, models);
    const Estimate e = estimate_on_gpu(c, json::require_string(c, "gpu", where), where, a, job.setup, hw, bands);
    std::vector<std::string> expect;
    std::size_t i;
    json_t* v;
    json_array_foreach(json_object_get(c, "expect"), i, v) if (json_is_string(v)) expect.emplace_back(json_string_value(v));
    r.published = "";
    for (const auto& x : expect) r.published += (r.published.empty() ? "" : " or ") + x;
    r.predicted = std::string(name(e.verdict)) + " (" + fmt_gib(e.mem.total) + ", " + fmt_gib(e.total_lo) + "-" +
                  fmt_gib(e.total_hi) + " of " + fmt_gib(e.capacity) + " GiB)";
    r.status = std::find(expect.begin(), expect.end(), name(e.verdict)) != expect.end() ? Status::Within : Status::Outside;
}

double median_abs(const std::vector<double>& errors) {
    std::vector<double> abs;
    for (double e : errors) abs.push_back(std::fabs(e));
    if (abs.empty()) return 0;
    std::sort(abs.begin(), abs.end());
    const std::size_t n = abs.size();
    return n % 2 ? abs[n / 2] : (abs[n / 2 - 1] + abs[n / 2]) / 2;
}

}  // namespace

std::vector<ValidationRow> run_validation(const std::string& path, const ModelCatalogue& models,
                                          const HardwareCatalogue& hw, const BandTable* bands) {
    json::Ptr root = json::load_file(path);
    const json_t* cases = json_object_get(root.get(), "cases");
    if (!json_is_array(cases)) throw InputError(path + ": missing array 'cases'");
    std::vector<ValidationRow> rows;
    std::size_t i;
    json_t* c;
    json_array_foreach(cases, i, c) {
        ValidationRow r;
        r.id = json::require_string(c, "id", path);
        const std::string where = path + " case " + r.id;
        r.kind = json::require_string(c, "kind", where);
        r.description = json::string(c, "description", where).value_or("");
        r.source = json::string(c, "source", where).value_or("");
        r.note = json::string(c, "note", where).value_or("");
        r.band = json::number(c, "band", where).value_or(0);
        r.known_miss = json::string(c, "known_miss", where).value_or("");
        r.known_rejection = json::string(c, "known_rejection", where).value_or("");
        if (r.kind == "memory") run_memory(r, c, where, models, hw, bands);
        else if (r.kind == "throughput") run_throughput(r, c, where, models, hw);
        else if (r.kind == "verdict") run_verdict(r, c, where, models, hw, bands);
        else r.note = json::string(c, "reason", where).value_or("");
        rows.push_back(std::move(r));
    }
    return rows;
}

std::vector<ProfileResiduals> profile_residuals(const std::vector<ValidationRow>& rows, const BandTable& stored) {
    std::vector<ProfileResiduals> out;
    for (const FrameworkProfile& p : framework_profiles()) {
        ProfileResiduals pr;
        pr.profile = p.id;
        pr.stored = stored.of(p);
        for (const ValidationRow& r : rows) {
            if (r.kind != "memory" || r.profile != p.id) continue;
            // Every measured case counts, known misses too: a recorded reason explains a miss, it
            // does not make the model right for the users whose jobs look like that case. The band
            // comes from high-confidence cases only (every input published): a low-confidence case
            // mixes the model's error with a guessed input (a world size, a sequence length).
            if (r.status == Status::Outside && !r.known_miss.empty()) pr.known_misses.push_back(r.id);
            pr.residuals.push_back(r.error);
            if (r.confidence != "high") continue;
            pr.band_residuals.push_back(r.error);
            if (r.error < pr.stored.lo - 1e-9 || r.error > pr.stored.hi + 1e-9) pr.outside.push_back(r.id);
        }
        if (pr.residuals.empty() && pr.known_misses.empty()) continue;
        pr.median_abs = median_abs(pr.residuals);
        for (double e : pr.residuals) pr.max_abs = std::max(pr.max_abs, std::fabs(e));
        pr.high_cases = pr.band_residuals.size();
        pr.median_abs_high = median_abs(pr.band_residuals);
        pr.computed = band_from_cases(pr.band_residuals);
        pr.computed.from = p.id;
        out.push_back(std::move(pr));
    }
    return out;
}

std::vector<FamilyResiduals> family_residuals(const std::vector<ProfileResiduals>& profiles) {
    std::vector<FamilyResiduals> out;
    for (const ProfileResiduals& first : profiles) {
        const std::string family = parse_profile(first.profile, "profile").family;
        if (std::any_of(out.begin(), out.end(), [&](const FamilyResiduals& f) { return f.family == family; }))
            continue;
        FamilyResiduals f{family};
        std::vector<double> all, high;
        for (const ProfileResiduals& p : profiles) {
            if (parse_profile(p.profile, "profile").family != family) continue;
            ++f.profiles;
            all.insert(all.end(), p.residuals.begin(), p.residuals.end());
            high.insert(high.end(), p.band_residuals.begin(), p.band_residuals.end());
        }
        if (f.profiles < 2) continue;
        f.cases = all.size();
        f.high_cases = high.size();
        f.median_abs = median_abs(all);
        f.median_abs_high = median_abs(high);
        for (double e : all) f.max_abs = std::max(f.max_abs, std::fabs(e));
        out.push_back(f);
    }
    return out;
}

BandTable computed_bands(const std::vector<ProfileResiduals>& profiles) {
    BandTable t;
    for (const auto& p : profiles)
        if (!p.band_residuals.empty()) t.set(p.profile, p.computed);
    return t;
}

}  // namespace aif::calc
