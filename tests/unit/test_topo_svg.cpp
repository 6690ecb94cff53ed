// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory bind --svg` drawings: legend, rank numbers, shared NICs per rank, distinct colours
// beyond the 12-colour palette, and the uneven-NUMA warning (plan_balance).
#include <set>
#include <string>

#include "common/text.hpp"
#include "topo/plan_balance.hpp"
#include "topo/planner.hpp"
#include "topo/render_svg.hpp"
#include "topo_test_util.hpp"  // last: it includes check.h, which defines a fail() macro

namespace {

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

Plan plan_for(const Topology& t, int tasks) {
    PlanRequest req;
    req.tasks = tasks;
    return make_plan(t, req);
}

}  // namespace

// 16 ranks on tioga's 8 GCDs: every rank in the legend and on its cores, each NIC drawn once
// per rank that uses it, 16 different colours, and no warning (4 ranks on each NUMA node).
START_TEST(svg_sixteen_ranks) {
    LOAD_OR_SKIP(t, "mpibind_eas-tioga.xml");
    Plan p = plan_for(t, 16);
    std::string svg = render_svg(t, p);
    ck_assert_msg(svg.find(">Legend</text>") != std::string::npos, "no legend");
    ck_assert_msg(svg.find(">unused</text>") != std::string::npos, "no 'unused' legend entry");
    ck_assert_msg(svg.find("NIC (dashed outline)") != std::string::npos, "no NIC legend entry");
    std::set<std::string> colours;
    std::map<int, int> nic_users;
    for (const auto& task : p.tasks) {
        std::string r = std::to_string(task.rank);
        ck_assert_msg(svg.find("<g class='legend' data-rank='" + r + "'>") != std::string::npos, "rank %s: no legend", r.c_str());
        ck_assert_msg(svg.find(">rank " + r + ": GPU ") != std::string::npos, "rank %s: legend text", r.c_str());
        ck_assert_msg(svg.find("class='core-rank' x=") != std::string::npos, "no rank number on cores");
        ck_assert_msg(svg.find("font-size='8'>" + r + "</text>") != std::string::npos, "rank %s: no number on its cores",
                      r.c_str());
        ck_assert_msg(count(svg, "<g class='gpu' data-rank='" + r + "'>") == task.gpus.size(), "rank %s: GPU boxes", r.c_str());
        ck_assert_int_ge(task.nic, 0);
        ++nic_users[task.nic];
        ck_assert_msg(count(svg, "<g class='nic' data-rank='" + r + "'>") == 1, "rank %s: one NIC box", r.c_str());
        colours.insert(rank_colour(task.rank));
    }
    ck_assert_int_eq(colours.size(), 16);
    ck_assert_msg(colours.count(rank_colour(-1)) == 0, "a rank drawn in the 'unused' grey");
    // Shared NICs: some NIC serves several ranks, and each of them has its own box.
    int shared = 0;
    for (auto [nic, users] : nic_users) shared = std::max(shared, users);
    ck_assert_int_ge(shared, 2);
    ck_assert_int_eq(count(svg, "<g class='nic' data-rank="), p.tasks.size());
    ck_assert_msg(!numa_balance_warning(t, p), "16 ranks on 8 GCDs split evenly");
    ck_assert_msg(svg.find("class='warning'") == std::string::npos, "warning without cause");
}
END_TEST

// Colours stay distinct well past the palette.
START_TEST(colours_distinct_to_256) {
    std::set<std::string> seen;
    for (int r = 0; r < 256; ++r) seen.insert(rank_colour(r));
    ck_assert_int_eq(seen.size(), 256);
}
END_TEST

// 12 ranks on 8 GCDs: GCDs 0-3 serve two ranks each, so NUMA 1 and 3 (where they sit) get 4
// ranks and NUMA 0 and 2 get 2, although 3 on each would fit: a warning, also in the drawing.
START_TEST(uneven_numa_warning) {
    LOAD_OR_SKIP(t, "mpibind_eas-tioga.xml");
    Plan p = plan_for(t, 12);
    auto w = numa_balance_warning(t, p);
    ck_assert_msg(w.has_value(), "no warning for a 4,4,2,2 split");
    ck_assert_str_eq(*w, "ranks split unevenly over NUMA nodes: 2, 4, 2, 4 on NUMA 0, 1, 2, 3, though the step's GPUs allow 3 on each; a multiple of 8 tasks (the GPU count) splits evenly");
    std::string svg = render_svg(t, p);
    ck_assert_msg(svg.find("<text class='warning' x='20' y='38' fill='#b00000'>warning: " + aif::html_escape(*w) + "</text>") !=
                      std::string::npos, "warning not in the SVG");
    // 8 ranks: one per GCD, two per NUMA node: even.
    ck_assert_msg(!numa_balance_warning(t, plan_for(t, 8)), "8 ranks split evenly");
    // The GPUs decide: 6 ranks on GCDs 0, 1 (NUMA 3) and 2 (NUMA 1) split 4 + 2, the best there is.
    PlanRequest req;
    req.tasks = 6;
    req.gpus = std::vector<int>{0, 1, 2};
    Plan forced = make_plan(t, req);
    std::map<int, int> per_numa;
    for (const auto& task : forced.tasks) ++per_numa[rank_numa(t, task)];
    ck_assert_int_eq(per_numa.size(), 2);
    ck_assert_int_eq(std::max(per_numa.begin()->second, per_numa.rbegin()->second), 4);
    ck_assert_msg(!numa_balance_warning(t, forced), "warned about a split the GPUs force");
}
END_TEST

int main() {
    Suite* s = suite_create("topo_svg");
    TCase* tc = tcase_create("svg");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, svg_sixteen_ranks);
    tcase_add_test(tc, colours_distinct_to_256);
    tcase_add_test(tc, uneven_numa_warning);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
