// SPDX-License-Identifier: GPL-2.0-or-later
// Launch cost of aifactory_bind: `srun -n N true` with the plugin in plugstack.conf versus
// without, interleaved in one run on a live cluster (SLURM_CONF in the environment).
// Slurm re-reads plugstack.conf at every step launch, so the bench swaps its content between
// launches and restores it at the end. Target: median with / median without <= 1.05.
//
//   bench_bind_srun --plugstack FILE --plugin PATH/aifactory_bind.so [--args "..."]
//                   [--tasks N] [--runs K]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    return static_cast<bool>(out.flush());
}

// Wall time of one `srun -n N true`, in ms; negative on failure.
double launch(int tasks) {
    std::string n = std::to_string(tasks);
    auto start = std::chrono::steady_clock::now();
    pid_t pid = fork();
    if (pid == 0) {
        execlp("srun", "srun", "-n", n.c_str(), "--overcommit", "--mem=100", "--quiet", "true", static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    std::string plugstack, plugin, args;
    int tasks = 2, runs = 15;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--plugstack") plugstack = argv[i + 1];
        else if (a == "--plugin") plugin = argv[i + 1];
        else if (a == "--args") args = argv[i + 1];
        else if (a == "--tasks") tasks = std::atoi(argv[i + 1]);
        else if (a == "--runs") runs = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "bench_bind_srun: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (plugstack.empty() || plugin.empty() || tasks < 1 || runs < 1 || !std::getenv("SLURM_CONF")) {
        std::fprintf(stderr, "usage: SLURM_CONF=... bench_bind_srun --plugstack FILE --plugin SO [--args A] "
                             "[--tasks N] [--runs K]\n");
        return 2;
    }
    const std::string original = slurp(plugstack);
    const std::string with = "optional " + plugin + (args.empty() ? "" : " " + args) + "\n";
    const std::string without = "# aifactory_bind removed for the baseline\n";
    std::vector<double> on, off;
    bool ok = launch(tasks) >= 0;  // warm-up (page cache, slurmd connections)
    for (int r = 0; ok && r < runs; ++r) {
        for (int variant = 0; variant < 2 && ok; ++variant) {  // alternate so drift hits both
            bool plugin_on = (r + variant) % 2 == 0;
            ok = write_file(plugstack, plugin_on ? with : without);
            double ms = ok ? launch(tasks) : -1;
            ok = ms >= 0;
            (plugin_on ? on : off).push_back(ms);
        }
    }
    write_file(plugstack, original);
    if (!ok) {
        std::fprintf(stderr, "bench_bind_srun: srun failed; is the cluster up (SLURM_CONF)?\n");
        return 1;
    }
    double a = median(on), b = median(off);
    std::printf("srun -n %d true, %d launches each: with aifactory_bind %.1f ms, without %.1f ms, "
                "ratio %.3f (target <= 1.05: %s)\n",
                tasks, runs, a, b, a / b, a / b <= 1.05 ? "met" : "NOT MET");
    return 0;
}
