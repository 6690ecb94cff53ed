// Test producer: writes synthetic step-end records into an outbox through the real producer
// API (Producer::write: tmp → fsync → new/ → dir fsync) and prints each stored id on stdout as
// soon as write() has returned, so a test that SIGKILLs it knows which ids must survive.
//   acct_produce OUTBOX COUNT [FIRST_JOB_ID] [--sleep-us N]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "acct/producer.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: acct_produce OUTBOX COUNT [FIRST_JOB_ID] [--sleep-us N]\n");
        return 2;
    }
    aif::acct::ProducerConfig cfg;
    cfg.site = "test-site";
    cfg.cluster = "testcluster";
    cfg.site_namespace = aif::acct::parse_uuid("3f7c2a8e-5d1b-4c6a-9e0f-1a2b3c4d5e6f");
    cfg.user_key = "test-key";
    cfg.outbox = argv[1];
    cfg.limits.min_free_bytes = 0;
    cfg.limits.max_records = 10000000;
    cfg.limits.max_bytes = 1ull << 40;
    long count = std::atol(argv[2]);
    long first = argc > 3 && argv[3][0] != '-' ? std::atol(argv[3]) : 1000;
    long sleep_us = 0;
    for (int i = 3; i + 1 < argc; ++i)
        if (!std::strcmp(argv[i], "--sleep-us")) sleep_us = std::atol(argv[i + 1]);
    aif::acct::Producer p(cfg, [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); });
    int failed = 0;
    for (long i = 0; i < count; ++i) {
        aif::acct::Record r;
        r.kind = aif::acct::Kind::StepEnd;
        r.job_id = static_cast<std::uint32_t>(first + i);
        r.step_id = "0";
        r.node = "node01";
        r.component = "step/0/node01";
        r.user = p.user_pseudonym("alice");
        r.partition = "gpu";
        r.start_time = 1787212802 + i;
        r.end_time = 1787212862 + i;
        r.gpus = 4;
        r.gpu_seconds = 240;
        r.state = "COMPLETED";
        r.exit_code = 0;
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
