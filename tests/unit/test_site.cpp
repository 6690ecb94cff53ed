// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/site: aifactory.conf parsing, GPU counts from TRES strings, the forwarded
// --llm-* options, and message wrapping.
#include "record/prediction.hpp"
#include "site/runs.hpp"

#include <check.h>
#include "check_main.hpp"  // ck_assert_str_eq that is safe with temporaries

#include "check_main.hpp"

#include <string>
#include <vector>

#include "common/error.hpp"
#include "site/gpu_request.hpp"
#include "site/site_config.hpp"
#include "site/spank_env.hpp"

using namespace aif;
using namespace aif::site;

// Expects parse_site_config(text) to throw an InputError whose text starts with `prefix`.
static void expect_conf_error(const char* text, const char* prefix) {
    try {
        parse_site_config(text, "/etc/slurm/aifactory.conf");
        ck_abort_msg("no error for: %s", text);
    } catch (const InputError& e) {
        ck_assert_msg(std::string(e.what()).rfind(prefix, 0) == 0, "got '%s', want '%s...'",
                      e.what(), prefix);
    }
}

START_TEST(site_conf_reads_partitions_and_globals) {
    const char* text =
        "# site\n"
        "DefaultPolicy=warn   DefaultHeadroom=3%\n"
        "ExemptAccounts=admins,bench ExemptUsers=root\n"
        "ExemptQOS=debug\n"
        "HardwareCatalogue=site-hw.json,/opt/x.json\n"
        "ModelCatalogue=\"our models.json\"\n"
        "PartitionName=boost_usr_prod System=leonardo-booster Policy=enforce Headroom=5%\n"
        "PartitionName=dev System=leonardo-booster   # inherits warn and 3%\n"
        "partitionname=lumi system=lumi-g headroom=0.1 AllowUserWarn=yes\n";
    SiteConfig c = parse_site_config(text, "aifactory.conf", "/etc/slurm");
    ck_assert_int_eq(c.partitions.size(), 3);
    const PartitionRule* b = c.find("boost_usr_prod");
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(b->system.c_str(), "leonardo-booster");
    ck_assert(b->policy == Policy::Enforce);
    ck_assert_double_eq_tol(b->headroom, 0.05, 1e-12);
    ck_assert(!b->allow_user_warn);
    ck_assert_str_eq(b->origin.c_str(), "aifactory.conf:7");
    const PartitionRule* dev = c.find("dev");
    ck_assert(dev->policy == Policy::Warn);
    ck_assert_double_eq_tol(dev->headroom, 0.03, 1e-12);
    const PartitionRule* lumi = c.find("lumi");
    ck_assert(lumi->allow_user_warn);
    ck_assert_double_eq_tol(lumi->headroom, 0.1, 1e-12);
    ck_assert_ptr_null(c.find("nope"));
    ck_assert(c.exempt("bench", "alice", ""));
    ck_assert(c.exempt("", "root", ""));
    ck_assert(c.exempt("x", "y", "debug"));
    ck_assert(!c.exempt("x", "y", "normal"));
    ck_assert(!c.exempt("", "", ""));
    ck_assert_int_eq(c.hardware_files.size(), 2);
    ck_assert_str_eq(c.hardware_files[0].c_str(), "/etc/slurm/site-hw.json");
    ck_assert_str_eq(c.hardware_files[1].c_str(), "/opt/x.json");
    ck_assert_str_eq(c.model_files[0].c_str(), "/etc/slurm/our models.json");
}
END_TEST

START_TEST(site_conf_errors_name_file_and_line) {
    expect_conf_error("\n\nPartitionName=a Policy=strict System=x\n",
                      "/etc/slurm/aifactory.conf:3: Policy: 'strict' is not enforce, warn or off");
    expect_conf_error("PartitionName=a\n", "/etc/slurm/aifactory.conf:1: PartitionName=a needs System=");
    expect_conf_error("PartitionName=a System=x Colour=red\n",
                      "/etc/slurm/aifactory.conf:1: unknown partition key 'Colour'");
    expect_conf_error("DefaultPolicy=enforce\nFrobnicate=1\n",
                      "/etc/slurm/aifactory.conf:2: unknown key 'Frobnicate'");
    expect_conf_error("PartitionName=a System=x Headroom=95%\n",
                      "/etc/slurm/aifactory.conf:1: Headroom");
    expect_conf_error("just words\n", "/etc/slurm/aifactory.conf:1: 'just' is not Key=Value");
    expect_conf_error("DefaultPolicy=\n", "/etc/slurm/aifactory.conf:1: DefaultPolicy= has no value");
    expect_conf_error("PartitionName=a System=x\nPartitionName=a System=y\n",
                      "/etc/slurm/aifactory.conf:2: partition a already described at "
                      "/etc/slurm/aifactory.conf:1");
    expect_conf_error("ModelCatalogue=\"open\n", "/etc/slurm/aifactory.conf:1: unterminated quote");
    expect_conf_error("Frameworks=torchtitan\n",
                      "/etc/slurm/aifactory.conf:1: Frameworks: 'torchtitan' names no version");
    expect_conf_error("Frameworks=torchtitan@2024.12,torchtitan@2025.06\n",
                      "/etc/slurm/aifactory.conf:1: Frameworks: torchtitan is pinned twice");
    expect_conf_error("Frameworks=jax@1\n", "/etc/slurm/aifactory.conf:1: Frameworks: unknown framework 'jax'");
}
END_TEST

START_TEST(site_conf_missing_file_is_an_input_error) {
    try {
        load_site_config("/nonexistent/aifactory.conf");
        ck_abort_msg("no error");
    } catch (const InputError& e) {
        ck_assert_str_eq(e.what(), "/nonexistent/aifactory.conf: No such file or directory");
    }
}
END_TEST

START_TEST(default_partition_from_slurm_conf) {
    ck_assert_str_eq(default_partition_of_slurm_conf(
                         "NodeName=a CPUs=2\n"
                         "PartitionName=DEFAULT Default=YES\n"
                         "PartitionName=small Nodes=a\n"
                         "#PartitionName=old Default=YES\n"
                         "PartitionName=big Nodes=a default=yes MaxTime=1\n")
                         .c_str(),
                     "big");
    ck_assert_str_eq(default_partition_of_slurm_conf("PartitionName=x Nodes=a\n").c_str(), "");
}
END_TEST

START_TEST(gpu_entries_in_tres_strings) {
    ck_assert_int_eq(gpus_in_tres("gres:gpu:4"), 4);
    ck_assert_int_eq(gpus_in_tres("gres:gpu:a100:2,gres:gpu:1"), 3);
    ck_assert_int_eq(gpus_in_tres("gres/gpu:8"), 8);
    ck_assert_int_eq(gpus_in_tres("gres/gpu:mi250x:8"), 8);
    ck_assert_int_eq(gpus_in_tres("gres:gpu"), 1);
    ck_assert_int_eq(gpus_in_tres("gres:gpu:a100"), 1);
    ck_assert_int_eq(gpus_in_tres("gres:shard:2,gres:mps:100"), -1);
    ck_assert_int_eq(gpus_in_tres("gres:gpus_fake:3"), -1);
    ck_assert_int_eq(gpus_in_tres("gres:shard:2,gres:gpu:2"), 2);
    ck_assert_int_eq(gpus_in_tres(""), -1);
    // TRES form of 23.11+ clients (tres_per_task "cpu=1,gres/gpu=1"; seen from sbatch 26.05.5).
    ck_assert_int_eq(gpus_in_tres("gres/gpu=1"), 1);
    ck_assert_int_eq(gpus_in_tres("cpu=2,gres/gpu:a100=2"), 2);
    ck_assert_int_eq(gpus_in_tres("gres/gpu=x"), -1);
    ck_assert_int_eq(gpus_in_tres("gres/gpus=3"), -1);
}
END_TEST

START_TEST(gpu_count_over_nodes_tasks_and_sockets) {
    JobShape j;
    j.tres_per_node = "gres:gpu:4";
    j.min_nodes = 8;
    GpuRequest r = count_gpus(j);
    ck_assert_int_eq(r.gpus, 32);
    ck_assert_int_eq(r.nodes, 8);

    JobShape job;  // --gpus=16, no -N: nodes left to derive
    job.tres_per_job = "gres:gpu:16";
    r = count_gpus(job);
    ck_assert_int_eq(r.gpus, 16);
    ck_assert_int_eq(r.nodes, 0);

    JobShape task;  // -n 8 --gpus-per-task=1
    task.tres_per_task = "gres:gpu:1";
    task.num_tasks = 8;
    ck_assert_int_eq(count_gpus(task).gpus, 8);
    task.num_tasks = 0;  // -N 2 --ntasks-per-node=4 --gpus-per-task=1
    task.min_nodes = 2;
    task.ntasks_per_node = 4;
    ck_assert_int_eq(count_gpus(task).gpus, 8);

    JobShape sock;  // -N 2 --sockets-per-node=2 --gpus-per-socket=2
    sock.tres_per_socket = "gres:gpu:2";
    sock.min_nodes = 2;
    sock.sockets_per_node = 2;
    ck_assert_int_eq(count_gpus(sock).gpus, 8);

    JobShape none;  // CPU job
    none.min_nodes = 4;
    ck_assert_int_eq(count_gpus(none).gpus, 0);

    JobShape single;  // --gres=gpu:a100:2 without -N: one node
    single.tres_per_node = "gres:gpu:a100:2";
    ck_assert_int_eq(count_gpus(single).gpus, 2);
}
END_TEST

// Found by fuzz_job_desc: 8e18 GPUs per node x 2 nodes overflowed a long (UBSan).
START_TEST(absurd_gpu_counts_saturate) {
    JobShape j;
    j.tres_per_node = "gres:gpu:000000000008198552921648689606";
    j.min_nodes = 2;
    GpuRequest r = count_gpus(j);
    ck_assert_int_eq(r.gpus, 1L << 24);
    j.tres_per_node = "gres:gpu:4,gres:gpu:9223372036854775807";
    ck_assert_int_eq(count_gpus(j).gpus, 1L << 24);
    j.tres_per_node.clear();
    j.tres_per_task = "gres:gpu:2";
    j.ntasks_per_node = 65535;
    j.min_nodes = 1 << 30;
    ck_assert_int_eq(count_gpus(j).gpus, 1L << 24);
}
END_TEST

START_TEST(spank_env_options_are_read_back) {
    const char* env[] = {
        "_SLURM_SPANK_OPTION_aifactory_llm_model=llama3.1-70b",
        "_SLURM_SPANK_OPTION_aifactory_llm_layout=tp=4,pp=4",
        "_SLURM_SPANK_OPTION_otherplugin_llm_model=ignored",
        "SOMETHING=else",
        nullptr,
        "_SLURM_SPANK_OPTION_aifactory_llm_check=warn",
        "_SLURM_SPANK_OPTION_aifactory_llm_config=/home/u/config.json",
        "AIFACTORY_ARCH=hidden=4096,layers=32",
        "_SLURM_SPANK_OPTION_aifactory_llm_layout=tp=8",
        "_SLURM_SPANK_OPTION_aifactory_llm_dist_opt=on",
    };
    LlmOptions o = read_spank_env(env, sizeof env / sizeof env[0]);
    ck_assert(o.any());
    ck_assert(o.describes_model());
    ck_assert_int_eq(o.values.size(), 3);
    ck_assert_str_eq(o.get("model")->c_str(), "llama3.1-70b");
    ck_assert_str_eq(o.get("layout")->c_str(), "tp=8");  // the later one wins
    ck_assert_str_eq(o.get("dist-opt")->c_str(), "on");
    ck_assert_str_eq(o.check.c_str(), "warn");
    ck_assert_str_eq(o.config.c_str(), "/home/u/config.json");
    ck_assert_str_eq(o.arch.c_str(), "hidden=4096,layers=32");

    const char* plain[] = {"_SLURM_SPANK_OPTION_otherplugin_x=1", "PATH=/bin"};
    ck_assert(!read_spank_env(plain, 2).any());
    ck_assert(!read_spank_env(nullptr, 0).any());
    const char* only_check[] = {"_SLURM_SPANK_OPTION_aifactory_llm_check=off"};
    LlmOptions c = read_spank_env(only_check, 1);
    ck_assert(c.any());
    ck_assert(!c.describes_model());
}
END_TEST

// Issue 11: spank_job_env comes from any user through the submit API. A 16 MB option name, 40 000
// entries or an 8 MB value are refused by bounds, not carried into the decision and its cache.
START_TEST(spank_env_is_bounded) {
    const std::string prefix = kOptionPrefix;
    const std::string huge_key = prefix + std::string(16u << 20, 'q') + "=";
    const char* one[] = {"_SLURM_SPANK_OPTION_aifactory_llm_model=llama3.1-8b", huge_key.c_str()};
    LlmOptions o = read_spank_env(one, 2);
    ck_assert(o.any());
    ck_assert_int_eq(o.values.size(), 1);  // the model only
    ck_assert_msg(o.problem.find("name too long") != std::string::npos, "%s", o.problem.c_str());
    ck_assert_int_le(o.problem.size(), 100);

    std::vector<std::string> many;
    for (int i = 0; i < 40000; ++i) many.push_back(prefix + "k" + std::to_string(i) + "=1");
    std::vector<const char*> ptrs;
    for (const auto& e : many) ptrs.push_back(e.c_str());
    o = read_spank_env(ptrs.data(), ptrs.size());
    ck_assert_int_le(o.values.size(), kMaxOptionEntries);
    ck_assert_msg(o.problem.find("too many --llm-* options") != std::string::npos, "%s", o.problem.c_str());

    const std::string big_config = prefix + "config=" + std::string(8u << 20, '/');
    const std::string big_arch = std::string(kArchEnv) + "=" + std::string(kMaxOptionValueBytes + 1, 'h');
    const char* values[] = {"_SLURM_SPANK_OPTION_aifactory_llm_model=llama3.1-8b", big_config.c_str(),
                            big_arch.c_str()};
    o = read_spank_env(values, 3);
    ck_assert(o.config.empty() && o.arch.empty());
    ck_assert_msg(o.problem.find("--llm-config: value too long") == 0, "%s", o.problem.c_str());

    // At the bounds everything is still read.
    const std::string at_limit = prefix + "tokens=" + std::string(kMaxOptionValueBytes, '1');
    const char* fine[] = {at_limit.c_str()};
    o = read_spank_env(fine, 1);
    ck_assert(o.problem.empty());
    ck_assert_int_eq(o.get("tokens")->size(), kMaxOptionValueBytes);
}
END_TEST

START_TEST(option_names_match_slurm_env_names) {
    ck_assert_str_eq(option_key_from_env("dist_opt").c_str(), "dist-opt");
    ck_assert_str_eq(option_key_from_env("model").c_str(), "model");
    ck_assert_int_eq(llm_option_names().size(), 20);
}
END_TEST

START_TEST(run_names_are_validated) {
    ck_assert(run_name_problem("llama-70b.pretrain_v2").empty());
    ck_assert(run_name_problem(std::string(64, 'a')).empty());
    ck_assert(run_name_problem(std::string(65, 'a')).find("at most 64") != std::string::npos);
    ck_assert(run_name_problem("").find("empty") != std::string::npos);
    ck_assert(run_name_problem("a b").find("' '") != std::string::npos);
    ck_assert(run_name_problem("a;sig=x").find("';'") != std::string::npos);
    ck_assert_str_eq(aif::record::default_run_name("proj1", "Llama 3.1/70B").c_str(), "proj1.Llama_3.1_70B");
    // The run travels inside the signed prediction, and a forged one does not decode.
    aif::record::Prediction p;
    p.verdict = "fits";
    p.run = "r1";
    p.flops_per_token = 4.2e11;
    p.tokens = 1e9;
    const auto back = aif::record::Prediction::decode(p.encode());
    ck_assert_str_eq(back.run.c_str(), "r1");
    ck_assert(*back.flops_per_token == 4.2e11 && *back.tokens == 1e9);
    ck_assert_str_eq(p.encode().c_str(), "verdict=fits;flops_per_token=420000000000;tokens=1000000000;run=r1");
    try {
        aif::record::Prediction::decode("verdict=fits;run=a b");
        ck_abort_msg("a bad run name decoded");
    } catch (const aif::InputError&) {
    }
}
END_TEST

START_TEST(run_summary_and_threshold_line) {
    const RunTotals t = parse_run_summary("aifactory.runs/1\n# comment\nas_of 2026-12-01T00:00:00Z\n"
                                          "threshold 1e25\nthreshold 1e23\nrun X 7.9e24\n", "runs.txt");
    ck_assert_int_eq(t.thresholds.size(), 2);
    ck_assert(t.thresholds[0] == 1e23);
    ck_assert_str_eq(threshold_text(t, "X", 3e24).c_str(),
                     "run X: 7.9e24 FLOP so far (as of 2026-12-01T00:00:00Z); this job adds ~3e24 -> crosses 1e25");
    ck_assert(threshold_text(t, "X", 1e24).empty());               // stays under 1e25
    ck_assert_str_eq(threshold_text(t, "new", 2e23).c_str(),         // unknown run: from 0
                     "run new: 0 FLOP so far (as of 2026-12-01T00:00:00Z); this job adds ~2e23 -> crosses 1e23");
    ck_assert_str_eq(fmt_flop(1e25).c_str(), "1e25");
    for (const char* bad : {"", "run X 1\n", "aifactory.runs/1\nrun X -1\n", "aifactory.runs/1\nrun a;b 1\n",
                            "aifactory.runs/1\nthreshold\n"}) {
        try {
            parse_run_summary(bad, "runs.txt");
            ck_abort_msg("accepted: %s", bad);
        } catch (const aif::InputError& e) {
            ck_assert(std::string(e.what()).find("runs.txt") == 0);
        }
    }
}
END_TEST

int main() {
    Suite* s = suite_create("site");

    TCase* tc = tcase_create("site");
    tcase_add_test(tc, site_conf_reads_partitions_and_globals);
    tcase_add_test(tc, run_names_are_validated);
    tcase_add_test(tc, run_summary_and_threshold_line);
    tcase_add_test(tc, site_conf_errors_name_file_and_line);
    tcase_add_test(tc, site_conf_missing_file_is_an_input_error);
    tcase_add_test(tc, default_partition_from_slurm_conf);
    tcase_add_test(tc, gpu_entries_in_tres_strings);
    tcase_add_test(tc, absurd_gpu_counts_saturate);
    tcase_add_test(tc, gpu_count_over_nodes_tasks_and_sockets);
    tcase_add_test(tc, spank_env_options_are_read_back);
    tcase_add_test(tc, option_names_match_slurm_env_names);
    tcase_add_test(tc, spank_env_is_bounded);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
