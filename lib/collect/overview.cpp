// SPDX-License-Identifier: GPL-2.0-or-later
// The federation overview in its four forms. Numbers: GPU-hours 4 decimals, kWh 3, % 1.
#include "collect/overview.hpp"

#include <algorithm>
#include <cmath>

#include "collect/html.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::collect {
namespace {

constexpr GroupBy kGroups[] = {GroupBy::Partition, GroupBy::Account, GroupBy::User};
constexpr double kJoulesPerKwh = 3.6e6;

double round_to(double v, int decimals) {
    const double f = std::pow(10.0, decimals);
    return std::round(v * f) / f;
}
std::string na(const std::optional<double>& v, int decimals) { return v ? fmt_fixed(*v, decimals) : "n/a"; }

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '\\') o += "\\\\";
        else if (c == '"') o += "\\\"";
        else if (c == '\n') o += "\\n";
        else o += c;
    }
    return o;
}

// GPU-hours of a group: n/a for one that only has submit decisions (no job ran).
std::optional<double> hours(const UsageGroup& r) { return r.jobs ? std::optional<double>(r.gpu_hours) : std::nullopt; }

}  // namespace

// A CSV field: quoted when it holds a separator, quote or newline; a leading = + - @ is
// neutralised so a spreadsheet does not run it as a formula (keys come from submissions).
std::string csv_field(const std::string& s) {
    std::string v = s;
    if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

UsageGroup usage_group(std::string site, std::string key, std::int64_t jobs, double gpu_hours,
                       std::optional<double> gpu_energy_j, std::optional<double> node_energy_j,
                       std::optional<double> util_weighted, std::optional<double> util_weight) {
    UsageGroup g;
    g.site = std::move(site);
    g.key = std::move(key);
    g.jobs = jobs;
    g.gpu_hours = round_to(gpu_hours, 4);
    if (gpu_energy_j) g.gpu_energy_kwh = round_to(*gpu_energy_j / kJoulesPerKwh, 6);
    if (node_energy_j) g.node_energy_kwh = round_to(*node_energy_j / kJoulesPerKwh, 6);
    if (util_weighted && util_weight && *util_weight > 0) g.gpu_util_mean_pct = round_to(*util_weighted / *util_weight, 1);
    return g;
}

void add_decisions(std::vector<UsageGroup>& groups, const std::string& site, const std::string& key,
                   const std::string& decision, std::int64_t count) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const UsageGroup& g) { return g.site == site && g.key == key; });
    if (it == groups.end()) {
        UsageGroup g;
        g.site = site;
        g.key = key;
        groups.push_back(g);
        it = groups.end() - 1;
    }
    if (decision == "accepted") it->accepted += count;
    else if (decision == "warned") it->warned += count;
    else if (decision == "rejected") it->rejected += count;
}

const char* group_name(GroupBy g) {
    return g == GroupBy::Partition ? "partition" : g == GroupBy::Account ? "account" : "user";
}

std::optional<GroupBy> parse_group(const std::string& s) {
    for (GroupBy g : kGroups)
        if (s == group_name(g)) return g;
    return std::nullopt;
}

std::string usage_json(GroupBy g, const std::vector<UsageGroup>& rows) {
    json::Ptr o(json_object());
    json_t* items = json_array();
    for (const auto& r : rows) {
        json_t* it = json_object();
        auto real = [&](const char* k, const std::optional<double>& v) { json_object_set_new(it, k, v ? json_real(*v) : json_null()); };
        json_object_set_new(it, "site", json_string(r.site.c_str()));
        json_object_set_new(it, group_name(g), json_string(r.key.c_str()));
        json_object_set_new(it, "jobs", json_integer(r.jobs));
        real("gpu_hours", hours(r));
        real("gpu_energy_kwh", r.gpu_energy_kwh);
        real("node_energy_kwh", r.node_energy_kwh);
        real("gpu_util_mean_pct", r.gpu_util_mean_pct);
        json_object_set_new(it, "accepted", json_integer(r.accepted));
        json_object_set_new(it, "warned", json_integer(r.warned));
        json_object_set_new(it, "rejected", json_integer(r.rejected));
        json_array_append_new(items, it);
    }
    json_object_set_new(o.get(), "group", json_string(group_name(g)));
    json_object_set_new(o.get(), "count", json_integer(static_cast<json_int_t>(rows.size())));
    json_object_set_new(o.get(), "items", items);
    return json::dump(o.get(), true) + "\n";
}

std::string usage_csv(GroupBy g, const std::vector<UsageGroup>& rows) {
    std::string s = std::string("site,") + group_name(g) +
                    ",jobs,gpu_hours,gpu_energy_kwh,node_energy_kwh,gpu_util_mean_pct,accepted,warned,rejected\r\n";
    for (const auto& r : rows)
        s += csv_field(r.site) + "," + csv_field(r.key) + "," + std::to_string(r.jobs) + "," + na(hours(r), 4) +
             "," + na(r.gpu_energy_kwh, 3) + "," + na(r.node_energy_kwh, 3) + "," + na(r.gpu_util_mean_pct, 1) + "," +
             std::to_string(r.accepted) + "," + std::to_string(r.warned) + "," + std::to_string(r.rejected) + "\r\n";
    return s;
}

std::string usage_page(const std::string& viewer, const std::string& query,
                       const std::vector<std::pair<GroupBy, std::vector<UsageGroup>>>& tables,
                       const std::string& more_html) {
    const std::string title = viewer == "*" ? "aifactory federation overview" : "aifactory overview: site " + viewer;
    std::string s = page_head(title) + "<h1>" + html_escape(title) + "</h1>\n";
    s += "<form id=\"filters\" method=\"get\" action=\"/overview\">";
    for (const char* f : {"site", "partition", "account", "from", "to"})
        s += std::string("<label>") + f + " <input name=\"" + f + "\" size=\"12\"></label> ";
    s += "<button type=\"submit\">filter</button> <span class=\"muted\">from/to: 2026-08-01T00:00:00Z</span></form>\n";
    if (!query.empty()) s += "<p class=\"muted\">Filter: " + html_escape(query) + "</p>\n";
    const std::string tail = query.empty() ? "" : "&" + query;
    for (const auto& [g, rows] : tables) {
        const std::string name = group_name(g);
        s += "<h2>Per " + name + "</h2>\n<p>Export: <a href=\"" + html_escape("/v1/overview?group=" + name + "&format=csv" + tail) +
             "\">CSV</a> <a href=\"" + html_escape("/v1/overview?group=" + name + tail) + "\">JSON</a></p>\n";
        s += "<table id=\"by-" + name + "\"><tr><th>site</th><th>" + name +
             "</th><th>jobs</th><th>GPU-hours</th><th>GPU energy, kWh</th><th>node energy, kWh</th>"
             "<th>mean GPU utilisation, %</th><th>accepted</th><th>warned</th><th>rejected</th></tr>\n";
        if (rows.empty()) s += "<tr><td colspan=\"10\" class=\"muted\">n/a: no jobs or decisions match</td></tr>\n";
        for (const auto& r : rows)
            s += "<tr><td>" + html_escape(r.site) + "</td><td>" + html_escape(r.key.empty() ? "(not given)" : r.key) +
                 "</td><td class=\"n\">" + std::to_string(r.jobs) + "</td><td class=\"n\">" + na(hours(r), 4) +
                 "</td><td class=\"n\">" + na(r.gpu_energy_kwh, 3) + "</td><td class=\"n\">" + na(r.node_energy_kwh, 3) +
                 "</td><td class=\"n\">" + na(r.gpu_util_mean_pct, 1) + "</td><td class=\"n\">" + std::to_string(r.accepted) +
                 "</td><td class=\"n\">" + std::to_string(r.warned) + "</td><td class=\"n\">" + std::to_string(r.rejected) +
                 "</td></tr>\n";
        s += "</table>\n";
    }
    return s + more_html + "<p class=\"muted\"><a href=\"/\">Jobs</a> · <a href=\"/metrics\">Prometheus metrics</a></p>\n</body></html>\n";
}

std::string usage_metrics(const std::vector<std::pair<GroupBy, std::vector<UsageGroup>>>& tables) {
    std::string s;
    for (const auto& table : tables) {
        const std::vector<UsageGroup>& rows = table.second;  // not a structured binding: the lambdas capture it
        const std::string name = group_name(table.first), prefix = "aifactory_" + name + "_";
        auto family = [&](const std::string& metric, const std::string& help, auto value) {
            s += "# HELP " + prefix + metric + " " + help + "\n# TYPE " + prefix + metric + " gauge\n";
            for (const auto& r : rows) {
                const std::string labels = "site=\"" + label(r.site) + "\"," + name + "=\"" + label(r.key) + "\"";
                value(r, prefix + metric + "{" + labels);
            }
        };
        auto number = [&](const std::string& metric, const std::string& help, auto get) {
            family(metric, help, [&](const UsageGroup& r, const std::string& head) {
                if (auto v = get(r)) s += head + "} " + fmt_fixed(*v, 6) + "\n";  // n/a: no sample
            });
        };
        number("jobs", "Jobs with accounting records, per site and " + name + ".",
               [](const UsageGroup& r) { return std::optional<double>(static_cast<double>(r.jobs)); });
        number("gpu_hours", "GPU-hours used by job steps, per site and " + name + ".",
               [](const UsageGroup& r) { return hours(r); });
        number("gpu_energy_kwh", "Measured GPU energy, kWh (absent where not measured).",
               [](const UsageGroup& r) { return r.gpu_energy_kwh; });
        number("node_energy_kwh", "Measured node energy, kWh (absent where not measured).",
               [](const UsageGroup& r) { return r.node_energy_kwh; });
        number("gpu_utilisation_mean_pct", "Mean GPU utilisation weighted by GPU-seconds, % (absent where not measured).",
               [](const UsageGroup& r) { return r.gpu_util_mean_pct; });
        family("submissions", "Submit decisions by job_submit, per site, " + name + " and decision.",
               [&](const UsageGroup& r, const std::string& head) {
                   s += head + ",decision=\"accepted\"} " + std::to_string(r.accepted) + "\n";
                   s += head + ",decision=\"warned\"} " + std::to_string(r.warned) + "\n";
                   s += head + ",decision=\"rejected\"} " + std::to_string(r.rejected) + "\n";
               });
    }
    return s;
}

}  // namespace aif::collect
