// SPDX-License-Identifier: GPL-2.0-or-later
// Query texts shared by store_sqlite.cpp and store_postgres.cpp.
#include "collect/store_sql.hpp"

#include <cctype>
#include <utility>

#include <jansson.h>

namespace aif::collect::sql {
namespace {

const char* kColumns =
    "site, record_id, cluster, job_id, kind, component, version, created, step_id, node, account, pseudonym, "
    "verdict, decision, reason, state, event_time, gpu_seconds, pred_gib, obs_peak, part, gpu_energy_j, "
    "node_energy_j, gpu_util_pct, body, received";

// Sums `expr` over the steps GPU-hours count (store.hpp): srun steps, the batch step only when
// the job ran no other. NULL when no counted step has a value (shown as n/a, never 0).
std::string counted(const std::string& expr) {
    return "CASE WHEN SUM(CASE WHEN kind = 'step_end' AND step_id <> 'batch' THEN 1 ELSE 0 END) > 0\n"
           "    THEN SUM(CASE WHEN kind = 'step_end' AND step_id <> 'batch' THEN " + expr + " END)\n"
           "    ELSE SUM(CASE WHEN kind = 'step_end' AND step_id = 'batch' THEN " + expr + " END) END";
}

// A job's summary from its records (the `jobs` table's columns after the key).
// SUM(CASE ...) rather than SUM(bool): both dialects.
const std::string kJobAggregates = std::string(
    "COALESCE(MAX(NULLIF(account, '')), '') AS acc, COALESCE(MAX(NULLIF(pseudonym, '')), '') AS usr,\n"
    "  COALESCE(MAX(NULLIF(verdict, '')), '') AS ver,\n"
    "  CASE WHEN SUM(CASE WHEN state NOT IN ('', 'COMPLETED') THEN 1 ELSE 0 END) > 0\n"
    "         THEN MAX(NULLIF(NULLIF(state, 'COMPLETED'), ''))\n"
    "       WHEN SUM(CASE WHEN state = 'COMPLETED' THEN 1 ELSE 0 END) > 0 THEN 'COMPLETED' ELSE '' END AS st,\n"
    "  MIN(event_time) AS t0, MAX(event_time) AS t1, COUNT(*) AS nrec,\n"
    "  SUM(CASE WHEN kind = 'step_end' AND step_id <> 'batch' THEN 1 ELSE 0 END) AS nsteps,\n"
    "  COALESCE(SUM(CASE WHEN kind = 'step_end' AND step_id <> 'batch' THEN gpu_seconds END), 0) AS gs,\n"
    "  COALESCE(SUM(CASE WHEN kind = 'step_end' AND step_id = 'batch' THEN gpu_seconds END), 0) AS bgs,\n"
    "  MAX(pred_gib) AS pg, MAX(obs_peak) AS op,\n"
    "  COALESCE(MAX(NULLIF(part, '')), '') AS prt,\n  ") +
    counted("gpu_energy_j") + " AS ej,\n  " + counted("node_energy_j") + " AS nej,\n  " +
    counted("gpu_util_pct * gpu_seconds") + " AS uw,\n  " +
    counted("CASE WHEN gpu_util_pct IS NOT NULL THEN gpu_seconds END") + " AS uws\n";
const char* kJobColumns = "site, cluster, job_id, acc, usr, ver, st, t0, t1, nrec, nsteps, gs, bgs, pg, op, prt, ej, nej, uw, uws";

// The jobs that pass JobFilter's conditions, from the summary table.
std::string jobs_cte(Dialect d) {
    std::string big = d == Dialect::Postgres ? "BIGINT" : "INTEGER";
    return "WITH j AS (SELECT * FROM jobs WHERE (CAST(?1 AS TEXT) = '' OR site = ?1)\n"
           "  AND (CAST(?2 AS TEXT) = '' OR acc = ?2) AND (CAST(?3 AS TEXT) = '' OR ver = ?3)\n"
           "  AND (CAST(?4 AS " + big + ") IS NULL OR t1 >= ?4) AND (CAST(?5 AS " + big + ") IS NULL OR t1 < ?5)\n"
           "  AND (CAST(?7 AS TEXT) = '' OR prt = ?7))\n";
}

std::string month(Dialect d, const char* epoch_col) {
    if (d == Dialect::Postgres) return std::string("to_char(to_timestamp(") + epoch_col + ") AT TIME ZONE 'UTC', 'YYYY-MM')";
    return std::string("strftime('%Y-%m', ") + epoch_col + ", 'unixepoch')";
}

}  // namespace

std::string for_dialect(const std::string& s, Dialect d) {
    if (d == Dialect::Sqlite) return s;
    std::string o = s;
    for (std::size_t i = 0; i + 1 < o.size(); ++i)
        if (o[i] == '?' && std::isdigit(static_cast<unsigned char>(o[i + 1]))) o[i] = '$';
    return o;
}

std::string schema(Dialect d) {
    std::string big = d == Dialect::Postgres ? "BIGINT" : "INTEGER";
    std::string real = d == Dialect::Postgres ? "DOUBLE PRECISION" : "REAL";
    return "CREATE TABLE IF NOT EXISTS records (\n"
           "  site TEXT NOT NULL, record_id TEXT NOT NULL, cluster TEXT NOT NULL, job_id " + big + ",\n"
           "  kind TEXT NOT NULL, component TEXT NOT NULL, version " + big + " NOT NULL, created TEXT NOT NULL,\n"
           "  step_id TEXT NOT NULL, node TEXT NOT NULL, account TEXT NOT NULL, pseudonym TEXT NOT NULL,\n"
           "  verdict TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL,\n"
           "  event_time " + big + " NOT NULL, gpu_seconds " + real + ", pred_gib " + real + ", obs_peak " + real + ",\n"
           "  body TEXT NOT NULL, received " + big + " NOT NULL,\n"
           "  PRIMARY KEY (site, record_id));\n"
           "CREATE INDEX IF NOT EXISTS records_job ON records (site, cluster, job_id);\n"
           "CREATE INDEX IF NOT EXISTS records_time ON records (event_time);\n"
           "CREATE INDEX IF NOT EXISTS records_decision ON records (kind, decision);\n"
           "CREATE TABLE IF NOT EXISTS jobs (\n"
           "  site TEXT NOT NULL, cluster TEXT NOT NULL, job_id " + big + " NOT NULL, acc TEXT NOT NULL,\n"
           "  usr TEXT NOT NULL, ver TEXT NOT NULL, st TEXT, t0 " + big + " NOT NULL, t1 " + big + " NOT NULL,\n"
           "  nrec " + big + " NOT NULL, nsteps " + big + " NOT NULL, gs " + real + " NOT NULL, bgs " + real + " NOT NULL,\n"
           "  pg " + real + ", op " + real + ", PRIMARY KEY (site, cluster, job_id));\n"
           "CREATE INDEX IF NOT EXISTS jobs_t1 ON jobs (t1);\n";
}

std::vector<AddedColumn> added_column_list(Dialect d) {
    const std::string real = d == Dialect::Postgres ? "DOUBLE PRECISION" : "REAL";
    const std::string if_not = d == Dialect::Postgres ? "IF NOT EXISTS " : "";
    std::vector<AddedColumn> out;
    for (const auto& [table, cols] : std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>{
             {"records", {{"part", "TEXT"}, {"gpu_energy_j", real}, {"node_energy_j", real}, {"gpu_util_pct", real}}},
             {"jobs", {{"prt", "TEXT"}, {"ej", real}, {"nej", real}, {"uw", real}, {"uws", real}}}})
        for (const auto& [name, type] : cols)
            out.push_back({table, name, "ALTER TABLE " + table + " ADD COLUMN " + if_not + name + " " + type});
    return out;
}

std::vector<std::string> added_columns(Dialect d) {
    std::vector<std::string> out;
    for (const auto& c : added_column_list(d)) out.push_back(c.alter);
    return out;
}

std::string lock_jobs() {
    // Sorted in the subquery, so that each lock is taken in that order (not before a sort).
    return "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(j, 0) AS k "
           "FROM unnest($1::text[]) AS j ORDER BY k) AS keys";
}

std::string refresh_job(Dialect d) {
    std::string s = std::string("INSERT ") + (d == Dialect::Sqlite ? "OR REPLACE " : "") + "INTO jobs (" + kJobColumns +
                    ")\nSELECT site, cluster, job_id,\n  " + kJobAggregates +
                    "FROM records WHERE site = ?1 AND cluster = ?2 AND job_id = ?3 GROUP BY site, cluster, job_id";
    if (d == Dialect::Postgres)
        s += " ON CONFLICT (site, cluster, job_id) DO UPDATE SET acc = excluded.acc, usr = excluded.usr, "
             "ver = excluded.ver, st = excluded.st, t0 = excluded.t0, t1 = excluded.t1, nrec = excluded.nrec, "
             "nsteps = excluded.nsteps, gs = excluded.gs, bgs = excluded.bgs, pg = excluded.pg, op = excluded.op, "
             "prt = excluded.prt, ej = excluded.ej, nej = excluded.nej, uw = excluded.uw, uws = excluded.uws";
    return for_dialect(s, d);
}

std::string rebuild_jobs(Dialect d) {
    // PostgreSQL: a collector already running may summarise a job meanwhile (under its job
    // lock, from the records): its row stands.
    return std::string("INSERT INTO jobs (") + kJobColumns + ")\nSELECT site, cluster, job_id,\n  " + kJobAggregates +
           "FROM records WHERE job_id IS NOT NULL GROUP BY site, cluster, job_id" +
           (d == Dialect::Postgres ? " ON CONFLICT (site, cluster, job_id) DO NOTHING" : "");
}

std::string jobs_missing() {
    return "SELECT (SELECT COUNT(*) FROM jobs) = 0 AND EXISTS (SELECT 1 FROM records WHERE job_id IS NOT NULL)";
}

std::string record_body() { return "SELECT body FROM records WHERE site = ?1 AND record_id = ?2"; }

std::string find_version() { return "SELECT version, created FROM records WHERE site = ?1 AND record_id = ?2"; }

std::string run_records() {
    return "SELECT site, cluster, job_id, body FROM records WHERE kind = 'step_end' AND job_id IS NOT NULL\n"
           "  AND (CAST(?1 AS TEXT) = '' OR site = ?1) AND body LIKE ?2 ORDER BY event_time, record_id";
}

// Run names hold no '%' and no quote; '_' matches itself among others (run_of() decides).
std::string run_pattern(const std::string& run) { return "%\"run\":\"" + run + (run.empty() ? "%" : "\"%"); }

std::string run_of(const std::string& body) {
    json_error_t e;
    json_t* doc = json_loadb(body.data(), body.size(), 0, &e);
    if (!doc) return {};
    const json_t* v = json_object_get(doc, "run");
    std::string run = json_is_string(v) ? json_string_value(v) : "";
    json_decref(doc);
    return run;
}

void add_run_job(std::vector<std::pair<JobKey, std::string>>& out, JobKey key, const std::string& body,
                 const std::string& want) {
    const std::string run = run_of(body);
    if (run.empty() || (!want.empty() && run != want)) return;
    for (const auto& [k, r] : out)
        if (k.site == key.site && k.cluster == key.cluster && k.job_id == key.job_id) return;
    out.emplace_back(std::move(key), run);
}

std::string job_records() {
    return "SELECT body FROM records WHERE site = ?1 AND cluster = ?2 AND job_id = ?3 ORDER BY event_time, record_id";
}

namespace {

std::string placeholders(std::size_t row) {
    std::string v = "(";
    for (int i = 1; i <= kInsertParams; ++i)
        v += (i > 1 ? "," : "") + std::string("?") + std::to_string(row * kInsertParams + static_cast<std::size_t>(i));
    return v + ")";
}

// PostgreSQL's conflict clause: the version check happens in the statement itself, so several
// collectors can share one database; RETURNING tells inserted (xmax = 0) from updated, and a
// row that is not returned was unchanged.
std::string on_conflict() {
    std::string set, cols = kColumns;
    std::size_t pos = 0;
    while (pos < cols.size()) {
        std::size_t comma = cols.find(',', pos);
        std::string c = cols.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        while (!c.empty() && c[0] == ' ') c.erase(0, 1);
        if (c != "site" && c != "record_id") set += (set.empty() ? "" : ", ") + c + " = excluded." + c;
        pos = comma == std::string::npos ? cols.size() : comma + 1;
    }
    return " ON CONFLICT (site, record_id) DO UPDATE SET " + set +
           " WHERE excluded.version > records.version OR (excluded.version = records.version AND "
           "excluded.created > records.created) RETURNING (xmax = 0) AS inserted";
}

}  // namespace

std::string insert_or_replace(Dialect d) {
    std::string head = std::string("INSERT ") + (d == Dialect::Sqlite ? "OR REPLACE " : "") + "INTO records (" +
                       kColumns + ") VALUES " + placeholders(0);
    return d == Dialect::Sqlite ? head : head + on_conflict();
}

std::string upsert_many(std::size_t rows) {
    std::string s = std::string("INSERT INTO records (") + kColumns + ") VALUES ";
    for (std::size_t r = 0; r < rows; ++r) s += (r ? "," : "") + placeholders(r);
    return for_dialect(s + on_conflict(), Dialect::Postgres);
}

std::string list_jobs(Dialect d) {
    return jobs_cte(d) +
           "SELECT site, cluster, job_id, acc, usr, ver, st, t0, t1, CASE WHEN nsteps > 0 THEN gs ELSE bgs END, nrec\n"
           "FROM j ORDER BY t1 DESC, site, cluster, job_id DESC LIMIT ?6";
}

std::string gpu_hours(Dialect d) {
    return jobs_cte(d) + "SELECT site, acc, " + month(d, "t1") +
           " AS month, COALESCE(SUM(CASE WHEN nsteps > 0 THEN gs ELSE bgs END), 0) / 3600.0, COUNT(*)\n"
           "FROM j GROUP BY site, acc, month ORDER BY month DESC, site, acc LIMIT ?6";
}

std::string rejections(Dialect d) {
    std::string big = d == Dialect::Postgres ? "BIGINT" : "INTEGER";
    return "SELECT site, reason, COUNT(*) AS n FROM records WHERE kind = 'submit_decision' AND decision = 'rejected'\n"
           "  AND (CAST(?1 AS TEXT) = '' OR site = ?1) AND (CAST(?2 AS TEXT) = '' OR account = ?2)\n"
           "  AND (CAST(?3 AS TEXT) = '' OR verdict = ?3) AND (CAST(?7 AS TEXT) = '' OR part = ?7)\n"
           "  AND (CAST(?4 AS " + big + ") IS NULL OR event_time >= ?4) AND (CAST(?5 AS " + big +
           ") IS NULL OR event_time < ?5)\n"
           "GROUP BY site, reason ORDER BY n DESC, site, reason LIMIT ?6";
}

namespace {
const char* job_group_column(GroupBy g) { return g == GroupBy::Partition ? "prt" : g == GroupBy::Account ? "acc" : "usr"; }
const char* record_group_column(GroupBy g) {
    return g == GroupBy::Partition ? "part" : g == GroupBy::Account ? "account" : "pseudonym";
}
}  // namespace

std::string usage_groups(Dialect d, GroupBy g) {
    const std::string c = job_group_column(g);
    return jobs_cte(d) + "SELECT site, COALESCE(" + c + ", '') AS k, COUNT(*),\n"
           "  COALESCE(SUM(CASE WHEN nsteps > 0 THEN gs ELSE bgs END), 0) / 3600.0, SUM(ej), SUM(nej), SUM(uw), SUM(uws)\n"
           "FROM j GROUP BY site, k ORDER BY 4 DESC, site, k LIMIT ?6";
}

std::string decision_groups(Dialect d, GroupBy g) {
    std::string big = d == Dialect::Postgres ? "BIGINT" : "INTEGER";
    const std::string c = record_group_column(g);
    return "SELECT site, COALESCE(" + c + ", '') AS k, decision, COUNT(*) FROM records WHERE kind = 'submit_decision'\n"
           "  AND (CAST(?1 AS TEXT) = '' OR site = ?1) AND (CAST(?2 AS TEXT) = '' OR account = ?2)\n"
           "  AND (CAST(?3 AS TEXT) = '' OR verdict = ?3) AND (CAST(?7 AS TEXT) = '' OR part = ?7)\n"
           "  AND (CAST(?4 AS " + big + ") IS NULL OR event_time >= ?4) AND (CAST(?5 AS " + big +
           ") IS NULL OR event_time < ?5)\n"
           "GROUP BY site, k, decision ORDER BY site, k, decision LIMIT CAST(?6 AS " + big + ") * 3";
}

std::string predictions(Dialect d) {
    return jobs_cte(d) +
           "SELECT site, cluster, job_id, pg, op FROM j WHERE pg IS NOT NULL AND op IS NOT NULL\n"
           "ORDER BY t1 DESC, site, cluster, job_id DESC LIMIT ?6";
}

std::string count() { return "SELECT COUNT(*) FROM records"; }

}  // namespace aif::collect::sql
