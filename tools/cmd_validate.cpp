// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory validate`: every published case next to what the calculator predicts.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unistd.h>

#include "args.hpp"
#include "calc/validation.hpp"
#include "catalogues.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/text.hpp"

namespace aif::cli {

namespace {

// Per profile: the residuals of its memory cases, the band they give, the band stored now.
// Returns how many profiles leave their stored band; writes the computed bands when asked.
int print_profiles(const std::vector<calc::ProfileResiduals>& profiles, const std::string& write_to, int unexplained) {
    std::printf("\n%-20s %5s %8s %8s  %-16s %-16s %-6s  %s\n", "profile", "cases", "median", "max", "band (computed)",
                "band (stored)", "status", "median, high-confidence cases");
    int failed = 0;
    for (const auto& p : profiles) {
        const bool ok = p.outside.empty();
        failed += !ok;
        const std::string stored = describe(p.stored) + (p.stored.from == p.profile ? "" : " (" + p.stored.from + ")");
        const std::string cases = std::to_string(p.high_cases) + (p.high_cases == 1 ? " case" : " cases");
        const std::string high =
            p.high_cases ? fmt_fixed(p.median_abs_high * 100, 1) + "% (" + cases + ")" : "- (no case)";
        std::printf("%-20s %5zu %7s%% %7s%%  %-16s %-16s %-6s  %s\n", p.profile.c_str(), p.residuals.size(),
                    fmt_fixed(p.median_abs * 100, 1).c_str(), fmt_fixed(p.max_abs * 100, 1).c_str(),
                    p.residuals.empty() ? "-" : describe(p.computed).c_str(), stored.c_str(),
                    ok ? "ok" : "OUTSIDE STORED BAND", high.c_str());
        for (const auto& id : p.outside) std::printf("    %s leaves the stored band\n", id.c_str());
        std::string left;
        for (const auto& id : p.known_misses) left += (left.empty() ? "" : ", ") + id;
        if (!left.empty()) std::printf("    known misses: %s\n", left.c_str());
    }
    // A site asks how good the framework it runs is, whatever the version: its profiles' cases together.
    const auto families = calc::family_residuals(profiles);
    if (!families.empty())
        std::printf("\n%-20s %8s %5s %8s %8s  %s\n", "framework", "profiles", "cases", "median", "max",
                    "median, high-confidence cases");
    for (const auto& f : families) {
        const std::string cases = std::to_string(f.high_cases) + (f.high_cases == 1 ? " case" : " cases");
        const std::string high =
            f.high_cases ? fmt_fixed(f.median_abs_high * 100, 1) + "% (" + cases + ")" : "- (no case)";
        std::printf("%-20s %8zu %5zu %7s%% %7s%%  %s\n", f.family.c_str(), f.profiles, f.cases,
                    fmt_fixed(f.median_abs * 100, 1).c_str(), fmt_fixed(f.max_abs * 100, 1).c_str(), high.c_str());
    }
    if (write_to.empty()) return failed;
    if (unexplained > 0) {
        std::fprintf(stderr, "aifactory validate: --write-bands: %d case(s) outside their tolerance or rejecting a "
                             "run that worked without a recorded reason; no band written (a band must not hide "
                             "them)\n", unexplained);
        return failed;
    }
    if (!write_file_atomic(write_to, calc::computed_bands(profiles).to_json()))
        throw InputError("--write-bands: cannot write " + write_to);
    std::printf("bands written to %s\n", write_to.c_str());
    return 0;
}

}  // namespace

int cmd_validate(int argc, char** argv) {
    static const CommandSpec spec{
        "validate",
        "",
        "Every published measurement of the validation set next to what the calculator predicts.",
        {
            {"cases", Takes::Value, "FILE", "validation cases (default: the shipped validation.json)"},
            {"verbose", Takes::Nothing, "", "describe every case, not only the unreachable ones"},
            {"bands", Takes::Value, "FILE", "stored error bands to check against (default: the shipped bands.json)"},
            {"write-bands", Takes::Value, "FILE", "write each profile's band, computed from its cases, to FILE"},
        },
        "Exit status: 0 all within band or known misses, 1 an unexplained miss, a measured run called\n"
        "does-not-fit on its GPU without a known_rejection, or a profile's case outside its stored band\n"
        "(--write-bands: nothing written on an unexplained miss or rejection), 2 bad input."};
    return guarded(spec, [&] {
        std::string cases = calc::default_catalogue_path("validation.json");
        std::string write_to;
        bool verbose = false;
        Catalogues cat = load_catalogues({}, {});
        for (const Arg& a : parse_options(spec, argc, argv).options) {
            if (a.key == "cases") cases = a.value;
            else if (a.key == "verbose") verbose = true;
            else if (a.key == "bands") {
                if (::access(a.value.c_str(), R_OK) != 0) throw InputError("--bands: cannot read " + a.value);
                cat.bands = calc::BandTable::load(a.value);  // (a missing shipped file means no bands)
            }
            else if (a.key == "write-bands") write_to = a.value;
        }
        auto rows = calc::run_validation(cases, cat.models, cat.hardware, &cat.bands);
        int id_width = 18;  // the longest case id keeps the columns aligned
        for (const auto& r : rows) id_width = std::max(id_width, int(r.id.size()));
        std::printf("%-*s %-10s %-24s %-34s %7s %5s  %s\n", id_width, "case", "kind", "published", "predicted",
                    "error", "band", "status");
        int within = 0, outside = 0, known = 0, unreachable = 0, on_gpu = 0, rejected = 0, rejected_known = 0;
        for (const auto& r : rows) {
            const bool miss = r.status == calc::ValidationRow::Status::Outside;
            const char* status = r.status == calc::ValidationRow::Status::Within ? "ok"
                                 : miss ? (r.known_miss.empty() ? "OUTSIDE" : "outside (known)")
                                        : "not reachable";
            if (r.status == calc::ValidationRow::Status::Within) ++within;
            else if (r.status == calc::ValidationRow::Status::Unreachable) ++unreachable;
            else ++(r.known_miss.empty() ? outside : known);
            std::string err = (r.kind == "memory" || r.kind == "throughput") ? fmt_fixed(r.error * 100, 1) + "%" : "";
            std::string band = r.band > 0 ? "±" + fmt_fixed(r.band * 100, 0) + "%" : "";
            std::printf("%-*s %-10s %-24s %-34s %7s %5s  %s\n", id_width, r.id.c_str(), r.kind.c_str(),
                        r.published.c_str(), r.predicted.c_str(), err.c_str(), band.c_str(), status);
            if (verbose || r.status == calc::ValidationRow::Status::Unreachable)
                std::printf("    %s%s%s\n", r.description.c_str(), r.note.empty() ? "" : " — ", r.note.c_str());
            if (miss && !r.known_miss.empty()) std::printf("    known miss: %s\n", r.known_miss.c_str());
            if (!r.verdict_on_gpu.empty()) ++on_gpu;
            // Its own recorded reason (known_rejection) lists a rejection without failing, as for a miss.
            if (r.rejects_a_run_that_worked) {
                ++(r.known_rejection.empty() ? rejected : rejected_known);
                std::printf("    REJECTS A RUN THAT WORKED%s: %s\n", r.known_rejection.empty() ? "" : " (known)",
                            r.verdict_on_gpu.c_str());
                if (!r.known_rejection.empty()) std::printf("    known rejection: %s\n", r.known_rejection.c_str());
            }
        }
        std::printf("\n%d within band, %d outside with a known reason, %d outside unexplained, %d not reachable\n",
                    within, known, outside, unreachable);
        std::printf("%d measured runs judged on their GPU by the sbatch-time check: %d called does-not-fit, "
                    "%d of them with a known reason\n",
                    on_gpu, rejected + rejected_known, rejected_known);
        const int unexplained = outside + rejected;
        const int failed = print_profiles(calc::profile_residuals(rows, cat.bands), write_to, unexplained);
        return unexplained + failed == 0 ? 0 : 1;
    });
}

}  // namespace aif::cli
