// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory validate`: every published case next to what the calculator predicts.
#include <cmath>
#include <cstdio>

#include "args.hpp"
#include "calc/validation.hpp"
#include "catalogues.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace aif::cli {

int cmd_validate(int argc, char** argv) {
    static const CommandSpec spec{
        "validate",
        "",
        "Every published measurement of the validation set next to what the calculator predicts.",
        {
            {"cases", Takes::Value, "FILE", "validation cases (default: the shipped validation.json)"},
            {"verbose", Takes::Nothing, "", "describe every case, not only the unreachable ones"},
        },
        "Exit status: 0 all within band or known misses, 1 an unexplained miss, 2 bad input."};
    return guarded(spec, [&] {
        std::string cases = calc::default_catalogue_path("validation.json");
        bool verbose = false;
        for (const Arg& a : parse_options(spec, argc, argv).options) {
            if (a.key == "cases") cases = a.value;
            else if (a.key == "verbose") verbose = true;
        }
        Catalogues cat = load_catalogues({}, {});
        auto rows = calc::run_validation(cases, cat.models, cat.hardware);
        std::printf("%-18s %-10s %-24s %-34s %7s %5s  %s\n", "case", "kind", "published", "predicted", "error",
                    "band", "status");
        int within = 0, outside = 0, known = 0, unreachable = 0;
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
            std::printf("%-18s %-10s %-24s %-34s %7s %5s  %s\n", r.id.c_str(), r.kind.c_str(), r.published.c_str(),
                        r.predicted.c_str(), err.c_str(), band.c_str(), status);
            if (verbose || r.status == calc::ValidationRow::Status::Unreachable)
                std::printf("    %s%s%s\n", r.description.c_str(), r.note.empty() ? "" : " — ", r.note.c_str());
            if (miss && !r.known_miss.empty()) std::printf("    known miss: %s\n", r.known_miss.c_str());
        }
        std::printf("\n%d within band, %d outside with a known reason, %d outside unexplained, %d not reachable\n",
                    within, known, outside, unreachable);
        return outside == 0 ? 0 : 1;
    });
}

}  // namespace aif::cli
