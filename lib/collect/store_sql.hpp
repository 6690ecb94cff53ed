// SPDX-License-Identifier: GPL-2.0-or-later
// The SQL both stores run, written once. Placeholders are ?1..?N (SQLite's form); for
// PostgreSQL they become $1..$N. The few expressions that differ take the dialect.
#pragma once
#include <string>
#include <vector>

#include "collect/store.hpp"

namespace aif::collect::sql {

enum class Dialect { Sqlite, Postgres };

std::string schema(Dialect d);
// Columns added since the first release, as ALTER TABLE statements run after schema(): PostgreSQL
// skips those a table has (IF NOT EXISTS); SQLite refuses them with "duplicate column name",
// which the caller ignores. Old rows keep NULL there (shown as n/a).
std::vector<std::string> added_columns(Dialect d);
struct AddedColumn {
    std::string table, name, alter;  // alter: the ALTER TABLE statement that adds it
};
std::vector<AddedColumn> added_column_list(Dialect d);
// PostgreSQL: takes the transaction's advisory lock of each job in $1 (a text[] of
// "site/cluster/job"), in lock-key order.
std::string lock_jobs();
std::string find_version();
std::string job_records();
std::string record_body();  // ?1 site, ?2 record id
// JobFilter binds: ?1 site, ?2 account, ?3 verdict, ?4 from, ?5 to, ?6 limit, ?7 partition.
std::string list_jobs(Dialect d);
std::string gpu_hours(Dialect d);
std::string rejections(Dialect d);
std::string predictions(Dialect d);
// Per site and group: jobs, GPU-hours, GPU and node energy (J), Σ util x GPU-s, Σ GPU-s with util.
std::string usage_groups(Dialect d, GroupBy g);
// Per site, group and decision: submit decisions counted.
std::string decision_groups(Dialect d, GroupBy g);
std::string count();
// ?1 site ("" all), ?2 LIKE pattern on the body (run_pattern): site, cluster, job_id, body of step
// records, oldest first. A prefilter: run_of() reads the record's own top-level "run".
std::string run_records();
std::string run_pattern(const std::string& run);
// The record's top-level "run" ("" when none or not JSON).
std::string run_of(const std::string& body);
// Adds (key, run) to `out` unless the key is there already or the run is not `want` ("" any).
void add_run_job(std::vector<std::pair<JobKey, std::string>>& out, JobKey key, const std::string& body,
                 const std::string& want);
// The `jobs` table summarises each job's records (what listings and aggregates read, so they do
// not scan every record): refresh_job recomputes one job (?1 site, ?2 cluster, ?3 job id) after
// its records change, in the same transaction; rebuild_jobs fills it for a store that predates it
// (jobs_missing says so).
std::string refresh_job(Dialect d);
std::string rebuild_jobs(Dialect d);
std::string jobs_missing();
// ?1.. ?25: the Row's columns in the order of kColumns, ?26 received (epoch s).
std::string insert_or_replace(Dialect d);
// PostgreSQL: one upsert statement for `rows` rows (parameters ?1.. in row order, 26 per row).
std::string upsert_many(std::size_t rows);
inline constexpr int kInsertParams = 26;

std::string for_dialect(const std::string& sql, Dialect d);  // ?N → $N for PostgreSQL

}  // namespace aif::collect::sql
