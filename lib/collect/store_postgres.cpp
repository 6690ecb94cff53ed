// SPDX-License-Identifier: GPL-2.0-or-later
// PostgreSQL store (libpq), for a federation that wants a database server. Same table and
// queries as SQLite (store_sql.cpp); the version rule lives in the upsert statement itself, so
// several collectors may share one database. One connection behind a mutex, reconnected when
// it breaks; parameters are always sent separately from the SQL text.
#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <ctime>
#include <mutex>
#include <stdexcept>

#include "collect/store.hpp"
#include "collect/overview.hpp"
#include "collect/store_sql.hpp"
#include "common/error.hpp"

namespace aif::collect {
namespace {

using sql::Dialect;
constexpr Dialect D = Dialect::Postgres;

struct ResultPtr {
    PGresult* r;
    explicit ResultPtr(PGresult* p) : r(p) {}
    ~ResultPtr() { PQclear(r); }
    ResultPtr(const ResultPtr&) = delete;
    ResultPtr& operator=(const ResultPtr&) = delete;
};

// Text parameters; std::nullopt → SQL NULL.
class Params {
public:
    void add(const std::string& s) { vals_.push_back(s), null_.push_back(false); }
    void add(std::int64_t v) { add(std::to_string(v)); }
    void add(const std::optional<std::int64_t>& v) { v ? add(*v) : add_null(); }
    void add(const std::optional<double>& v) {
        if (!v) return add_null();
        char b[40];
        std::snprintf(b, sizeof b, "%.17g", *v);
        add(std::string(b));
    }
    void add_null() { vals_.emplace_back(), null_.push_back(true); }
    void filter(const JobFilter& f) {
        add(f.site);
        add(f.account);
        add(f.verdict);
        add(f.from);
        add(f.to);
        add(static_cast<std::int64_t>(f.limit));
        add(f.partition);
    }
    int size() const { return static_cast<int>(vals_.size()); }
    std::vector<const char*> ptrs() const {
        std::vector<const char*> p;
        for (std::size_t i = 0; i < vals_.size(); ++i) p.push_back(null_[i] ? nullptr : vals_[i].c_str());
        return p;
    }

private:
    std::vector<std::string> vals_;
    std::vector<bool> null_;
};

class PgStore final : public Store {
public:
    explicit PgStore(std::string conninfo) : conninfo_(std::move(conninfo)) {
        connect();
        // Several collectors may start at once on one database: concurrent CREATE TABLE IF NOT
        // EXISTS fails with a duplicate pg_type key, and two job rebuilds would collide. One
        // transaction under a database-wide advisory lock makes them take turns.
        exec("BEGIN");
        try {
            exec("SELECT pg_advisory_xact_lock(7366052846339469671)");  // "aifactory schema"
            ResultPtr r(PQexec(conn_, sql::schema(D).c_str()));
            check(r.r, "creating the schema");
            // Only the columns missing: ALTER TABLE takes an exclusive lock even when IF NOT
            // EXISTS makes it a no-op, which would stall the other collectors' ingest.
            for (const auto& c : sql::added_column_list(D)) {
                Params p;
                p.add(c.table);
                p.add(c.name);
                ResultPtr q(run("schema", "SELECT 1 FROM information_schema.columns WHERE table_schema = "
                                          "current_schema() AND table_name = $1 AND column_name = $2", p));
                if (PQntuples(q.r) == 0) exec(c.alter.c_str());
            }
            ResultPtr m(PQexec(conn_, sql::jobs_missing().c_str()));
            check(m.r, "checking the job summaries");
            if (std::string(PQgetvalue(m.r, 0, 0)) == "t") exec(sql::rebuild_jobs(D).c_str());
            exec("COMMIT");
        } catch (...) {
            PQclear(PQexec(conn_, "ROLLBACK"));
            throw;
        }
    }
    ~PgStore() override {
        if (conn_) PQfinish(conn_);
    }

    IngestResult put(const std::vector<Row>& rows) override {
        std::lock_guard<std::mutex> g(mu_);
        ensure();
        IngestResult res;
        exec("BEGIN");
        try {
            // One statement per chunk. A chunk may not hold one key twice (PostgreSQL refuses to
            // update a row twice in one statement): only the highest version of a key goes in.
            std::map<std::pair<std::string, std::string>, const Row*> best;
            for (const Row& r : rows) {
                auto& slot = best[{r.site, r.record_id}];
                if (!slot || r.version > slot->version || (r.version == slot->version && r.created > slot->created))
                    slot = &r;
            }
            std::vector<const Row*> todo;
            for (auto& [k, r] : best) todo.push_back(r);
            // Jobs whose summary changes: locked first, so that a concurrent delivery for the same
            // job (from this or another collector) waits and then sees ours. One statement, in
            // the order of the lock keys themselves: two collectors cannot deadlock, not even
            // when two jobs' keys collide.
            std::set<std::tuple<std::string, std::string, std::int64_t>> touched;
            for (const Row* r : todo)
                if (r->job_id) touched.insert({r->site, r->cluster, *r->job_id});
            if (!touched.empty()) {
                Params p;
                p.add(job_lock_keys(touched));
                ResultPtr q(run("lock", sql::lock_jobs(), p));
            }
            const std::size_t chunk = 500;  // 500 x 26 parameters, well under libpq's 65535
            for (std::size_t at = 0; at < todo.size(); at += chunk) {
                std::size_t n = std::min(chunk, todo.size() - at);
                Params p;
                for (std::size_t i = at; i < at + n; ++i) add_row(p, *todo[i]);
                ResultPtr q(run("upsert", sql::upsert_many(n), p));
                for (int i = 0; i < PQntuples(q.r); ++i)
                    ++(std::string(PQgetvalue(q.r, i, 0)) == "t" ? res.inserted : res.updated);
            }
            res.unchanged = rows.size() - res.inserted - res.updated;
            for (const auto& [site, cluster, job] : touched) {
                Params p;
                p.add(site);
                p.add(cluster);
                p.add(job);
                ResultPtr q(run("job summary", sql::refresh_job(D), p));
            }
            exec("COMMIT");
        } catch (...) {
            PQclear(PQexec(conn_, "ROLLBACK"));
            throw;
        }
        return res;
    }

    std::vector<std::string> job_records(const JobKey& k) override {
        std::lock_guard<std::mutex> g(mu_);
        ensure();
        Params p;
        p.add(k.site);
        p.add(k.cluster);
        p.add(static_cast<std::int64_t>(k.job_id));
        ResultPtr r(run("job", sql::for_dialect(sql::job_records(), D), p));
        std::vector<std::string> out;
        for (int i = 0; i < PQntuples(r.r); ++i) out.emplace_back(PQgetvalue(r.r, i, 0));
        return out;
    }

    std::vector<std::pair<JobKey, std::string>> run_jobs(const std::string& site, const std::string& run) override {
        std::lock_guard<std::mutex> g(mu_);
        ensure();
        Params p;
        p.add(site);
        p.add(sql::run_pattern(run));
        ResultPtr r(this->run("runs", sql::for_dialect(sql::run_records(), D), p));
        std::vector<std::pair<JobKey, std::string>> out;
        for (int i = 0; i < PQntuples(r.r); ++i)
            sql::add_run_job(out, {text(r.r, i, 0), text(r.r, i, 1), i64(r.r, i, 2)}, text(r.r, i, 3), run);
        return out;
    }

    std::optional<std::string> record_body(const std::string& site, const std::string& record_id) override {
        std::lock_guard<std::mutex> g(mu_);
        ensure();
        Params p;
        p.add(site);
        p.add(record_id);
        ResultPtr r(run("record", sql::for_dialect(sql::record_body(), D), p));
        if (PQntuples(r.r) == 0) return std::nullopt;
        return std::string(PQgetvalue(r.r, 0, 0));
    }

    std::vector<JobSummary> list_jobs(const JobFilter& f) override {
        auto r = query(sql::list_jobs(D), f);
        std::vector<JobSummary> out;
        for (int i = 0; i < PQntuples(r->r); ++i) {
            JobSummary j;
            j.key = {text(r->r, i, 0), text(r->r, i, 1), i64(r->r, i, 2)};
            j.account = text(r->r, i, 3);
            j.user = text(r->r, i, 4);
            j.verdict = text(r->r, i, 5);
            j.state = text(r->r, i, 6);
            j.first_time = i64(r->r, i, 7);
            j.last_time = i64(r->r, i, 8);
            j.gpu_seconds = dbl(r->r, i, 9);
            j.records = i64(r->r, i, 10);
            out.push_back(std::move(j));
        }
        return out;
    }

    std::vector<GpuHours> gpu_hours(const JobFilter& f) override {
        auto r = query(sql::gpu_hours(D), f);
        std::vector<GpuHours> out;
        for (int i = 0; i < PQntuples(r->r); ++i)
            out.push_back({text(r->r, i, 0), text(r->r, i, 1), text(r->r, i, 2), dbl(r->r, i, 3), i64(r->r, i, 4)});
        return out;
    }

    std::vector<Rejection> rejections(const JobFilter& f) override {
        auto r = query(sql::rejections(D), f);
        std::vector<Rejection> out;
        for (int i = 0; i < PQntuples(r->r); ++i) out.push_back({text(r->r, i, 0), text(r->r, i, 1), i64(r->r, i, 2)});
        return out;
    }

    std::vector<PredictionPair> predictions(const JobFilter& f) override {
        auto r = query(sql::predictions(D), f);
        std::vector<PredictionPair> out;
        for (int i = 0; i < PQntuples(r->r); ++i)
            out.push_back({{text(r->r, i, 0), text(r->r, i, 1), i64(r->r, i, 2)}, dbl(r->r, i, 3),
                           dbl(r->r, i, 4) / (1024.0 * 1024 * 1024)});
        return out;
    }

    std::vector<UsageGroup> usage_groups(const JobFilter& f, GroupBy by) override {
        std::vector<UsageGroup> out;
        auto r = query(sql::usage_groups(D, by), f);
        auto opt = [&](int i, int c) { return PQgetisnull(r->r, i, c) ? std::nullopt : std::optional<double>(dbl(r->r, i, c)); };
        for (int i = 0; i < PQntuples(r->r); ++i)
            out.push_back(usage_group(text(r->r, i, 0), text(r->r, i, 1), i64(r->r, i, 2), dbl(r->r, i, 3), opt(i, 4),
                                      opt(i, 5), opt(i, 6), opt(i, 7)));
        auto d = query(sql::decision_groups(D, by), f);
        for (int i = 0; i < PQntuples(d->r); ++i)
            add_decisions(out, text(d->r, i, 0), text(d->r, i, 1), text(d->r, i, 2), i64(d->r, i, 3));
        return out;
    }

    std::int64_t count() override {
        std::lock_guard<std::mutex> g(mu_);
        ensure();
        ResultPtr r(PQexec(conn_, sql::count().c_str()));
        check(r.r, "counting");
        return i64(r.r, 0, 0);
    }

private:
    void connect() {
        conn_ = PQconnectdb(conninfo_.c_str());
        if (PQstatus(conn_) != CONNECTION_OK) {
            std::string why = PQerrorMessage(conn_);
            PQfinish(conn_);
            conn_ = nullptr;
            while (!why.empty() && why.back() == '\n') why.pop_back();
            throw InputError("PostgreSQL: cannot connect: " + why);
        }
    }
    void ensure() {
        if (conn_ && PQstatus(conn_) == CONNECTION_OK) return;
        if (conn_) PQreset(conn_);
        if (!conn_ || PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error("PostgreSQL connection lost");
    }
    void check(PGresult* r, const char* what) {
        auto st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
        std::string why = PQresultErrorMessage(r);
        while (!why.empty() && why.back() == '\n') why.pop_back();
        throw std::runtime_error(std::string("PostgreSQL ") + what + ": " + why);
    }
    void exec(const char* s) {
        ResultPtr r(PQexec(conn_, s));
        check(r.r, s);
    }
    PGresult* run(const char* what, const std::string& text, const Params& p) {
        auto ptrs = p.ptrs();
        PGresult* r = PQexecParams(conn_, text.c_str(), p.size(), nullptr, ptrs.data(), nullptr, nullptr, 0);
        try {
            check(r, what);
        } catch (...) {
            PQclear(r);
            throw;
        }
        return r;
    }
    std::unique_ptr<ResultPtr> query(const std::string& text, const JobFilter& f) {
        std::lock_guard<std::mutex> g(mu_);
        ensure();
        Params p;
        p.filter(f);
        return std::make_unique<ResultPtr>(run("query", sql::for_dialect(text, D), p));
    }
    // The jobs as a PostgreSQL text[] literal of "site/cluster/job" (each element quoted).
    static std::string job_lock_keys(const std::set<std::tuple<std::string, std::string, std::int64_t>>& jobs) {
        std::string a = "{";
        for (const auto& [site, cluster, job] : jobs) {
            std::string k = site + "/" + cluster + "/" + std::to_string(job);
            a += a.size() > 1 ? ",\"" : "\"";
            for (char ch : k) {
                if (ch == '"' || ch == '\\') a += '\\';
                a += ch;
            }
            a += '"';
        }
        return a + "}";
    }
    static void add_row(Params& p, const Row& r) {
        for (const std::string* s : {&r.site, &r.record_id, &r.cluster}) p.add(*s);
        p.add(r.job_id);
        for (const std::string* s : {&r.kind, &r.component}) p.add(*s);
        p.add(r.version);
        for (const std::string* s : {&r.created, &r.step_id, &r.node, &r.account, &r.user, &r.verdict, &r.decision,
                                     &r.reason, &r.state})
            p.add(*s);
        p.add(r.event_time);
        p.add(r.gpu_seconds);
        p.add(r.pred_gib_per_gpu);
        p.add(r.obs_gpu_peak_bytes);
        p.add(r.partition);
        p.add(r.gpu_energy_j);
        p.add(r.node_energy_j);
        p.add(r.gpu_util_pct);
        p.add(r.body);
        p.add(static_cast<std::int64_t>(std::time(nullptr)));
    }
    static std::string text(PGresult* r, int i, int c) { return PQgetisnull(r, i, c) ? "" : PQgetvalue(r, i, c); }
    static std::int64_t i64(PGresult* r, int i, int c) { return PQgetisnull(r, i, c) ? 0 : std::stoll(PQgetvalue(r, i, c)); }
    static double dbl(PGresult* r, int i, int c) { return PQgetisnull(r, i, c) ? 0 : std::stod(PQgetvalue(r, i, c)); }

    std::string conninfo_;
    std::mutex mu_;
    PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<Store> open_postgres(const std::string& conninfo) { return std::make_unique<PgStore>(conninfo); }

}  // namespace aif::collect
