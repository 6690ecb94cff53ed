// SPDX-License-Identifier: GPL-2.0-or-later
// The federation overview: GPU-hours, energy, mean GPU utilisation and submit decisions per
// site and partition, account or user, as JSON, CSV, an HTML page and Prometheus metrics. Every
// form writes "n/a" (JSON null, an absent sample) where no job of a group has the measurement.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "collect/store.hpp"

namespace aif::collect {

// For the stores: a group from its SQL sums (energy in J; utilisation as Σ util x GPU-s and
// Σ GPU-s), and submit decisions added to their group (made if the group had no job).
UsageGroup usage_group(std::string site, std::string key, std::int64_t jobs, double gpu_hours,
                       std::optional<double> gpu_energy_j, std::optional<double> node_energy_j,
                       std::optional<double> util_weighted, std::optional<double> util_weight);
void add_decisions(std::vector<UsageGroup>& groups, const std::string& site, const std::string& key,
                   const std::string& decision, std::int64_t count);

const char* group_name(GroupBy g);                        // "partition" | "account" | "user"
std::optional<GroupBy> parse_group(const std::string& s);  // nullopt for anything else

std::string usage_json(GroupBy g, const std::vector<UsageGroup>& rows);
// A CSV field: quoted where needed; a leading = + - @ neutralised (no spreadsheet formulas).
std::string csv_field(const std::string& s);
std::string usage_csv(GroupBy g, const std::vector<UsageGroup>& rows);
// `query`: the filter's query string, kept in the export links ("" or "site=a&...").
// `more_html`: further sections (the calculator's accuracy) before the footer.
std::string usage_page(const std::string& viewer, const std::string& query,
                       const std::vector<std::pair<GroupBy, std::vector<UsageGroup>>>& tables,
                       const std::string& more_html = "");
// Prometheus text exposition (version 0.0.4) of the same aggregates.
std::string usage_metrics(const std::vector<std::pair<GroupBy, std::vector<UsageGroup>>>& tables);

}  // namespace aif::collect
