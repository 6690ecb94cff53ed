// SPDX-License-Identifier: GPL-2.0-or-later
// SQLite store: one file, WAL journal, synchronous=FULL (an acknowledged record survives a power
// cut), one connection behind a mutex. Statements are prepared with bound parameters only.
#include <sqlite3.h>

#include <ctime>
#include <mutex>
#include <set>
#include <tuple>
#include <stdexcept>

#include "collect/store.hpp"
#include "collect/overview.hpp"
#include "collect/store_sql.hpp"
#include "common/error.hpp"

namespace aif::collect {
namespace {

using sql::Dialect;
constexpr Dialect D = Dialect::Sqlite;

class Stmt {
public:
    Stmt(sqlite3* db, const std::string& sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
    }
    ~Stmt() { sqlite3_finalize(s_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    void reset() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    void bind(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
    void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
    void bind(int i, const std::optional<std::int64_t>& v) { v ? bind(i, *v) : (void)sqlite3_bind_null(s_, i); }
    void bind(int i, const std::optional<double>& v) { v ? (void)sqlite3_bind_double(s_, i, *v) : (void)sqlite3_bind_null(s_, i); }
    bool step() {
        int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
    }
    std::string text(int c) {
        auto p = sqlite3_column_text(s_, c);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : "";
    }
    std::int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
    double dbl(int c) { return sqlite3_column_double(s_, c); }
    bool null(int c) { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    void bind_filter(const JobFilter& f) {
        bind(1, f.site);
        bind(2, f.account);
        bind(3, f.verdict);
        bind(4, f.from);
        bind(5, f.to);
        bind(6, static_cast<std::int64_t>(f.limit));
        bind(7, f.partition);
    }

private:
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
};

class SqliteStore final : public Store {
public:
    explicit SqliteStore(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                            nullptr) != SQLITE_OK) {
            std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw InputError("database " + path + ": " + why);
        }
        sqlite3_busy_timeout(db_, 5000);
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=FULL");
        exec(sql::schema(D).c_str());
        for (const auto& add : sql::added_columns(D))
            sqlite3_exec(db_, add.c_str(), nullptr, nullptr, nullptr);  // "duplicate column name": already there
        find_ = std::make_unique<Stmt>(db_, sql::find_version());
        insert_ = std::make_unique<Stmt>(db_, sql::insert_or_replace(D));
        job_ = std::make_unique<Stmt>(db_, sql::job_records());
        refresh_ = std::make_unique<Stmt>(db_, sql::refresh_job(D));
        Stmt missing(db_, sql::jobs_missing());
        if (missing.step() && missing.i64(0)) exec(sql::rebuild_jobs(D).c_str());
    }
    ~SqliteStore() override {
        find_.reset();
        insert_.reset();
        job_.reset();
        refresh_.reset();
        sqlite3_close(db_);
    }

    IngestResult put(const std::vector<Row>& rows) override {
        std::lock_guard<std::mutex> g(mu_);
        IngestResult res;
        std::set<std::tuple<std::string, std::string, std::int64_t>> touched;
        exec("BEGIN IMMEDIATE");
        try {
            for (const Row& r : rows) {
                find_->reset();
                find_->bind(1, r.site);
                find_->bind(2, r.record_id);
                bool have = find_->step();
                std::int64_t v = have ? find_->i64(0) : 0;
                std::string c = have ? find_->text(1) : "";
                // Reset now: a statement left on a row keeps its read snapshot open after
                // COMMIT, and this connection would no longer see other processes' writes.
                find_->reset();
                if (have) {
                    if (r.version < v || (r.version == v && r.created <= c)) {
                        ++res.unchanged;
                        continue;
                    }
                }
                insert_->reset();
                int i = 1;
                for (const std::string* s : {&r.site, &r.record_id, &r.cluster}) insert_->bind(i++, *s);
                insert_->bind(i++, r.job_id);
                for (const std::string* s : {&r.kind, &r.component}) insert_->bind(i++, *s);
                insert_->bind(i++, r.version);
                for (const std::string* s : {&r.created, &r.step_id, &r.node, &r.account, &r.user, &r.verdict, &r.decision,
                                             &r.reason, &r.state})
                    insert_->bind(i++, *s);
                insert_->bind(i++, r.event_time);
                insert_->bind(i++, r.gpu_seconds);
                insert_->bind(i++, r.pred_gib_per_gpu);
                insert_->bind(i++, r.obs_gpu_peak_bytes);
                insert_->bind(i++, r.partition);
                insert_->bind(i++, r.gpu_energy_j);
                insert_->bind(i++, r.node_energy_j);
                insert_->bind(i++, r.gpu_util_pct);
                insert_->bind(i++, r.body);
                insert_->bind(i++, static_cast<std::int64_t>(std::time(nullptr)));
                insert_->step();
                ++(have ? res.updated : res.inserted);
                if (r.job_id) touched.insert({r.site, r.cluster, *r.job_id});
            }
            for (const auto& [site, cluster, job] : touched) {
                refresh_->reset();
                refresh_->bind(1, site);
                refresh_->bind(2, cluster);
                refresh_->bind(3, job);
                refresh_->step();
            }
            exec("COMMIT");
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
        return res;
    }

    std::vector<std::string> job_records(const JobKey& k) override {
        std::lock_guard<std::mutex> g(mu_);
        job_->reset();
        job_->bind(1, k.site);
        job_->bind(2, k.cluster);
        job_->bind(3, k.job_id);
        std::vector<std::string> out;
        while (job_->step()) out.push_back(job_->text(0));
        return out;
    }

    std::vector<std::pair<JobKey, std::string>> run_jobs(const std::string& site, const std::string& run) override {
        std::lock_guard<std::mutex> g(mu_);
        Stmt s(db_, sql::run_records());
        s.bind(1, site);
        s.bind(2, sql::run_pattern(run));
        std::vector<std::pair<JobKey, std::string>> out;
        while (s.step()) sql::add_run_job(out, {s.text(0), s.text(1), s.i64(2)}, s.text(3), run);
        return out;
    }

    std::optional<std::string> record_body(const std::string& site, const std::string& record_id) override {
        std::lock_guard<std::mutex> g(mu_);
        Stmt s(db_, sql::record_body());
        s.bind(1, site);
        s.bind(2, record_id);
        if (!s.step()) return std::nullopt;
        return s.text(0);
    }

    std::vector<JobSummary> list_jobs(const JobFilter& f) override {
        std::lock_guard<std::mutex> g(mu_);
        Stmt s(db_, sql::list_jobs(D));
        s.bind_filter(f);
        std::vector<JobSummary> out;
        while (s.step()) {
            JobSummary j;
            j.key = {s.text(0), s.text(1), s.i64(2)};
            j.account = s.text(3);
            j.user = s.text(4);
            j.verdict = s.text(5);
            j.state = s.text(6);
            j.first_time = s.i64(7);
            j.last_time = s.i64(8);
            j.gpu_seconds = s.dbl(9);
            j.records = s.i64(10);
            out.push_back(std::move(j));
        }
        return out;
    }

    std::vector<GpuHours> gpu_hours(const JobFilter& f) override {
        std::lock_guard<std::mutex> g(mu_);
        Stmt s(db_, sql::gpu_hours(D));
        s.bind_filter(f);
        std::vector<GpuHours> out;
        while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.dbl(3), s.i64(4)});
        return out;
    }

    std::vector<Rejection> rejections(const JobFilter& f) override {
        std::lock_guard<std::mutex> g(mu_);
        Stmt s(db_, sql::rejections(D));
        s.bind_filter(f);
        std::vector<Rejection> out;
        while (s.step()) out.push_back({s.text(0), s.text(1), s.i64(2)});
        return out;
    }

    std::vector<PredictionPair> predictions(const JobFilter& f) override {
        std::lock_guard<std::mutex> g(mu_);
        Stmt s(db_, sql::predictions(D));
        s.bind_filter(f);
        std::vector<PredictionPair> out;
        while (s.step()) out.push_back({{s.text(0), s.text(1), s.i64(2)}, s.dbl(3), s.dbl(4) / (1024.0 * 1024 * 1024)});
        return out;
    }

    std::vector<UsageGroup> usage_groups(const JobFilter& f, GroupBy by) override {
        std::lock_guard<std::mutex> g(mu_);
        std::vector<UsageGroup> out;
        Stmt s(db_, sql::usage_groups(D, by));
        s.bind_filter(f);
        auto opt = [&](int c) { return s.null(c) ? std::nullopt : std::optional<double>(s.dbl(c)); };
        while (s.step())
            out.push_back(usage_group(s.text(0), s.text(1), s.i64(2), s.dbl(3), opt(4), opt(5), opt(6), opt(7)));
        Stmt d(db_, sql::decision_groups(D, by));
        d.bind_filter(f);
        while (d.step()) add_decisions(out, d.text(0), d.text(1), d.text(2), d.i64(3));
        return out;
    }

    std::int64_t count() override {
        std::lock_guard<std::mutex> g(mu_);
        Stmt s(db_, sql::count());
        return s.step() ? s.i64(0) : 0;
    }

private:
    void exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string why = err ? err : "unknown error";
            sqlite3_free(err);
            throw std::runtime_error(std::string("sqlite: ") + why);
        }
    }

    std::mutex mu_;
    sqlite3* db_ = nullptr;
    std::unique_ptr<Stmt> find_, insert_, job_, refresh_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite(const std::string& path) { return std::make_unique<SqliteStore>(path); }

}  // namespace aif::collect
