// SPDX-License-Identifier: GPL-2.0-or-later
// The site model in job_submit: SiteModel= in aifactory.conf is loaded with the snapshot, applied
// to the decision and named in the prediction, and reloaded by the watcher when it changes.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <check.h>

#include "check_main.hpp"
#include "common/error.hpp"
#include "site/decide.hpp"
#include "site/watcher.hpp"

using namespace aif::site;

static std::shared_ptr<const Snapshot> snap;

// Loads `text` as aifactory.conf (in a temp dir, removed afterwards, even when it throws).
static void write_site(const std::string& text) {
    char dir[] = "/tmp/aif-site-test.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const std::string path = std::string(dir) + "/aifactory.conf";
    std::ofstream(path) << text;
    auto clean = [&] {
        std::remove(path.c_str());
        rmdir(dir);
    };
    try {
        snap = load_snapshot(path, "");
    } catch (...) {
        clean();
        throw;
    }
    clean();
}

static Submission job(std::initializer_list<std::pair<std::string, std::string>> opts, long gpus, long nodes) {
    Submission s;
    for (const auto& [k, v] : opts) s.options.values.emplace_back(k, v);
    s.gpus.gpus = gpus;
    s.gpus.nodes = nodes;
    s.partition = "boost_usr_prod";
    return s;
}

START_TEST(site_model_of_the_conf_applies_and_travels_in_the_prediction) {
    write_site("PartitionName=boost_usr_prod System=leonardo-booster Headroom=5%\n");
    const Decision plain = decide(job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}}, 4, 1), *snap);
    ck_assert_msg(plain.prediction.find(";profile=megatron@core_r0.12;gpu=nvidia-a100-sxm4-64gb") != std::string::npos,
                  "%s", plain.prediction.c_str());
    ck_assert(plain.prediction.find("site_activations") == std::string::npos);
    char dir[] = "/tmp/aif-site-model.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const std::string model = std::string(dir) + "/site-model.json";
    std::ofstream(model) << R"({"schema":"aifactory-site-model/1","corrections":[{"profile":"megatron@core_r0.12",)"
                            R"("gpu":"nvidia-a100-sxm4-64gb","activations":0.5,"overhead":2.0,"jobs":77}]})";
    write_site("SiteModel=" + model + "\nPartitionName=boost_usr_prod System=leonardo-booster Headroom=5%\n");
    ck_assert_int_eq(snap->site_model.entries().size(), 1);
    ck_assert(std::find(snap->files.begin(), snap->files.end(), model) != snap->files.end());  // watched
    const Decision cal = decide(job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}}, 4, 1), *snap);
    ck_assert_msg(cal.prediction.find(";site_activations=0.5000;site_overhead=2.0000") != std::string::npos, "%s",
                  cal.prediction.c_str());
    ck_assert(cal.prediction.substr(0, 40) != plain.prediction.substr(0, 40));  // another gib_per_gpu
    // A malformed site model is an error of the snapshot, like a malformed catalogue.
    std::ofstream(model) << R"({"schema":"aifactory-site-model/1","corrections":[{"profile":"x","gpu":"y","activations":9,"overhead":1}]})";
    ck_assert_input_error(write_site("SiteModel=" + model + "\n"), "activations must be in");
    std::remove(model.c_str());
    rmdir(dir);
}
END_TEST

// The watcher reloads when the site model appears, changes or is broken (keeping the last good one).
START_TEST(watcher_reloads_the_site_model) {
    char dir[] = "/tmp/aif-site-watch.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const std::string conf = std::string(dir) + "/aifactory.conf", model = std::string(dir) + "/site-model.json";
    std::ofstream(conf) << "ReloadInterval=1\nSiteModel=site-model.json\n"
                           "PartitionName=boost_usr_prod System=leonardo-booster\n";
    std::vector<std::string> errors;
    std::mutex mu;
    ConfigWatcher w(conf, "", [&](ConfigWatcher::Level l, const std::string& m) {
        std::lock_guard<std::mutex> g(mu);
        if (l == ConfigWatcher::Level::error) errors.push_back(m);
    });
    w.start();
    ck_assert(w.current()->snap->site_model.empty());  // missing file: no correction
    auto wait_for = [&](auto pred) {
        for (int i = 0; i < 60 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return pred();
    };
    auto jobs = [&] {
        const auto* c = w.current()->snap->site_model.of("megatron@core_r0.12", "nvidia-a100-sxm4-64gb");
        return c ? c->jobs : 0;
    };
    auto write_model = [&](const char* activations, int n) {
        std::ofstream(model) << R"({"schema":"aifactory-site-model/1","corrections":[{"profile":"megatron@core_r0.12",)"
                                R"("gpu":"nvidia-a100-sxm4-64gb","activations":)" << activations
                             << R"(,"overhead":1.0,"jobs":)" << n << "}]}";
    };
    write_model("0.9", 31);
    ck_assert(wait_for([&] { return jobs() == 31; }));
    write_model("0.8", 4200);  // another size: a changed stamp even within the same second
    ck_assert(wait_for([&] { return jobs() == 4200; }));
    write_model("7", 5);  // out of range: logged, the previous model stays
    ck_assert(wait_for([&] { std::lock_guard<std::mutex> g(mu); return !errors.empty(); }));
    ck_assert_int_eq(jobs(), 4200);
    w.stop();
    std::remove(model.c_str());
    std::remove(conf.c_str());
    rmdir(dir);
}
END_TEST

int main() {
    Suite* s = suite_create("site_calibration");
    TCase* tc = tcase_create("site-model");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, site_model_of_the_conf_applies_and_travels_in_the_prediction);
    tcase_add_test(tc, watcher_reloads_the_site_model);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
