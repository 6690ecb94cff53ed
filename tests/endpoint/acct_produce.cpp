// SPDX-License-Identifier: GPL-2.0-or-later
// Test producer: writes synthetic step-end records into an outbox through the real producer
// API (Producer::write: tmp → fsync → new/ → dir fsync) and prints each stored id on stdout as
// soon as write() has returned, so a test that SIGKILLs it knows which ids must survive.
//   acct_produce OUTBOX COUNT [FIRST_JOB_ID] [--sleep-us N] [--cluster NAME] [--per-job N]
// --per-job N: N consecutive records share a job (step ids 0..N-1), one job otherwise.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "acct/producer.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: acct_produce OUTBOX COUNT [FIRST_JOB_ID] [--sleep-us N] [--cluster NAME] [--per-job N]\n");
        return 2;
    }
    aif::acct::ProducerConfig cfg;
    cfg.site = "test-site";
    cfg.cluster = "testcluster";
    cfg.site_namespace = aif::record::parse_uuid("3f7c2a8e-5d1b-4c6a-9e0f-1a2b3c4d5e6f");
    cfg.user_key = "test-key";
    cfg.outbox = argv[1];
    cfg.limits.min_free_bytes = 0;
    cfg.limits.max_records = 10000000;
    cfg.limits.max_bytes = 1ull << 40;
    long count = std::atol(argv[2]);
    long first = argc > 3 && argv[3][0] != '-' ? std::atol(argv[3]) : 1000;
    long sleep_us = 0, per_job = 1;
    for (int i = 3; i + 1 < argc; ++i)
        if (!std::strcmp(argv[i], "--sleep-us")) sleep_us = std::atol(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--cluster")) cfg.cluster = argv[i + 1];
        else if (!std::strcmp(argv[i], "--per-job")) per_job = std::max(1L, std::atol(argv[i + 1]));
    aif::acct::Producer p(cfg, [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); });
    int failed = 0;
    for (long i = 0; i < count; ++i) {
        aif::record::Record r;
        r.kind = aif::record::Kind::StepEnd;
        r.job_id = static_cast<std::uint32_t>(first + i / per_job);
        r.step_id = std::to_string(i % per_job);
        r.node = "node01";
        r.component = "step/" + *r.step_id + "/node01";
        r.user = p.user_pseudonym("alice");
        r.partition = "gpu";
        r.start_time = 1787212802 + i;
        r.end_time = 1787212862 + i;
        r.gpus = 4;
        r.gpu_seconds = 240;
        r.state = "COMPLETED";
        r.exit_code = 0;
        // A mix of the three kinds, so schema checks see each of them.
        aif::json::Ptr training, prediction;
        if (i % 10 == 3) {
            r.kind = aif::record::Kind::JobEnd;
            r.component = "end/node01/" + std::to_string(*r.end_time);
            r.step_id.reset();
            r.start_time.reset();
            r.gpu_seconds.reset();
            r.state.reset();
            r.exit_code.reset();
        } else if (i % 10 == 7) {
            r = aif::record::Record();
            r.kind = aif::record::Kind::SubmitDecision;
            r.component = p.decision_component();
            r.decision = i % 20 == 7 ? "accepted" : "rejected";
            if (*r.decision == "rejected") r.reason = "needs 93.4 GiB per GPU, the A100 has 64 GiB";
            r.user = p.user_pseudonym("alice");
            r.partition = "gpu";
            r.gpus = 16;
            r.nodes = 4;
            r.gpu_model = "A100-64GB";
            training = aif::json::parse(R"({"model":"llama3.1-70b","layout":"tp=4,pp=4","seq":8192})", "t");
            prediction = aif::json::parse(R"({"mem_gib":93.4,"hours":41.2})", "p");
            r.training = training.get();
            r.prediction = prediction.get();
            r.verdict = "does-not-fit";
        }
        std::string id = p.write(r);
        if (id.empty()) {
            ++failed;
        } else {
            std::printf("%s\n", id.c_str());
            std::fflush(stdout);
        }
        if (sleep_us) usleep(static_cast<useconds_t>(sleep_us));
    }
    return failed ? 1 : 0;
}
