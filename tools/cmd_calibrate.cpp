// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory calibrate`: fits the site's correction of the calculator's activation and overhead
// terms from a collector's completed jobs and writes the site model file job_submit loads
// (aifactory.conf SiteModel=). The error bands are not touched.
#include <cctype>
#include <cstdio>
#include <unistd.h>

#include "args.hpp"
#include "collect/calibrate.hpp"
#include "collector_client.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/text.hpp"

namespace aif::cli {

namespace {

const CommandSpec& spec() {
    static const CommandSpec s{
        "calibrate",
        "(--collector URL --token-file F | --db FILE | --postgres CONNINFO) [--site S] [--min-jobs N] [--out FILE]",
        "Fits, per framework profile and GPU, multipliers on the predicted activation and overhead\n"
        "memory from completed jobs' (prediction, measured GPU memory peak) pairs; one job in four\n"
        "(by a hash of its id) is held out and shows the error before and after.",
        {
            {"collector", Takes::Value, "URL", "a running collector, https://host:port (its newest 10000 such jobs)"},
            {"token-file", Takes::Value, "FILE", "with --collector: the token to read it with"},
            {"ca-file", Takes::Value, "FILE", "with --collector: CA certificate to trust"},
            {"db", Takes::Value, "FILE", "the collector's SQLite database"},
            {"postgres", Takes::Value, "CONNINFO", "the collector's PostgreSQL database instead"},
            {"site", Takes::Value, "S", "only this site's jobs (default: every site)"},
            {"min-jobs", Takes::Value, "N", "fewest jobs a group needs to be calibrated (default 30)"},
            {"out", Takes::Value, "FILE", "write the site model here (default: only show the fit)"},
        },
        "Exit status: 0 at least one group calibrated, 1 none (nothing written), 2 bad input.",
    };
    return s;
}

std::string pct(double x) { return fmt_fixed(x * 100, 1) + "%"; }

// The pairs from a running collector (GET /v1/aggregates/calibration, the same gathering).
collect::Gathered from_collector(std::string url, const std::string& token_file, const std::string& ca,
                                 const std::string& site) {
    if (token_file.empty()) throw InputError("--collector needs --token-file FILE");
    while (!url.empty() && url.back() == '/') url.pop_back();
    std::string query = "/v1/aggregates/calibration?limit=10000";
    for (char c : site)  // site names are letters, digits, '-', '_', '.' (as the collector checks)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            throw InputError("--site: '" + printable(site, 40) + "' is not a site name");
    if (!site.empty()) query += "&site=" + site;
    const Fetched f = fetch(url + query, read_token(token_file), ca);
    if (f.status != 200)
        throw InputError("--collector " + url + ": " +
                         (f.status ? "HTTP " + std::to_string(f.status) + " " + printable(f.body, 200) : f.error));
    return collect::calibration_from_json(f.body);
}

}  // namespace

int cmd_calibrate(int argc, char** argv) {
    return guarded(spec(), [&] {
        const ParsedArgs args = parse_options(spec(), argc, argv);
        forbid_together(args, "db", "postgres", "read one collector database");
        forbid_together(args, "collector", "db", "read one collector");
        forbid_together(args, "collector", "postgres", "read one collector");
        std::string db, pg, site, out, url, token_file, ca;
        int min_jobs = 30;
        for (const Arg& a : args.options) {
            if (a.key == "db") db = a.value;
            else if (a.key == "postgres") pg = a.value;
            else if (a.key == "site") site = a.value;
            else if (a.key == "out") out = a.value;
            else if (a.key == "collector") url = a.value;
            else if (a.key == "token-file") token_file = a.value;
            else if (a.key == "ca-file") ca = a.value;
            else if (a.key == "min-jobs") min_jobs = static_cast<int>(parse_int(a.value, "--min-jobs", 2, 10'000'000));
        }
        if (db.empty() && pg.empty() && url.empty())
            throw InputError("give --collector URL --token-file F, --db FILE (the collector's SQLite database) or --postgres");
        collect::Gathered g;
        if (!url.empty()) {
            g = from_collector(url, token_file, ca, site);
        } else {
            if (!db.empty() && ::access(db.c_str(), R_OK) != 0) throw InputError("--db " + db + ": cannot read it");
            std::unique_ptr<collect::Store> store = db.empty() ? collect::open_postgres(pg) : collect::open_sqlite(db);
            collect::JobFilter f;
            f.site = site;
            f.limit = 1'000'000'000;
            g = collect::gather_calibration(*store, f);
        }
        std::printf("%zu completed jobs with a signed prediction and a measured GPU memory peak%s\n", g.jobs.size(),
                    site.empty() ? "" : (" at " + site).c_str());
        for (const auto& [why, n] : g.skipped) std::printf("  skipped %lld: %s\n", static_cast<long long>(n), why.c_str());
        calc::SiteModel model;
        const std::vector<collect::GroupFit> fits = collect::calibrate(g.jobs, min_jobs, model);
        for (const auto& f : fits) {
            std::printf("\n%s on %s: %d jobs (%d fit, %d held out)\n", f.profile.c_str(), f.gpu.c_str(), f.jobs,
                        f.fit_jobs, f.held_jobs);
            if (f.refused) {
                std::printf("  refused: %s; not calibrated\n", f.why.c_str());
                continue;
            }
            const calc::SiteCorrection& c = f.correction;
            std::printf("  activations x%.2f, overhead x%.2f\n", c.activations, c.overhead);
            std::printf("  held-out |predicted/measured - 1|: median %s -> %s, p90 %s -> %s\n",
                        pct(c.held_median_before).c_str(), pct(c.held_median_after).c_str(),
                        pct(c.held_p90_before).c_str(), pct(c.held_p90_after).c_str());
        }
        if (model.empty()) {
            std::printf("\nNothing calibrated%s.\n", out.empty() ? "" : ("; " + out + " not written").c_str());
            return 1;
        }
        if (out.empty()) {
            std::printf("\nNot written (give --out FILE); the error bands are not changed by calibration.\n");
            return 0;
        }
        if (!write_file_atomic(out, model.to_json())) throw InputError("--out: cannot write " + out);
        std::printf("\nSite model written to %s (%zu correction%s); point SiteModel= in aifactory.conf at it. "
                    "The error bands are not changed.\n",
                    out.c_str(), model.entries().size(), model.entries().size() == 1 ? "" : "s");
        return 0;
    });
}

}  // namespace aif::cli
