// SPDX-License-Identifier: GPL-2.0-or-later
// The binding planner (see planner.hpp for the policies). Pure: every choice is ordered by
// indexes, so the same input always gives the same plan.
#include "topo/planner.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "common/error.hpp"
#include "common/enum_names.hpp"
#include "common/text.hpp"

namespace aif::topo {

namespace {
const EnumName<Policy> kPolicyNames[] = {{Policy::closest, "closest"}, {Policy::spread, "spread"}, {Policy::none, "none"}};
}  // namespace

const char* policy_name(Policy p) { return name_of(kPolicyNames, p, "none"); }

Policy parse_policy(const std::string& s, const std::string& what) {
    if (const auto* e = find_enum(kPolicyNames, s)) return e->value;
    throw InputError(what + ": '" + printable(s) + "' is not a policy (" + enum_names(kPolicyNames, ", ") + ")");
}

std::vector<int> parse_list(const std::string& s, const std::string& what) {
    std::set<int> out;
    for (const auto& part : split(s, ',')) {
        auto dash = part.find('-', 1);
        if (dash == std::string::npos) {
            out.insert(static_cast<int>(parse_int(part, what, 0, 1 << 20)));
            continue;
        }
        long long lo = parse_int(part.substr(0, dash), what, 0, 1 << 20);
        long long hi = parse_int(part.substr(dash + 1), what, 0, 1 << 20);
        if (hi < lo) throw InputError(what + ": range '" + part + "' runs backwards");
        for (long long i = lo; i <= hi; ++i) out.insert(static_cast<int>(i));
    }
    return {out.begin(), out.end()};
}

std::string format_list(const std::vector<int>& v) {
    std::vector<int> s(v);
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t j = i;
        while (j + 1 < s.size() && s[j + 1] == s[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(s[i]);
        if (j > i) out += '-' + std::to_string(s[j]);
        i = j + 1;
    }
    return out;
}

namespace {

// Sizes of k balanced blocks over n items, larger blocks first.
std::vector<std::size_t> block_sizes(std::size_t n, std::size_t k) {
    std::vector<std::size_t> out(k, n / k);
    for (std::size_t i = 0; i < n % k; ++i) ++out[i];
    return out;
}

struct Work {
    const Topology& topo;
    const PlanRequest& req;
    Plan plan;
    std::vector<char> allowed;               // per core
    std::vector<std::vector<int>> pus;       // explicit PUs when tasks outnumber cores
    std::vector<char> taken;                 // per core, already given to a task

    Work(const Topology& t, const PlanRequest& r) : topo(t), req(r), allowed(t.cores.size(), 0), taken(t.cores.size(), 0) {}

    void warn(std::string w) {
        if (std::find(plan.warnings.begin(), plan.warnings.end(), w) == plan.warnings.end())
            plan.warnings.push_back(std::move(w));
    }

    std::vector<int> allowed_of(const std::vector<int>& cores) const {
        std::vector<int> out;
        for (int c : cores)
            if (allowed[static_cast<std::size_t>(c)]) out.push_back(c);
        return out;
    }

    // Give `cores` (ascending) to `tasks` (ranks) in consecutive blocks. With more tasks than
    // cores, hardware threads are dealt instead, and past that tasks share.
    void share(const std::vector<int>& cores, const std::vector<int>& tasks) {
        if (cores.empty() || tasks.empty()) return;
        for (int c : cores) taken[static_cast<std::size_t>(c)] = 1;
        if (tasks.size() <= cores.size()) {
            auto sizes = block_sizes(cores.size(), tasks.size());
            std::size_t at = 0;
            for (std::size_t i = 0; i < tasks.size(); ++i) {
                auto& mine = plan.tasks[static_cast<std::size_t>(tasks[i])].cores;
                mine.insert(mine.end(), cores.begin() + static_cast<long>(at),
                            cores.begin() + static_cast<long>(at + sizes[i]));
                at += sizes[i];
            }
            return;
        }
        std::vector<std::pair<int, int>> threads;  // (core, pu)
        for (int c : cores)
            for (int pu : topo.cores[static_cast<std::size_t>(c)].pus) threads.emplace_back(c, pu);
        if (tasks.size() <= threads.size()) {
            warn("more tasks than cores: tasks share cores, one hardware thread each");
            auto sizes = block_sizes(threads.size(), tasks.size());
            std::size_t at = 0;
            for (std::size_t i = 0; i < tasks.size(); ++i)
                for (std::size_t k = 0; k < sizes[i]; ++k, ++at) give_pu(tasks[i], threads[at]);
        } else {
            warn("more tasks than hardware threads: tasks share hardware threads");
            for (std::size_t i = 0; i < tasks.size(); ++i) give_pu(tasks[i], threads[i % threads.size()]);
        }
    }

    void give_pu(int rank, std::pair<int, int> t) {
        auto& task = plan.tasks[static_cast<std::size_t>(rank)];
        if (std::find(task.cores.begin(), task.cores.end(), t.first) == task.cores.end()) task.cores.push_back(t.first);
        pus[static_cast<std::size_t>(rank)].push_back(t.second);
    }

    // Allowed cores closest to a GPU whose own locality has none: same NUMA node, then package.
    std::vector<int> nearest_allowed(const Gpu& g) {
        std::set<int> numas, packages;
        for (int c : g.cores) {
            numas.insert(topo.cores[static_cast<std::size_t>(c)].numa);
            packages.insert(topo.cores[static_cast<std::size_t>(c)].package);
        }
        std::vector<int> same_numa, same_pkg, any;
        for (std::size_t c = 0; c < topo.cores.size(); ++c) {
            if (!allowed[c]) continue;
            if (numas.count(topo.cores[c].numa)) same_numa.push_back(static_cast<int>(c));
            if (packages.count(topo.cores[c].package)) same_pkg.push_back(static_cast<int>(c));
            any.push_back(static_cast<int>(c));
        }
        const char* where = !same_numa.empty() ? "its NUMA node" : !same_pkg.empty() ? "its package" : "another package";
        warn("the step has no core local to GPU " + g.name + " (" + g.locality + "); using cores of " + where);
        return !same_numa.empty() ? same_numa : !same_pkg.empty() ? same_pkg : any;
    }

    void deal_gpus(const std::vector<int>& gpus) {
        std::size_t t = plan.tasks.size(), n = gpus.size();
        if (t >= n) {
            auto sizes = block_sizes(t, n);
            std::size_t rank = 0;
            for (std::size_t j = 0; j < n; ++j)
                for (std::size_t k = 0; k < sizes[j]; ++k) plan.tasks[rank++].gpus.push_back(gpus[j]);
            return;
        }
        std::vector<int> by_locality(gpus);
        auto first_core = [&](int g) {
            const auto& c = topo.gpus[static_cast<std::size_t>(g)].cores;
            return c.empty() ? 1 << 30 : *std::min_element(c.begin(), c.end());
        };
        std::stable_sort(by_locality.begin(), by_locality.end(),
                         [&](int a, int b) { return first_core(a) < first_core(b); });
        auto sizes = block_sizes(n, t);
        std::vector<std::vector<int>> blocks(t);
        std::size_t at = 0;
        for (std::size_t r = 0; r < t; ++r) {
            for (std::size_t k = 0; k < sizes[r]; ++k) blocks[r].push_back(by_locality[at++]);
            std::sort(blocks[r].begin(), blocks[r].end());  // index order in *_VISIBLE_DEVICES
        }
        // Ranks follow GPU numbering: the block holding the lowest GPU index goes to rank 0.
        std::stable_sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
        for (std::size_t r = 0; r < t; ++r) plan.tasks[r].gpus = blocks[r];
    }

    // Each GPU's allowed local cores are shared among the tasks that use the GPU; tasks with
    // GPUs of one locality share that locality. Smaller localities are served first so a core
    // inside two nested localities goes to the tighter one.
    void cores_by_gpu() {
        std::map<std::vector<int>, std::vector<int>> claims;  // home cores → ranks
        for (auto& task : plan.tasks)
            for (int g : task.gpus) {
                const Gpu& gpu = topo.gpus[static_cast<std::size_t>(g)];
                std::vector<int> home = allowed_of(gpu.cores);
                if (home.empty()) {
                    home = nearest_allowed(gpu);
                    task.local = false;
                }
                auto& ranks = claims[home];
                if (ranks.empty() || ranks.back() != task.rank) ranks.push_back(task.rank);
            }
        std::vector<std::pair<std::vector<int>, std::vector<int>>> order(claims.begin(), claims.end());
        std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
            if (a.first.size() != b.first.size()) return a.first.size() < b.first.size();
            return a.second.front() < b.second.front();
        });
        for (auto& [home, ranks] : order) {
            std::vector<int> free;
            for (int c : home)
                if (!taken[static_cast<std::size_t>(c)]) free.push_back(c);
            if (free.empty()) {
                warn("GPU localities overlap: some tasks share cores");
                free = home;
            }
            share(free, ranks);
        }
    }

    // Tasks over NUMA nodes in proportion to their allowed cores (whole nodes per task when
    // there are fewer tasks than nodes).
    void cores_by_numa() {
        std::vector<std::vector<int>> groups;
        std::map<int, std::size_t> index;
        for (std::size_t c = 0; c < topo.cores.size(); ++c) {
            if (!allowed[c]) continue;
            int key = topo.cores[c].numa >= 0 ? topo.cores[c].numa : 100000 + topo.cores[c].package;
            auto it = index.find(key);
            if (it == index.end()) it = index.emplace(key, groups.size()).first, groups.emplace_back();
            groups[it->second].push_back(static_cast<int>(c));
        }
        std::vector<std::pair<int, std::vector<int>>> sorted;
        for (auto& [key, i] : index) sorted.emplace_back(key, groups[i]);
        std::size_t t = plan.tasks.size(), m = sorted.size();
        if (t <= m) {
            auto sizes = block_sizes(m, t);
            std::size_t at = 0;
            for (std::size_t r = 0; r < t; ++r) {
                std::vector<int> cores;
                for (std::size_t k = 0; k < sizes[r]; ++k, ++at)
                    cores.insert(cores.end(), sorted[at].second.begin(), sorted[at].second.end());
                share(cores, {static_cast<int>(r)});
            }
            return;
        }
        std::size_t total = 0;
        for (auto& g : sorted) total += g.second.size();
        std::vector<std::size_t> count(m);
        std::vector<std::pair<double, std::size_t>> rest;
        std::size_t given = 0;
        for (std::size_t j = 0; j < m; ++j) {
            double q = static_cast<double>(t) * static_cast<double>(sorted[j].second.size()) / static_cast<double>(total);
            count[j] = static_cast<std::size_t>(q);
            given += count[j];
            rest.emplace_back(-(q - static_cast<double>(count[j])), j);
        }
        std::stable_sort(rest.begin(), rest.end());
        for (std::size_t i = 0; given < t; ++i, ++given) ++count[rest[i % m].second];
        int rank = 0;
        for (std::size_t j = 0; j < m; ++j) {
            std::vector<int> ranks;
            for (std::size_t k = 0; k < count[j]; ++k) ranks.push_back(rank++);
            share(sorted[j].second, ranks);
        }
    }

    // spread: cores no task got go to the nearest tasks (same NUMA node, package, else all).
    void spread_leftovers() {
        std::map<int, std::vector<int>> by_numa;
        for (std::size_t c = 0; c < topo.cores.size(); ++c)
            if (allowed[c] && !taken[c]) by_numa[topo.cores[c].numa].push_back(static_cast<int>(c));
        for (auto& [numa, cores] : by_numa) {
            int pkg = topo.cores[static_cast<std::size_t>(cores.front())].package;
            std::vector<int> same_numa, same_pkg, all;
            for (auto& task : plan.tasks) {
                bool n = false, p = false;
                for (int c : task.cores) {
                    n = n || topo.cores[static_cast<std::size_t>(c)].numa == numa;
                    p = p || topo.cores[static_cast<std::size_t>(c)].package == pkg;
                }
                if (n) same_numa.push_back(task.rank);
                if (p) same_pkg.push_back(task.rank);
                all.push_back(task.rank);
            }
            const auto& to = !same_numa.empty() ? same_numa : !same_pkg.empty() ? same_pkg : all;
            if (to.size() <= cores.size()) {
                share(cores, to);
            } else {  // fewer cores than candidates: one each to the tasks with the fewest
                std::vector<int> c(to);
                std::stable_sort(c.begin(), c.end(), [&](int a, int b) {
                    return plan.tasks[static_cast<std::size_t>(a)].cores.size() <
                           plan.tasks[static_cast<std::size_t>(b)].cores.size();
                });
                c.resize(cores.size());
                std::sort(c.begin(), c.end());
                share(cores, c);
            }
        }
    }

    void finish_cpus() {
        bool short_warned = false;
        for (auto& task : plan.tasks) {
            std::sort(task.cores.begin(), task.cores.end());
            auto& explicit_pus = pus[static_cast<std::size_t>(task.rank)];
            std::vector<int> cpus;
            if (!explicit_pus.empty()) {
                cpus = explicit_pus;
            } else {
                for (int c : task.cores) {
                    const auto& p = topo.cores[static_cast<std::size_t>(c)].pus;
                    if (req.smt)
                        cpus.insert(cpus.end(), p.begin(), p.end());
                    else if (!p.empty())
                        cpus.push_back(p.front());
                }
            }
            if (req.threads > 0) {
                if (cpus.size() > static_cast<std::size_t>(req.threads)) {
                    cpus.resize(static_cast<std::size_t>(req.threads));
                } else if (cpus.size() < static_cast<std::size_t>(req.threads) && !short_warned) {
                    warn(std::to_string(req.threads) + " threads per task asked, but task " + std::to_string(task.rank) +
                         " has only " + std::to_string(cpus.size()) + " CPUs");
                    short_warned = true;
                }
                std::vector<int> kept;  // cores that still hold one of the kept CPUs
                for (int c : task.cores)
                    for (int pu : topo.cores[static_cast<std::size_t>(c)].pus)
                        if (std::find(cpus.begin(), cpus.end(), pu) != cpus.end()) {
                            kept.push_back(c);
                            break;
                        }
                task.cores = kept;
            }
            std::sort(cpus.begin(), cpus.end());
            task.cpus = cpus;
            std::set<int> numa;
            for (int c : task.cores)
                if (int n = topo.cores[static_cast<std::size_t>(c)].numa; n >= 0)
                    numa.insert(topo.numas[static_cast<std::size_t>(n)].os_index);
            task.numa.assign(numa.begin(), numa.end());
        }
    }

    void choose_nics() {
        std::vector<int> fabric;
        for (std::size_t n = 0; n < topo.nics.size(); ++n)
            if (is_fabric(topo.nics[n])) fabric.push_back(static_cast<int>(n));
        if (fabric.empty()) return;
        std::vector<int> load(topo.nics.size(), 0);
        for (auto& task : plan.tasks) {
            auto score = [&](int n) {
                if (!task.gpus.empty())
                    return topo.gpu_nic_distance[static_cast<std::size_t>(task.gpus.front())][static_cast<std::size_t>(n)];
                const auto& nc = topo.nics[static_cast<std::size_t>(n)].cores;
                for (int c : task.cores)
                    if (std::find(nc.begin(), nc.end(), c) != nc.end()) return 0;
                if (!task.cores.empty() && !nc.empty() &&
                    topo.cores[static_cast<std::size_t>(nc.front())].package ==
                        topo.cores[static_cast<std::size_t>(task.cores.front())].package)
                    return 1;
                return 2;
            };
            int best = -1, best_score = 0;
            for (int n : fabric) {
                int s = score(n);
                if (best < 0 || s < best_score || (s == best_score && load[static_cast<std::size_t>(n)] < load[static_cast<std::size_t>(best)])) {
                    best = n;
                    best_score = s;
                }
            }
            task.nic = best;
            ++load[static_cast<std::size_t>(best)];
        }
    }
};

}  // namespace

Plan make_plan(const Topology& topo, const PlanRequest& req) {
    if (req.tasks < 1 || req.tasks > 65536)
        throw InputError("tasks: " + std::to_string(req.tasks) + " is out of range (1..65536)");
    if (req.threads < 0) throw InputError("threads: must not be negative");
    Work w(topo, req);
    w.plan.policy = req.policy;
    for (int r = 0; r < req.tasks; ++r) w.plan.tasks.push_back(TaskPlan{r, {}, {}, {}, {}, -1, true});
    w.pus.assign(static_cast<std::size_t>(req.tasks), {});

    if (req.cores) {
        if (req.cores->empty()) throw InputError("cores: the step has no cores on this node");
        for (int c : *req.cores) {
            if (c < 0 || static_cast<std::size_t>(c) >= topo.cores.size())
                throw InputError("cores: core " + std::to_string(c) + " is not on this node (0-" +
                                 std::to_string(topo.cores.size() - 1) + ")");
            w.allowed[static_cast<std::size_t>(c)] = 1;
        }
    } else {
        std::fill(w.allowed.begin(), w.allowed.end(), 1);
    }

    std::vector<int> gpus;  // Topology::gpus indexes, by GPU index
    if (req.gpus) {
        for (int idx : *req.gpus) {
            auto it = std::find_if(topo.gpus.begin(), topo.gpus.end(), [&](const Gpu& g) { return g.index == idx; });
            if (it == topo.gpus.end()) {
                std::vector<int> have;
                for (const auto& g : topo.gpus) have.push_back(g.index);
                throw InputError("gpus: GPU " + std::to_string(idx) + " is not on this node (" +
                                 (have.empty() ? std::string("it has none") : "GPUs " + format_list(have)) + ")");
            }
            for (; it != topo.gpus.end() && it->index == idx; ++it)
                gpus.push_back(static_cast<int>(it - topo.gpus.begin()));
        }
        std::sort(gpus.begin(), gpus.end());
        gpus.erase(std::unique(gpus.begin(), gpus.end()), gpus.end());
    } else {
        for (std::size_t g = 0; g < topo.gpus.size(); ++g) gpus.push_back(static_cast<int>(g));
    }

    if (req.policy == Policy::none) return w.plan;
    if (gpus.empty()) {
        w.cores_by_numa();
    } else {
        w.deal_gpus(gpus);
        w.cores_by_gpu();
        if (req.policy == Policy::spread) w.spread_leftovers();
    }
    w.finish_cpus();
    w.choose_nics();
    return w.plan;
}

}  // namespace aif::topo
