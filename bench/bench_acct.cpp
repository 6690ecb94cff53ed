// SPDX-License-Identifier: GPL-2.0-or-later
// Accounting speed, each figure against a baseline measured in the same run:
//  1. Record production as the plugins do it: build only; job_submit's enqueue (no disk);
//     SPANK's durable write (build + tmp/ + fsync + rename + dir fsync), p50/p99, against the
//     floor of any durable write: open + write + fsync + close of the same bytes.
//  2. Sender throughput to the loopback HTTPS test endpoint (tests/endpoint/endpoint.py):
//     batched over one kept-alive connection, against one record per request (what Slurm's
//     jobcomp/elasticsearch does).
// Needs python3 and openssl for part 2 (skipped with a note otherwise).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "acct/hooks.hpp"
#include "acct/producer.hpp"
#include "acct/sender.hpp"

using namespace aif::acct;
using namespace aif::record;
using Clock = std::chrono::steady_clock;

namespace {

struct Pct {
    double p50, p99;
};
Pct percentiles(std::vector<double> us) {
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}
template <class F>
Pct time_each(int n, F&& f) {
    std::vector<double> us;
    us.reserve(n);
    for (int i = 0; i < n; ++i) {
        auto t0 = Clock::now();
        f(i);
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    return percentiles(us);
}

std::string tmpdir() {
    char t[] = "/tmp/bench_acct.XXXXXX";
    return mkdtemp(t);
}

Record step_record(std::uint32_t job) {
    Record r;
    r.kind = Kind::StepEnd;
    r.site = "bench";
    r.cluster = "bench";
    r.component = "step/0/node01/1787212802";
    r.job_id = job;
    r.step_id = "0";
    r.node = "node01";
    r.user = pseudonym("key", "alice");
    r.partition = "gpu";
    r.start_time = 1787212802;
    r.end_time = 1787299207;
    r.gpus = 4;
    r.gpu_seconds = 345620;
    r.cpu_seconds = 12345.6;
    r.state = "COMPLETED";
    r.exit_code = 0;
    r.max_rss_bytes = 123456789;
    return r;
}

void print(const char* what, Pct p, Pct base) {
    std::printf("  %-44s p50 %8.1f us  p99 %8.1f us   (%.2fx / %.2fx the baseline)\n", what, p.p50, p.p99,
                p.p50 / base.p50, p.p99 / base.p99);
}

// Returns records/s for draining `n` records with the given batch size, or -1 on failure.
double sender_rate(const std::string& src, const std::string& pki, int n, int batch) {
    std::string dir = tmpdir();
    std::string state = dir + "/ep";
    mkdir(state.c_str(), 0700);
    std::string token = dir + "/token";
    {
        std::ofstream(token) << "bench-token\n";
        chmod(token.c_str(), 0600);
    }
    pid_t ep = fork();
    if (ep == 0) {
        std::string script = src + "/tests/endpoint/endpoint.py", cert = pki + "/good.pem", key = pki + "/good.key";
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execlp("python3", "python3", script.c_str(), "--state", state.c_str(), "--cert", cert.c_str(), "--key",
               key.c_str(), "--token-file", token.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    std::string port;
    for (int i = 0; i < 100 && port.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::ifstream f(state + "/port");
        std::getline(f, port);
    }
    double rate = -1;
    if (!port.empty()) {
        ProducerConfig pc;
        pc.site = "bench";
        pc.cluster = "bench";
        pc.outbox = dir + "/outbox";
        pc.limits.min_free_bytes = 0;
        pc.limits.max_records = 10000000;
        {
            Producer p(pc, {});
            for (int i = 0; i < n; ++i) p.write(step_record(static_cast<std::uint32_t>(i)));
        }
        SenderConfig sc;
        sc.outbox = pc.outbox;
        sc.url = "https://127.0.0.1:" + port + "/v1/records";
        sc.ca_file = pki + "/ca.pem";
        sc.token_file = token;
        sc.batch_records = batch;
        sc.limits = pc.limits;
        Sender s(sc, {});
        std::atomic<bool> stop{false};
        auto t0 = Clock::now();
        int rc = s.run(stop, true);
        double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        if (rc == 0 && s.stats().acked == static_cast<std::uint64_t>(n)) rate = n / secs;
    }
    kill(ep, SIGTERM);
    waitpid(ep, nullptr, 0);
    std::system(("rm -rf '" + dir + "'").c_str());
    return rate;
}

}  // namespace

int main() {
    const int n = 2000;
    std::string dir = tmpdir();
    std::printf("accounting record production (%d records each, outbox on %s)\n", n, dir.c_str());
    std::string sample = build(step_record(1), 0).json;
    Pct base = time_each(n, [&](int i) {
        std::string p = dir + "/floor-" + std::to_string(i);
        int fd = open(p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0640);
        if (write(fd, sample.data(), sample.size()) < 0) std::abort();
        fsync(fd);
        close(fd);
    });
    std::printf("  %-44s p50 %8.1f us  p99 %8.1f us   (baseline)\n", "durable-write floor (write+fsync)", base.p50,
                base.p99);
    Pct b = time_each(n, [&](int i) { build(step_record(static_cast<std::uint32_t>(i)), 0); });
    print("build record (UUIDv5, HMAC, canonical JSON)", b, base);
    ProducerConfig pc;
    pc.site = "bench";
    pc.cluster = "bench";
    pc.outbox = dir + "/outbox";
    pc.limits.min_free_bytes = 0;
    pc.limits.max_records = 10000000;
    {
        Producer p(pc, {}, 100000);
        auto q0 = Clock::now();
        Pct e = time_each(n, [&](int i) { p.enqueue(step_record(static_cast<std::uint32_t>(100000 + i))); });
        print("job_submit path: build + enqueue", e, base);
        p.flush(std::chrono::seconds(120));
        double drain = std::chrono::duration<double>(Clock::now() - q0).count();
        std::printf("  %-44s %8.0f records/s (group commit; the queue absorbs bursts)\n",
                    "  writer thread behind the queue drains", n / std::max(drain, 1e-6));
        Pct w = time_each(n, [&](int i) { p.write(step_record(static_cast<std::uint32_t>(200000 + i))); });
        print("SPANK path: build + durable outbox write", w, base);
    }
    std::system(("rm -rf '" + dir + "'").c_str());

    const char* src = std::getenv("AIF_SRCDIR");
    std::string srcdir = src ? src : AIF_SRCDIR;
    std::string pki = tmpdir();
    if (std::system(("sh '" + srcdir + "/tests/endpoint/make-certs.sh' '" + pki + "' 2>/dev/null").c_str()) != 0 ||
        std::system("command -v python3 >/dev/null") != 0) {
        std::printf("sender throughput: skipped (needs python3 and openssl)\n");
        return 0;
    }
    const int m = 5000;
    double batched = sender_rate(srcdir, pki, m, 200);
    double single = sender_rate(srcdir, pki, 1000, 1);
    std::system(("rm -rf '" + pki + "'").c_str());
    std::printf("sender throughput to the loopback HTTPS endpoint\n");
    std::printf("  one record per request (baseline)     %8.0f records/s\n", single);
    std::printf("  batches of 200, one kept-alive conn.  %8.0f records/s   (%.1fx the baseline)\n", batched,
                batched / single);
    return batched > 0 && single > 0 ? 0 : 1;
}
