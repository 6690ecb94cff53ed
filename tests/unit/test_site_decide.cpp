// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for the job_submit decision (lib/site/decide): policy x exemptions x verdict, with
// the shipped catalogues and a site file written to a temporary directory.
// <fstream> first: check.h defines a `fail` macro that breaks the iostream headers.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <check.h>

#include "check_main.hpp"

#include "common/error.hpp"
#include "site/decide.hpp"

using namespace aif::site;

static std::shared_ptr<const Snapshot> snap;

static void write_site(const char* text,
                       const char* slurm_text = "PartitionName=boost_usr_prod Nodes=a Default=YES\n") {
    char dir[] = "/tmp/aif-site-test.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const std::string path = std::string(dir) + "/aifactory.conf";
    std::ofstream(path) << text;
    const std::string slurm = std::string(dir) + "/slurm.conf";
    std::ofstream(slurm) << slurm_text;
    auto clean = [&] {
        std::remove(path.c_str());
        std::remove(slurm.c_str());
        rmdir(dir);
    };
    try {
        snap = load_snapshot(path, slurm);
    } catch (...) {
        clean();
        throw;
    }
    clean();
}

static void setup() {
    write_site("ExemptAccounts=bench\n"
               "PartitionName=boost_usr_prod System=leonardo-booster Policy=enforce Headroom=5%\n"
               "PartitionName=standard-g System=lumi-g Policy=warn AllowUserWarn=yes\n"
               "PartitionName=dev System=leonardo-booster Policy=off\n"
               "PartitionName=typo System=leonardo-boostr\n");
}

static Submission job(std::initializer_list<std::pair<std::string, std::string>> opts, long gpus,
                      long nodes = 0, const char* partition = "") {
    Submission s;
    for (const auto& [k, v] : opts) {
        if (k == "check") s.options.check = v;
        else s.options.values.emplace_back(k, v);
    }
    s.gpus.gpus = gpus;
    s.gpus.nodes = nodes;
    s.partition = partition;
    return s;
}

static bool has_line(const Decision& d, const std::string& part) {
    for (const auto& l : d.lines)
        if (l.find(part) != std::string::npos) return true;
    return false;
}

static void all_narrow(const Decision& d) {
    for (const auto& l : d.lines) ck_assert_msg(l.size() <= kMaxLine, "too wide: '%s'", l.c_str());
}

START_TEST(snapshot_drops_unknown_systems_and_finds_default) {
    ck_assert_int_eq(snap->config.partitions.size(), 3);
    ck_assert_ptr_null(snap->config.find("typo"));
    ck_assert_int_eq(snap->notes.size(), 1);
    ck_assert(snap->notes[0].find("System=leonardo-boostr") != std::string::npos);
    ck_assert_str_eq(snap->default_partition.c_str(), "boost_usr_prod");
}
END_TEST

START_TEST(jobs_without_options_pass_untouched) {
    Decision d = decide(job({}, 4, 1), *snap);
    ck_assert(d.action == Action::Pass);
    ck_assert(d.lines.empty());
    ck_assert(d.prediction.empty());
    d = decide(job({{"check", "warn"}}, 4, 1), *snap);
    ck_assert(d.action == Action::Pass);
}
END_TEST

static std::string joined(const Decision& d) {
    std::string s;
    for (const auto& l : d.lines) s += l + "\n";
    return s;
}

START_TEST(fitting_job_is_accepted_with_a_prediction) {
    Decision d = decide(job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}}, 4, 1), *snap);
    ck_assert_str_eq(name(d.action), "accept");
    // "OK," first: Slurm prints these lines as "error:" when it refuses the job for another reason.
    ck_assert_msg(d.lines[0].rfind("aifactory: OK, llama3.1-8b fits: ", 0) == 0, "%s", d.lines[0].c_str());
    ck_assert(d.prediction.rfind("verdict=fits;", 0) == 0);
    // What was not given is said (issue 17), as the options that would set it.
    // The estimate with the Megatron profile's band (etc/bands.json), against usable memory.
    ck_assert_str_eq(joined(d).c_str(), "aifactory: OK, llama3.1-8b fits: needs 44.8 GiB per GPU\n"
                                        "  (40.8-49.8) of 60.2 usable\n"
                                        "aifactory: assumed (not given): --llm-seq=4096 --llm-mbs=1\n"
                                        "  --llm-recompute=none\n");
    all_narrow(d);
}
END_TEST

START_TEST(time_limit_is_compared_with_the_estimate) {
    auto run = [](const char* tokens, long limit_min, const char* part = "boost_usr_prod") {
        Submission s = job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}, {"seq", "4096"}, {"mbs", "1"},
                            {"recompute", "none"}, {"tokens", tokens}},
                           4, 1, part);
        s.time_limit_min = limit_min;
        return decide(s, *snap);
    };
    // 2T tokens in 1 h: accepted, with how much one job does and how many jobs the run needs.
    Decision d = run("2T", 60);
    ck_assert_str_eq(name(d.action), "accept");
    ck_assert_str_eq(joined(d).c_str(), "aifactory: OK, llama3.1-8b fits: needs 44.8 GiB per GPU\n"
                                        "  (40.8-49.8) of 60.2 usable\n"
                                        "aifactory: est. 5.4 years, 191K GPU-hours on 4 GPUs\n"
                                        "aifactory: the 1 h limit (-t) holds 41.9M of 2T tokens: the run\n"
                                        "  needs 47730 jobs\n");
    all_narrow(d);
    // Tiny runs read honestly: no "1 min, 0 GPU-hours".
    d = run("1M", -1);
    ck_assert_str_eq(joined(d).c_str(), "aifactory: OK, llama3.1-8b fits: needs 44.8 GiB per GPU\n"
                                        "  (40.8-49.8) of 60.2 usable\n"
                                        "aifactory: est. 1 min, <0.1 GPU-hours on 4 GPUs\n");
    ck_assert(has_line(run("100K", -1), "est. under 1 min, <0.1 GPU-hours"));
    // A run that fits in its limit gets no extra line.
    ck_assert(!has_line(run("100M", 12 * 60), "limit"));
    // Under MinProgress (30 min by default): cannot reach a checkpoint; rejected under enforce
    // with the time-limit error, accepted with a warning under warn.
    d = run("10B", 10);
    ck_assert_str_eq(name(d.action), "reject");
    ck_assert(d.problem == Problem::TooShort);
    ck_assert_str_eq(joined(d).c_str(), "aifactory: the 10 min limit (-t) is under MinProgress=30 min: the\n"
                                        "  job cannot reach a checkpoint; ask for --time=30:00 or more\n");
    d = run("10B", 10, "standard-g");
    ck_assert_str_eq(name(d.action), "warn");
    ck_assert(has_line(d, "accepted anyway (policy warn on standard-g)"));
    ck_assert_str_eq(name(run("10B", 0).action), "accept");  // -t 0: no limit
}
END_TEST

START_TEST(partition_time_limits_come_from_slurm_conf) {
    ck_assert_int_eq(parse_minutes("90", "t"), 90);
    ck_assert_int_eq(parse_minutes("1:30", "t"), 2);  // 1 min 30 s, rounded up
    ck_assert_int_eq(parse_minutes("01:00:00", "t"), 60);
    ck_assert_int_eq(parse_minutes("2-12", "t"), 2 * 1440 + 12 * 60);
    ck_assert_int_eq(parse_minutes("1-00:30:00", "t"), 1440 + 30);
    ck_assert_int_eq(parse_minutes("UNLIMITED", "t"), 0);
    ck_assert_int_eq(parse_minutes("30min", "t"), 30);
    ck_assert_int_eq(parse_minutes("2h", "t"), 120);
    ck_assert_input_error(parse_minutes("soon", "MinProgress"), "MinProgress: 'soon' is not a time");
    write_site("MinProgress=2h\n"
               "PartitionName=boost_usr_prod System=leonardo-booster Policy=enforce Headroom=5%\n",
               "PartitionName=DEFAULT MaxTime=1-00:00:00\n"
               "PartitionName=boost_usr_prod Nodes=a Default=YES DefaultTime=01:00:00\n");
    ck_assert_int_eq(snap->config.min_progress_min, 120);
    ck_assert_int_eq(snap->partition_times.size(), 1);
    ck_assert_int_eq(snap->partition_times[0].max_min, 1440);
    Decision d = decide(job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}}, 4, 1), *snap);
    ck_assert(d.problem == Problem::TooShort);
    ck_assert_str_eq(joined(d).c_str(),
                     "aifactory: the 1 h limit (DefaultTime of boost_usr_prod) is under\n"
                     "  MinProgress=2 h: the job cannot reach a checkpoint; ask for\n"
                     "  --time=2:00:00 or more\n"
                     "aifactory: assumed (not given): --llm-seq=4096 --llm-mbs=1\n"
                     "  --llm-recompute=none\n");
    setup();
}
END_TEST

START_TEST(config_models_are_named_and_not_mixed_with_model) {
    Submission s = job({}, 4, 1);
    s.options.arch = "hidden=2048,layers=16,heads=32,kv_heads=8,ffn=8192,vocab=128256,tied=1";
    s.options.config = "config.json";
    s.options.arch_name = "Llama-3.2-1B";
    Decision d = decide(s, *snap);
    ck_assert_msg(d.lines[0].rfind("aifactory: OK, Llama-3.2-1B fits: ", 0) == 0, "%s", d.lines[0].c_str());
    s.options.values.emplace_back("model", "llama3.1-8b");
    d = decide(s, *snap);
    ck_assert(d.problem == Problem::BadRequest);
    ck_assert_str_eq(name(d.action), "reject");
    ck_assert_str_eq(joined(d).c_str(), "aifactory: --llm-model=llama3.1-8b and --llm-config=config.json\n"
                                        "  both describe the model; give one of them\n");
}
END_TEST

START_TEST(oversized_job_is_rejected_under_enforce) {
    Decision d = decide(job({{"model", "llama3.1-70b"}, {"layout", "tp=4,pp=4"}}, 32, 8,
                            "boost_usr_prod"),
                        *snap);
    ck_assert_str_eq(name(d.action), "reject");
    ck_assert(d.problem == Problem::DoesNotFit);
    ck_assert(has_line(d, "does not fit in GPU memory"));
    ck_assert(has_line(d, "-p standard-g"));  // the site's other partition is suggested
    ck_assert(!has_line(d, "-p dev"));        // ... but not one that maps to the same hardware
    ck_assert_str_eq(d.lines[0].c_str(), "aifactory: llama3.1-70b does not fit in GPU memory.");
    ck_assert_msg(d.lines[1].rfind("Needs ", 0) == 0 && d.lines[1].find(") of 60.2 usable.") != std::string::npos,
                  "%s", d.lines[1].c_str());
    ck_assert_msg(d.lines[2].rfind("Largest term: ", 0) == 0, "%s", d.lines[2].c_str());
    ck_assert_str_eq(d.lines[3].c_str(), "Asked for: 32 GPUs, tp=4,pp=4.");
    all_narrow(d);
}
END_TEST

// The band straddles usable memory: accepted even under enforce, with a warning that names what
// decides and the smallest change that makes even the band's upper end fit.
START_TEST(may_not_fit_is_accepted_under_enforce_with_a_warning) {
    Decision d = decide(job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}, {"mbs", "3"}, {"seq", "4096"}, {"recompute", "none"}}, 4, 1),
                        *snap);
    ck_assert_str_eq(name(d.action), "warn");
    ck_assert(d.problem == Problem::None);
    ck_assert_msg(d.prediction.rfind("verdict=may-not-fit;gib_per_gpu=61.60;capacity_gib=60.15;gib_lo=56.00;gib_hi=68.44;", 0) == 0,
                  "%s", d.prediction.c_str());
    ck_assert_str_eq(joined(d).c_str(),
                     "aifactory: llama3.1-8b may not fit: needs 61.6 GiB per GPU\n"
                     "  (56.0-68.4) of 60.2 usable\n"
                     "aifactory: the band's upper end decides; largest term: optimizer\n"
                     "  states, 22.4 GiB per GPU\n"
                     "aifactory: to be safe: --llm-recompute=full (41.9 GiB, at most\n"
                     "  46.6)\n"
                     "aifactory: accepted anyway: the band's low end fits\n");
    ck_assert(d.log.rfind("may not fit: verdict=may-not-fit;", 0) == 0);
    all_narrow(d);
}
END_TEST

// Frameworks= pins what a bare framework name means on this site; a named version is kept.
START_TEST(site_pins_the_framework_version) {
    auto gib = [](const Decision& d) { return d.prediction.substr(0, d.prediction.find(";capacity_gib")); };
    auto tt = [](const char* f) { return job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"framework", f}}, 4, 1); };
    const std::string newest = gib(decide(tt("torchtitan"), *snap));
    const std::string old = gib(decide(tt("torchtitan@2024.12"), *snap));
    ck_assert_str_ne(newest.c_str(), old.c_str());
    write_site("Frameworks=torchtitan@2024.12\n"
               "PartitionName=boost_usr_prod System=leonardo-booster Policy=enforce Headroom=5%\n");
    ck_assert_int_eq(snap->config.framework_pins.size(), 1);
    ck_assert_str_eq(gib(decide(tt("torchtitan"), *snap)).c_str(), old.c_str());
    ck_assert_str_eq(gib(decide(tt("torchtitan@2026.06"), *snap)).c_str(), newest.c_str());
    setup();
}
END_TEST

START_TEST(warn_policy_exemption_and_user_check) {
    auto big = [](const char* part) {
        return job({{"model", "llama3.1-70b"}, {"layout", "tp=4"}}, 4, 1, part);
    };
    Decision d = decide(big("standard-g"), *snap);
    ck_assert_str_eq(name(d.action), "warn");
    ck_assert(has_line(d, "accepted anyway (policy warn on standard-g)"));

    Submission s = big("boost_usr_prod");
    s.account = "bench";
    d = decide(s, *snap);
    ck_assert_str_eq(name(d.action), "warn");
    ck_assert(has_line(d, "accepted anyway (exempt)"));

    s = big("boost_usr_prod");
    s.options.check = "warn";
    d = decide(s, *snap);
    ck_assert_str_eq(name(d.action), "reject");
    ck_assert(has_line(d, "--llm-check=warn is not allowed on boost_usr_prod"));

    s = big("standard-g");
    s.options.check = "off";  // AllowUserWarn=yes there
    ck_assert_str_eq(name(decide(s, *snap).action), "pass");
    s.options.check = "enforce";
    ck_assert_str_eq(name(decide(s, *snap).action), "reject");
    s.options.check = "sometimes";
    d = decide(s, *snap);
    ck_assert(d.problem == Problem::BadRequest);
    ck_assert(has_line(d, "--llm-check: 'sometimes' is not enforce, warn or off"));

    ck_assert_str_eq(name(decide(big("dev"), *snap).action), "pass");  // Policy=off
}
END_TEST

// torchtitan shards over every data-parallel rank unless told: --llm-fsdp=off is plain DDP, whose
// fp32 weights, gradients and Adam states (16 B/param) do not fit Llama 3.1 8B in 64 GB.
START_TEST(llm_fsdp_sets_the_sharding) {
    const std::initializer_list<std::pair<std::string, std::string>> base = {
        {"model", "llama3.1-8b"}, {"framework", "torchtitan"}, {"seq", "4096"}, {"recompute", "full"}};
    Decision d = decide(job(base, 8, 2), *snap);
    ck_assert_msg(d.action == Action::Accept, "%s", joined(d).c_str());
    ck_assert_msg(has_line(d, "--llm-fsdp=full"), "%s", joined(d).c_str());  // said as assumed
    // torch.compile moves the loss's bytes per logit: its default is said too, and not once given.
    ck_assert_msg(has_line(d, "--llm-compile=off"), "%s", joined(d).c_str());
    Submission compiled = job(base, 8, 2);
    compiled.options.values.emplace_back("compile", "on");
    ck_assert_msg(!has_line(decide(compiled, *snap), "--llm-compile"), "%s", joined(d).c_str());
    Submission ddp = job(base, 8, 2);
    ddp.options.values.emplace_back("fsdp", "off");
    d = decide(ddp, *snap);
    ck_assert_msg(d.action == Action::Reject, "%s", joined(d).c_str());
    Submission bad = job(base, 8, 2);
    bad.options.values.emplace_back("fsdp", "maybe");
    d = decide(bad, *snap);
    ck_assert(d.problem == Problem::BadRequest);
    ck_assert(has_line(d, "--llm-fsdp"));
}
END_TEST

START_TEST(bad_requests_name_what_is_wrong) {
    Decision d = decide(job({{"model", "lama3-70b"}}, 4, 1), *snap);
    ck_assert_str_eq(name(d.action), "reject");
    ck_assert(d.problem == Problem::BadRequest);
    ck_assert(has_line(d, "unknown model 'lama3-70b'"));
    all_narrow(d);

    d = decide(job({{"layout", "tp=4"}}, 4, 1), *snap);
    ck_assert(d.problem == Problem::BadRequest);
    ck_assert(has_line(d, "need --llm-model or --llm-config"));

    d = decide(job({{"model", "llama3.1-8b"}}, 0, 1), *snap);
    ck_assert(has_line(d, "asks for no GPUs: add --gpus-per-node=N"));

    d = decide(job({{"model", "llama3.1-8b"}, {"zero", "9"}}, 4, 1), *snap);
    ck_assert(has_line(d, "--llm-zero"));

    d = decide(job({{"model", "llama3.1-8b"}}, 4, 1, "typo"), *snap);  // dropped rule
    ck_assert_str_eq(name(d.action), "accept");
    ck_assert(has_line(d, "partition typo is not described in aifactory.conf"));
    all_narrow(d);
}
END_TEST

START_TEST(wrap_keeps_indentation_and_width) {
    auto w = wrap("  -p standard-g -N 4 --llm-layout=tp=8,pp=4,sp=on (52.3 GiB per GPU)", 60);
    ck_assert_int_eq(w.size(), 2);
    ck_assert_str_eq(w[0].c_str(), "  -p standard-g -N 4 --llm-layout=tp=8,pp=4,sp=on (52.3 GiB");
    ck_assert_str_eq(w[1].c_str(), "    per GPU)");
    w = wrap("aifactory: one two three four", 15);
    ck_assert_int_eq(w.size(), 3);
    ck_assert_str_eq(w[1].c_str(), "  two three");
    ck_assert(wrap("   ").empty());
    ck_assert_int_eq(wrap("short").size(), 1);
}
END_TEST

START_TEST(decision_cache_keys_on_every_input) {
    Submission a = job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}}, 4, 1, "boost_usr_prod");
    Submission b = a;
    ck_assert(DecisionCache::key(a) == DecisionCache::key(b));
    b.gpus.gpus = 8;
    ck_assert(DecisionCache::key(a) != DecisionCache::key(b));
    b = a;
    b.account = "bench";
    ck_assert(DecisionCache::key(a) != DecisionCache::key(b));
    b = a;
    b.options.values[1].second = "tp=2";
    ck_assert(DecisionCache::key(a) != DecisionCache::key(b));
    // A separator character inside a value cannot make one request read as another: these two
    // serialised alike when the key joined fields with '\x1f' (and b's model does not exist).
    b = a;
    b.options.values = {{"model", "llama3.1-8b\x1flayout=tp=4"}};
    ck_assert(DecisionCache::key(a) != DecisionCache::key(b));

    DecisionCache cache(2);
    Decision d = decide(a, *snap), got;
    ck_assert(!cache.find(DecisionCache::key(a), got));
    cache.put(DecisionCache::key(a), d);
    ck_assert(cache.find(DecisionCache::key(a), got));
    ck_assert(got.lines == d.lines);
    ck_assert_str_eq(got.prediction.c_str(), d.prediction.c_str());
    cache.put("x", d);
    cache.put("y", d);  // full: cleared first
    ck_assert_int_eq(cache.size(), 1);
}
END_TEST

// Issue 11: an option name holding "\n[date] error: ..." forged a slurmctld.log line through the
// "needs a value" message, and a 4 MB name was echoed whole on every submission.
START_TEST(user_text_cannot_forge_or_flood_the_log) {
    const std::string forged = "x\n[2026-01-01T00:00:00.000] error: forged line";
    const std::string huge(4u << 20, 'k');
    const std::vector<Submission> subs = {
        job({{"model", "llama3.1-8b"}, {forged, ""}}, 4, 1, "boost_usr_prod"),
        job({{"model", "llama3.1-8b"}, {huge, ""}}, 4, 1, "boost_usr_prod"),
        job({{"model", "llama3.1-8b"}, {forged, "1"}}, 4, 1, "boost_usr_prod"),
        job({{"model", "llama3.1-8b"}, {"check", forged}}, 4, 1, "boost_usr_prod"),
        job({{"model", forged}}, 4, 1, "boost_usr_prod"),
        job({{"model", "llama3.1-8b"}}, 4, 1, "x\nerror: forged partition"),
    };
    for (const auto& sub : subs) {
        const Decision d = decide(sub, *snap);
        ck_assert_msg(d.action != Action::Pass, "%s", d.log.c_str());
        ck_assert_msg(d.log.find('\n') == std::string::npos, "log line split: %s", d.log.c_str());
        ck_assert_int_le(d.log.size(), kMaxLog + 3);
        for (const auto& l : d.lines) {
            ck_assert_msg(l.find_first_of("\n\r") == std::string::npos, "line split: %s", l.c_str());
            ck_assert_int_le(l.size(), 4 * kMaxLine);
        }
    }
}
END_TEST

// A malformed spank_job_env (read_spank_env set `problem`) is a bad request, whatever else it has.
START_TEST(bounded_spank_env_is_a_bad_request) {
    Submission s = job({{"model", "llama3.1-8b"}}, 4, 1, "boost_usr_prod");
    s.options.problem = "too many --llm-* options (over 64)";
    Decision d = decide(s, *snap);
    ck_assert_int_eq(static_cast<int>(d.action), static_cast<int>(Action::Reject));
    ck_assert(has_line(d, "too many --llm-* options"));
    s.partition = "standard-g";
    ck_assert_int_eq(static_cast<int>(decide(s, *snap).action), static_cast<int>(Action::Warn));
}
END_TEST

// Issue 11: 40 distinct 8 MB --llm-config values grew slurmctld by ~1 GB: the cache kept whole
// requests. It keeps a fixed-size digest now, and is bounded in bytes.
START_TEST(decision_cache_is_bounded_in_bytes) {
    DecisionCache cache;
    for (int i = 0; i < 40; ++i) {
        Submission s = job({{"model", "llama3.1-8b"}}, 4, 1, "boost_usr_prod");
        s.options.config = std::string(8u << 20, 'a' + i % 26) + std::to_string(i);
        const std::string key = DecisionCache::key(s);
        ck_assert_int_eq(key.size(), 16);
        cache.put(key, decide(s, *snap));
    }
    ck_assert_int_eq(cache.size(), 40);
    ck_assert_int_le(cache.bytes(), 1u << 20);

    DecisionCache small(4096, 64u << 10);  // 64 KiB: about a hundred decisions, then cleared
    Decision big;
    big.lines.assign(10, std::string(200, 'l'));  // ~2.5 KiB
    for (int i = 0; i < 1000; ++i) small.put(std::to_string(i), big);
    ck_assert_int_le(small.bytes(), 64u << 10);
    ck_assert_int_gt(small.size(), 0);
}
END_TEST

// Slurm >= 23.02 runs job_submit() in several RPC threads at once: the same snapshot and cache
// shared by 8 threads must give exactly the single-threaded answers.
START_TEST(concurrent_decisions_match_serial_ones) {
    std::vector<Submission> subs = {
        job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}}, 4, 1, "boost_usr_prod"),
        job({{"model", "llama3.1-70b"}, {"layout", "tp=4,pp=4"}}, 32, 8, "boost_usr_prod"),
        job({{"model", "llama3.1-70b"}}, 8, 1, "standard-g"),
        job({{"model", "lama3-70b"}}, 4, 1),
    };
    std::vector<Decision> want;
    for (const auto& s : subs) want.push_back(decide(s, *snap));
    DecisionCache cache(3);  // small: clears while the threads run
    std::vector<int> bad(8, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const std::size_t k = (i + t) % subs.size();
                Decision d;
                const std::string key = DecisionCache::key(subs[k]);
                if (!cache.find(key, d)) {
                    d = decide(subs[k], *snap);
                    cache.put(key, d);
                }
                if (d.lines != want[k].lines || d.prediction != want[k].prediction) ++bad[t];
            }
        });
    for (auto& th : threads) th.join();
    for (int t = 0; t < 8; ++t) ck_assert_int_eq(bad[t], 0);
}
END_TEST

int main() {
    Suite* s = suite_create("site_decide");
    TCase* tc = tcase_create("decide");
    tcase_add_unchecked_fixture(tc, setup, nullptr);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, snapshot_drops_unknown_systems_and_finds_default);
    tcase_add_test(tc, jobs_without_options_pass_untouched);
    tcase_add_test(tc, fitting_job_is_accepted_with_a_prediction);
    tcase_add_test(tc, oversized_job_is_rejected_under_enforce);
    tcase_add_test(tc, may_not_fit_is_accepted_under_enforce_with_a_warning);
    tcase_add_test(tc, site_pins_the_framework_version);
    tcase_add_test(tc, time_limit_is_compared_with_the_estimate);
    tcase_add_test(tc, partition_time_limits_come_from_slurm_conf);
    tcase_add_test(tc, config_models_are_named_and_not_mixed_with_model);
    tcase_add_test(tc, warn_policy_exemption_and_user_check);
    tcase_add_test(tc, bad_requests_name_what_is_wrong);
    tcase_add_test(tc, llm_fsdp_sets_the_sharding);
    tcase_add_test(tc, wrap_keeps_indentation_and_width);
    tcase_add_test(tc, decision_cache_keys_on_every_input);
    tcase_add_test(tc, user_text_cannot_forge_or_flood_the_log);
    tcase_add_test(tc, bounded_spank_env_is_a_bad_request);
    tcase_add_test(tc, decision_cache_is_bounded_in_bytes);
    tcase_add_test(tc, concurrent_decisions_match_serial_ones);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
