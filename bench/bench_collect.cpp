// SPDX-License-Identifier: GPL-2.0-or-later
// Collector benchmarks, each figure against a baseline measured in the same run:
//  1. Ingest rate (records/s) through ingest() (validation + store, batches of 200 as the
//     sender sends them) into SQLite, and into PostgreSQL when AIF_BENCH_PG names a server
//     (bench/bench_collect_pg.sh starts a private one); PostgreSQL is reported against SQLite.
//  2. Report latency for one job (store lookup + merge) with 1 M records stored, against the
//     same with 1 k records stored.
//  3. Memory of the collector process (tools/aifactory collector) under 50 concurrent HTTPS
//     senders, against the same process idle; with the records/s it took in meanwhile.
#include <curl/curl.h>
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
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "collect/job_report.hpp"
#include "collect/server.hpp"
#include "collect/store.hpp"

using namespace aif::collect;
using Clock = std::chrono::steady_clock;

namespace {

double secs(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

// Records of job `job`: `steps` srun steps on as many nodes, a batch step, a job end.
std::vector<std::string> job_records(const std::string& site, long job, int steps) {
    std::vector<std::string> v;
    auto id = [&](int n) {
        char b[40];
        std::snprintf(b, sizeof b, "%08lx-0000-5000-8000-%012x", job, n);
        return std::string(b);
    };
    for (int i = 0; i <= steps; ++i) {
        std::string step = i == steps ? "batch" : "0", node = "n" + std::to_string(i % std::max(1, steps));
        v.push_back("{\"account\":\"proj" + std::to_string(job % 7) + "\",\"cluster\":\"c1\",\"component\":\"step/" + step +
                    "/" + node + "\",\"created\":\"2026-08-20T09:00:00Z\",\"end_time\":\"2026-08-20T08:30:00Z\","
                    "\"exit_code\":0,\"gpu_seconds\":7200,\"gpus\":4,\"job_id\":" + std::to_string(job) +
                    ",\"kind\":\"step_end\",\"node\":\"" + node + "\",\"prediction\":{\"gib_per_gpu\":41.3,"
                    "\"capacity_gib\":80},\"record_id\":\"" + id(i) + "\",\"schema\":\"aifactory.acct/1\",\"site\":\"" +
                    site + "\",\"start_time\":\"2026-08-20T08:00:00Z\",\"state\":\"COMPLETED\",\"step_id\":\"" + step + "\"}");
    }
    v.push_back("{\"cluster\":\"c1\",\"component\":\"end/n0\",\"created\":\"2026-08-20T09:00:00Z\",\"end_time\":"
                "\"2026-08-20T08:30:01Z\",\"job_id\":" + std::to_string(job) + ",\"kind\":\"job_end\",\"node\":\"n0\","
                "\"record_id\":\"" + id(99) + "\",\"schema\":\"aifactory.acct/1\",\"site\":\"" + site + "\"}");
    return v;
}

std::string body_of(const std::vector<std::string>& recs, std::size_t from, std::size_t n) {
    std::string b = "{\"records\":[";
    for (std::size_t i = from; i < from + n && i < recs.size(); ++i) b += (i > from ? "," : "") + recs[i];
    return b + "]}";
}

std::vector<std::string> many(long first_job, long jobs) {
    std::vector<std::string> all;
    for (long j = first_job; j < first_job + jobs; ++j)
        for (auto& r : job_records("siteA", j, 2)) all.push_back(std::move(r));
    return all;
}

double ingest_rate(Store& s, const std::vector<std::string>& recs) {
    ServerConfig cfg;
    Principal who{"siteA"};
    auto t = Clock::now();
    for (std::size_t i = 0; i < recs.size(); i += 200) {
        Reply r = ingest(s, who, body_of(recs, i, 200), cfg);
        if (r.status != 200) {
            std::fprintf(stderr, "ingest failed: %d %s\n", r.status, r.body.c_str());
            std::exit(1);
        }
    }
    return static_cast<double>(recs.size()) / secs(t);
}

// Median and p99 of one job's report (lookup + merge) over `n` random jobs in [0, jobs).
std::pair<double, double> report_latency_us(Store& s, long jobs, int n) {
    std::mt19937 rng(7);
    std::vector<double> us;
    for (int i = 0; i < n; ++i) {
        long j = static_cast<long>(rng() % static_cast<unsigned>(jobs));
        auto t = Clock::now();
        auto rep = to_json(build_job_report(s.job_records({"siteA", "c1", j}), "siteA", "c1", j));
        us.push_back(secs(t) * 1e6);
        if (json_integer_value(json_object_get(rep.get(), "records")) != 4) {
            std::fprintf(stderr, "job %ld: wrong record count\n", j);
            std::exit(1);
        }
    }
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

long status_kib(pid_t pid, const char* key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::string(key).size());
    return -1;
}

void memory_under_senders(const std::string& dir) {
    std::string src = AIF_SRCDIR, pki = dir + "/pki";
    if (std::system(("sh " + src + "/tests/collector/make-certs.sh " + pki).c_str()) != 0) {
        std::printf("3. memory: skipped (openssl failed)\n");
        return;
    }
    std::string token = "benchbenchbenchbenchbench0123456789";
    {
        std::ofstream(dir + "/tokens") << "siteA " << token << "\n";
    }
    chmod((dir + "/tokens").c_str(), 0600);
    std::string aif = std::string(AIF_BUILDDIR) + "/tools/aifactory";
    pid_t pid = fork();
    if (pid == 0) {
        int fd = ::open((dir + "/collector.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        execl(aif.c_str(), aif.c_str(), "collector", "--listen", "127.0.0.1:0", "--cert", (pki + "/server.pem").c_str(),
              "--key", (pki + "/server.key").c_str(), "--tokens", (dir + "/tokens").c_str(), "--db",
              (dir + "/mem.db").c_str(), "--port-file", (dir + "/port").c_str(), "--threads", "4",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    int port = 0;
    for (int i = 0; i < 100 && !port; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::ifstream(dir + "/port") >> port;
    }
    if (!port) {
        std::printf("3. memory: collector did not start (see %s/collector.log)\n", dir.c_str());
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    long idle = status_kib(pid, "VmRSS:");
    const int senders = 50;
    const double run_s = 8;
    std::atomic<long> records{0}, failures{0};
    std::atomic<bool> stop{false};
    std::string url = "https://127.0.0.1:" + std::to_string(port) + "/v1/records";
    std::vector<std::thread> th;
    for (int s = 0; s < senders; ++s)
        th.emplace_back([&, s] {
            CURL* h = curl_easy_init();
            std::string auth = "Authorization: Bearer " + token;
            curl_slist* hdr = curl_slist_append(nullptr, auth.c_str());
            hdr = curl_slist_append(hdr, "Content-Type: application/json");
            long job = 10000000L + s * 1000000L;
            while (!stop) {
                std::vector<std::string> recs;
                while (recs.size() < 200)
                    for (auto& r : job_records("siteA", job++, 2)) recs.push_back(std::move(r));
                std::string body = body_of(recs, 0, recs.size());
                curl_easy_setopt(h, CURLOPT_URL, url.c_str());
                curl_easy_setopt(h, CURLOPT_CAINFO, (pki + "/ca.pem").c_str());
                curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
                curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
                curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, +[](char*, size_t a, size_t b, void*) { return a * b; });
                curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
                long code = 0;
                if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
                if (code == 200) records += static_cast<long>(recs.size());
                else ++failures;
            }
            curl_slist_free_all(hdr);
            curl_easy_cleanup(h);
        });
    long peak_rss = 0;
    auto t = Clock::now();
    while (secs(t) < run_s) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        peak_rss = std::max(peak_rss, status_kib(pid, "VmRSS:"));
    }
    stop = true;
    for (auto& x : th) x.join();
    double took = secs(t);
    long hwm = status_kib(pid, "VmHWM:");
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    std::printf("3. collector memory, 50 concurrent HTTPS senders (batches of 200), %.0f s:\n", took);
    std::printf("   idle RSS %.1f MiB; under load peak RSS %.1f MiB (high-water %.1f MiB) = %.2fx idle\n", idle / 1024.0,
                peak_rss / 1024.0, hwm / 1024.0, static_cast<double>(peak_rss) / static_cast<double>(idle));
    std::printf("   meanwhile ingested %.0f records/s over HTTPS, %ld failed requests\n",
                static_cast<double>(records) / took, static_cast<long>(failures));
}

}  // namespace

int main() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char tmpl[] = "/tmp/bench_collect.XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::printf("collector benchmarks (%s)\n", dir.c_str());

    auto recs = many(0, 12500);  // 50 000 records
    double lite;
    {
        auto s = open_sqlite(dir + "/ingest.db");
        lite = ingest_rate(*s, recs);
    }
    std::printf("1. ingest, %zu records in batches of 200 (validate + store):\n", recs.size());
    std::printf("   SQLite (WAL, synchronous=FULL): %.0f records/s\n", lite);
    if (const char* pg = std::getenv("AIF_BENCH_PG"); pg && *pg) {
        auto s = open_postgres(pg);
        double p = ingest_rate(*s, recs);
        std::printf("   PostgreSQL: %.0f records/s = %.2fx SQLite\n", p, p / lite);
    } else {
        std::printf("   PostgreSQL: not measured (bench/bench_collect_pg.sh runs this with a private server)\n");
    }

    {
        auto small = open_sqlite(dir + "/small.db");
        auto few = many(0, 250);  // 1 000 records
        small->put([&] {
            std::vector<Row> rows;
            for (auto& r : few) rows.push_back(check_record(r));
            return rows;
        }());
        auto base = report_latency_us(*small, 250, 300);
        auto big = open_sqlite(dir + "/big.db");
        auto t = Clock::now();
        const long jobs = 250000;  // x 4 records = 1 000 000
        for (long j = 0; j < jobs; j += 2500) {
            std::vector<Row> rows;
            for (auto& r : many(j, 2500)) rows.push_back(check_record(r));
            big->put(rows);
        }
        double fill = secs(t);
        auto lat = report_latency_us(*big, jobs, 300);
        std::printf("2. one job's report (lookup + merge), median / p99:\n");
        std::printf("   1 k records stored: %.0f / %.0f us\n", base.first, base.second);
        std::printf("   %lld records stored: %.0f / %.0f us = %.2fx the 1 k median (filled in %.0f s)\n",
                    static_cast<long long>(big->count()), lat.first, lat.second, lat.first / base.first, fill);
        // The overview's queries scan and group every job: the cost an operator's page pays.
        auto scan = [](Store& s) {
            auto t = Clock::now();
            JobFilter f;
            s.list_jobs(f);
            s.gpu_hours(f);
            return secs(t) * 1e3;
        };
        double small_ms = scan(*small), big_ms = scan(*big);
        std::printf("   listing + GPU-hours aggregate (whole store): %.1f ms at 1 k, %.0f ms at 1 M records\n",
                    small_ms, big_ms);
    }
    memory_under_senders(dir);
    std::system(("rm -rf " + dir).c_str());
    return 0;
}
