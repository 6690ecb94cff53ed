// SPDX-License-Identifier: GPL-2.0-or-later
// The collector's run-ledger routes: the runs a token may read, merged from their jobs' records.
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "collect/html.hpp"
#include "collect/ledger.hpp"
#include "collect/server.hpp"
#include "collect/validate.hpp"
#include "record/prediction.hpp"

namespace aif::collect {
namespace {

// All 17 digits: the ledger's totals must add up from its jobs' figures (json::dump keeps 10).
std::string exact_json(const json::Ptr& j) {
    char* text = json_dumps(j.get(), JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (text == nullptr) throw std::runtime_error("out of memory writing the ledger");
    std::string s(text);
    free(text);
    return s + "\n";
}

std::string site_of(const Principal& who) { return who.all_sites() ? "" : who.site; }

RunLedger run_ledger(Store& store, const LedgerConfig& cfg, const std::string& run, const Principal& who) {
    std::vector<JobReport> reports;
    for (const auto& [key, name] : store.run_jobs(site_of(who), run))
        reports.push_back(build_job_report(store.job_records(key), key.site, key.cluster, key.job_id));
    return build_run_ledger(run, reports, cfg);
}

std::vector<RunLedger> all_runs(Store& store, const LedgerConfig& cfg, const Principal& who) {
    std::vector<std::string> names;
    for (const auto& [key, name] : store.run_jobs(site_of(who), ""))
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    std::sort(names.begin(), names.end());
    std::vector<RunLedger> out;
    for (const auto& n : names) out.push_back(run_ledger(store, cfg, n, who));
    return out;
}

}  // namespace

Reply runs_reply(Store& store, const LedgerConfig& cfg, const Principal& who, const std::vector<std::string>& parts,
                 const std::string& format) {
    if (parts.size() == 2 && parts[1] == "runs-summary")
        return {200, run_summary_file(all_runs(store, cfg, who), cfg.thresholds, format_time(std::time(nullptr))),
                "text/plain; charset=utf-8", false};
    if (parts.size() == 2 && parts[0] == "v1")
        return {200, exact_json(runs_json(all_runs(store, cfg, who))), "application/json", false};
    const std::string& run = parts.back();
    if (!record::is_run_name(run)) return error_reply(400, "run: 1-64 of letters, digits, '.', '_' and '-'");
    RunLedger l = run_ledger(store, cfg, run, who);
    if (l.jobs.empty()) return error_reply(404, "no jobs recorded for run " + run);
    if (parts[0] == "runs") return {200, ledger_page(l), "text/html; charset=utf-8", false};
    if (format == "csv") return {200, ledger_csv(l), "text/csv; charset=utf-8", false};
    if (format == "text") return {200, ledger_text(l), "text/plain; charset=utf-8", false};
    if (!format.empty() && format != "json") return error_reply(400, "format: json, csv or text");
    return {200, exact_json(to_json(l)), "application/json", false};
}

}  // namespace aif::collect
