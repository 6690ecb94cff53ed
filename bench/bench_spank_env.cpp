// SPDX-License-Identifier: GPL-2.0-or-later
// What a hostile spank_job_env costs job_submit/aifactory (issue 11): the library path the plugin
// runs for every submission (site::read_spank_env, DecisionCache::key, decide) on a 16 MB unknown
// option name and on 40 000 options, against a normal submission measured in the same run; and
// how much 40 distinct 8 MB --llm-config values grow the decision cache and the process.
// Targets: the 16 MB name under 10 ms; the 40 big values under 50 MB of growth.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "site/decide.hpp"

using namespace aif::site;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kPrefix = kOptionPrefix;

// The plugin's path for one submission, with `env` as job_desc->spank_job_env.
Decision submit(const std::vector<std::string>& env, const Snapshot& snap, DecisionCache& cache,
                std::string_view script = {}) {
    std::vector<const char*> ptrs;
    for (const auto& e : env) ptrs.push_back(e.c_str());
    Submission sub;
    sub.options = read_spank_env(ptrs.data(), ptrs.size());
    sub.gpus.gpus = 4;
    sub.gpus.nodes = 1;
    sub.partition = "boost_usr_prod";
    sub.script = script;
    const std::string key = DecisionCache::key(sub);
    Decision d;
    if (!cache.find(key, d)) {
        d = decide(sub, snap);
        cache.put(key, d);
    }
    return d;
}

// Median seconds of `runs` calls, each with a fresh cache (a cold decision, as the attacker gets).
double median_s(const std::vector<std::string>& env, const Snapshot& snap, int runs,
                std::string_view script = {}) {
    std::vector<double> t;
    for (int i = 0; i < runs; ++i) {
        DecisionCache cache;
        const auto t0 = Clock::now();
        submit(env, snap, cache, script);
        t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

long rss_kib() {
    std::ifstream f("/proc/self/status");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
}

}  // namespace

int main() {
    const char* env_src = std::getenv("AIF_SRCDIR");  // set by `make run-bench`
    const std::string srcdir = env_src ? env_src : ".";
    setenv("AIFACTORY_DATADIR", (srcdir + "/etc").c_str(), 0);
    const auto snap = load_snapshot(srcdir + "/etc/slurm-demo/aifactory.conf", "");
    const std::string model = kPrefix + "model=llama3.1-8b";

    const std::vector<std::string> normal = {model, kPrefix + "layout=tp=4", "PATH=/usr/bin:/bin"};
    const std::vector<std::string> huge = {model, kPrefix + std::string(16u << 20, 'q') + "="};
    std::vector<std::string> many = {model};
    for (int i = 0; i < 40000; ++i) many.push_back(kPrefix + "k" + std::to_string(i) + "=1");

    const double base = median_s(normal, *snap, 201);
    const double t_huge = median_s(huge, *snap, 11);
    const double t_many = median_s(many, *snap, 11);
    std::printf("job_submit decision path (read_spank_env + key + decide), cold cache, median:\n");
    std::printf("  normal submission            %9.1f us   1.0x\n", base * 1e6);
    std::printf("  16 MB unknown option name    %9.1f us   %.1fx   (target < 10 ms)\n", t_huge * 1e6,
                t_huge / base);
    std::printf("  40 000 options               %9.1f us   %.1fx\n", t_many * 1e6, t_many / base);

    // No --llm-* options: the batch script is read (issue 15). A real Megatron script, and a
    // 256 KiB one built to cost the reader most: one long variable expanded again and again.
    const std::vector<std::string> plain = {"PATH=/usr/bin:/bin"};
    const std::string megatron =
        "#!/bin/bash\nTP=4\nsrun python pretrain_gpt.py --tensor-model-parallel-size $TP --num-layers 32 "
        "--hidden-size 4096 --num-attention-heads 32 --ffn-hidden-size 11008 --vocab-size 32000 "
        "--max-position-embeddings 4096 --seq-length 4096 --micro-batch-size 1 --global-batch-size 256 "
        "--train-iters 1000 --bf16\n";
    std::string hostile = "#!/bin/bash\nA=" + std::string(60000, 'x') + "\n";
    while (hostile.size() + 64 < (256u << 10)) hostile += "B=\"$A$A$A$A$A$A$A$A\"; srun python pretrain_gpt.py $B\n";
    hostile += megatron.substr(12);
    const double t_detect = median_s(plain, *snap, 201, megatron);
    const double t_hostile = median_s(plain, *snap, 21, hostile);
    std::printf("  Megatron script, no options  %9.1f us   %.1fx\n", t_detect * 1e6, t_detect / base);
    std::printf("  256 KiB hostile script       %9.1f us   %.1fx   (target < 10 ms)\n", t_hostile * 1e6,
                t_hostile / base);

    // 40 distinct 8 MB --llm-config values through one cache, as slurmctld keeps it.
    DecisionCache cache;
    malloc_trim(0);
    const long rss0 = rss_kib();
    for (int i = 0; i < 40; ++i) {
        const std::vector<std::string> env = {model, kPrefix + "config=" + std::to_string(i) +
                                                         std::string(8u << 20, '/')};
        submit(env, *snap, cache);
    }
    malloc_trim(0);  // what the inputs used is given back; what the cache keeps is not
    const long grew_kib = rss_kib() - rss0;
    std::printf("40 x 8 MB distinct --llm-config: cache %zu entries, %zu bytes; RSS %+ld KiB"
                "   (target < 50 MB)\n", cache.size(), cache.bytes(), grew_kib);

    // Values within the bounds are decided and cached: 10 000 distinct 4 KB ones fill the cache
    // up to its bounds (4096 entries or 8 MiB), never further.
    DecisionCache full;
    const long rss1 = rss_kib();
    for (int i = 0; i < 10000; ++i) {
        std::string path = "/" + std::to_string(i) + std::string(kMaxOptionValueBytes - 8, 'c');
        submit({model, kPrefix + "config=" + path, "AIFACTORY_ARCH=layers=2"}, *snap, full);
    }
    malloc_trim(0);
    std::printf("10 000 x 4 KB distinct --llm-config: cache %zu entries, %zu bytes; RSS %+ld KiB\n",
                full.size(), full.bytes(), rss_kib() - rss1);

    bool ok = t_huge < 0.010 && grew_kib < 50 * 1024 && cache.bytes() < (50u << 20);
    ok = ok && t_hostile < 0.010;
    if (!ok) std::printf("FAIL: over target\n");
    return ok ? 0 : 1;
}
