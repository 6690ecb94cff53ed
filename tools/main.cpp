// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory`: command-line front end to the library (calculator, binding planner, spool, reports).
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/text.hpp"

namespace {

struct Command {
    const char* name;
    int (*run)(int, char**);
    const char* summary;
};

const Command commands[] = {
    {"fit", aif::cli::cmd_fit, "will this training job fit? memory per GPU, time, GPU-hours"},
    {"models", aif::cli::cmd_models, "list the model catalogue"},
    {"systems", aif::cli::cmd_systems, "list the hardware catalogue (partitions and GPUs)"},
    {"validate", aif::cli::cmd_validate, "compare the calculator with published measurements"},
    {"detect", aif::cli::cmd_detect, "what a batch script trains, read without --llm-* options"},
    {"bind", aif::cli::cmd_bind, "dry run of rank pinning: GPU, cores, memory, NIC per task"},
    {"sender", aif::cli::cmd_sender, "deliver accounting records to the federation endpoint"},
    {"spool", aif::cli::cmd_spool, "inspect the accounting outbox: status, list, show, requeue"},
#ifdef AIF_HAVE_COLLECTOR  // configure --enable-collector (default where its libraries exist)
    {"collector", aif::cli::cmd_collector, "run the federation endpoint (HTTPS, per-job reports)"},
    {"report", aif::cli::cmd_report, "one job's report: asked, predicted, ran, GPU-hours"},
    {"calibrate", aif::cli::cmd_calibrate, "fit the site's calculator correction from measured jobs"},
#endif
};

void usage(FILE* out) {
    std::fprintf(out, "usage: aifactory COMMAND [options]   (aifactory COMMAND --help for details)\n"
                      "       aifactory --version\n\n");
    for (const auto& c : commands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "-V"))) {
        std::printf("aifactory %s\n", PACKAGE_VERSION);  // defined by configure on the compile line
        return 0;
    }
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (const auto& c : commands) {
        if (std::strcmp(argv[1], c.name) == 0) {
            try {
                return c.run(argc - 1, argv + 1);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "aifactory %s: %s\n", c.name, e.what());
                return 1;
            }
        }
    }
    std::vector<std::string> names;
    for (const auto& c : commands) names.push_back(c.name);
    const auto near = aif::closest(argv[1], names, 1);
    std::fprintf(stderr, "aifactory: unknown command '%s'%s\n\n", aif::printable(argv[1]).c_str(),
                 near.empty() ? "" : (" (did you mean " + near[0] + "?)").c_str());
    usage(stderr);
    return 2;
}
