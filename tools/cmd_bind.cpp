// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory bind`: dry run of the rank-pinning plan for a node (this one, or an hwloc XML).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include <jansson.h>

#include "args.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "topo/bind_env.hpp"
#include "topo/plan_balance.hpp"
#include "topo/planner.hpp"
#include "topo/render_svg.hpp"
#include "topo/topology.hpp"

namespace aif::cli {

namespace {

const CommandSpec& spec() {
    static const CommandSpec s{
        "bind",
        "",
        "Print which GPU(s), CPUs, NUMA memory node and NIC each local task of a step gets.",
        {
            {"topology", Takes::Value, "FILE.xml", "hwloc XML (lstopo --of xml); default: this machine"},
            {"tasks", Takes::Value, "N", "tasks on the node (default: one per GPU, or per NUMA node)", 'n'},
            {"gpus", Takes::Value, "LIST", "GPU indexes the step may use, e.g. 0-3,6, or none (default: all)"},
            {"cores", Takes::Value, "LIST", "logical core indexes the step may use (default: all)"},
            {"policy", Takes::Value, "closest|spread|none", "GPU-local cores only, or also the others, or no binding"},
            {"smt", Takes::Nothing, "", "bind all hardware threads of each core, not only the first"},
            {"threads", Takes::Value, "N", "CPUs per task, at most the node's cores (PUs with --smt)"},
            {"env", Takes::Nothing, "", "also print the environment each task gets"},
            {"json", Takes::Nothing, "", "machine-readable output"},
            {"svg", Takes::Value, "FILE", "draw the mapping (packages, NUMA nodes, GPUs, NICs by rank)"},
        },
        "Default policy: closest; default CPUs per task: the task's whole share."};
    return s;
}

// --threads beyond what the node has cannot be met by any plan: say so and name the limit.
void check_threads(const topo::Topology& t, const topo::PlanRequest& req) {
    std::size_t limit = t.cores.size();
    if (req.smt) {
        limit = 0;
        for (const auto& c : t.cores) limit += c.pus.size();
    }
    if (req.threads > 0 && static_cast<std::size_t>(req.threads) > limit)
        throw InputError("--threads: " + std::to_string(req.threads) + " is more than the node's " +
                         std::to_string(limit) + (req.smt ? " hardware threads" : " cores") + " (at most " +
                         std::to_string(limit) + (req.smt ? ")" : "; with --smt, hardware threads count)"));
}

json_t* int_array(const std::vector<int>& v) {
    json_t* a = json_array();
    for (int x : v) json_array_append_new(a, json_integer(x));
    return a;
}

void print_text(const topo::Topology& t, const topo::Plan& plan, const topo::EnvOptions& eo, bool with_env) {
    std::printf("topology: %s\n  %s\n", t.source.c_str(), topo::describe(t).c_str());
    std::printf("policy %s, %zu task(s)\n", topo::policy_name(plan.policy), plan.tasks.size());
    for (const auto& task : plan.tasks) {
        std::string line = topo::describe_task(t, task, "");
        // describe_task leaves an empty host field for the dry run: drop it.
        auto h = line.find(" host  ");
        if (h != std::string::npos) line.erase(h, 6);
        std::printf("%s\n", line.c_str());
        if (!with_env) continue;
        for (const auto& e : topo::task_env(t, task, eo))
            std::printf("    %s%s\n", e.name.c_str(), e.unset ? " (unset)" : ("=" + e.value).c_str());
    }
    for (const auto& w : plan.warnings) std::printf("warning: %s\n", w.c_str());
}

void print_json(const topo::Topology& t, const topo::Plan& plan, const topo::EnvOptions& eo, bool with_env) {
    json::Ptr root(json_object());
    json_object_set_new(root.get(), "topology", json_string(t.source.c_str()));
    json_object_set_new(root.get(), "policy", json_string(topo::policy_name(plan.policy)));
    json_t* tasks = json_array();
    for (const auto& task : plan.tasks) {
        json_t* o = json_object();
        json_object_set_new(o, "rank", json_integer(task.rank));
        json_t* gpus = json_array();
        for (int g : task.gpus) {
            const auto& gpu = t.gpus[static_cast<std::size_t>(g)];
            json_t* go = json_object();
            json_object_set_new(go, "index", json_integer(gpu.index));
            json_object_set_new(go, "pci", json_string(gpu.pci.c_str()));
            json_object_set_new(go, "name", json_string(gpu.name.c_str()));
            json_array_append_new(gpus, go);
        }
        json_object_set_new(o, "gpus", gpus);
        json_object_set_new(o, "cpus", int_array(task.cpus));
        json_object_set_new(o, "numa", int_array(task.numa));
        json_object_set_new(o, "nic", task.nic >= 0 ? json_string(t.nics[static_cast<std::size_t>(task.nic)].name.c_str())
                                                   : json_null());
        json_object_set_new(o, "local", json_boolean(task.local));
        if (with_env) {
            json_t* env = json_object();
            for (const auto& e : topo::task_env(t, task, eo))
                json_object_set_new(env, e.name.c_str(), e.unset ? json_null() : json_string(e.value.c_str()));
            json_object_set_new(o, "env", env);
        }
        json_array_append_new(tasks, o);
    }
    json_object_set_new(root.get(), "tasks", tasks);
    json_t* warnings = json_array();
    for (const auto& w : plan.warnings) json_array_append_new(warnings, json_string(w.c_str()));
    json_object_set_new(root.get(), "warnings", warnings);
    std::printf("%s\n", json::dump(root.get()).c_str());
}

}  // namespace

int cmd_bind(int argc, char** argv) {
    std::optional<std::string> xml, svg;
    std::optional<int> tasks;
    topo::PlanRequest req;
    bool as_json = false, with_env = false;
    const int rc = guarded(spec(), [&] {
        for (const Arg& a : parse_options(spec(), argc, argv).options) {
            if (a.key == "topology") {
                xml = a.value;
            } else if (a.key == "tasks") {
                tasks = static_cast<int>(parse_int(a.value, "--tasks", 1, 65536));
            } else if (a.key == "gpus") {
                req.gpus = trim(a.value) == "none" ? std::vector<int>{} : topo::parse_list(a.value, "--gpus");
            } else if (a.key == "cores") {
                req.cores = topo::parse_list(a.value, "--cores");
                if (req.cores->empty()) throw InputError("--cores: the list is empty");
            } else if (a.key == "policy") {
                req.policy = topo::parse_policy(a.value, "--policy");
            } else if (a.key == "smt") {
                req.smt = true;
            } else if (a.key == "threads") {
                req.threads = static_cast<int>(parse_int(a.value, "--threads", 1, 4096));
            } else if (a.key == "json") {
                as_json = true;
            } else if (a.key == "env") {
                with_env = true;
            } else if (a.key == "svg") {
                svg = a.value;
            }
        }
        return -1;
    });
    if (rc >= 0) return rc;

    std::optional<topo::Machine> machine;
    try {
        // read_file says "No such file or directory" or "is a directory"; hwloc would not.
        machine = xml ? topo::Machine::from_xml_text(read_file(*xml, 256 * 1024 * 1024), *xml) : topo::Machine::discover();
    } catch (const InputError& e) {
        const char* from = xml ? "--topology " : std::getenv("HWLOC_XMLFILE") ? "HWLOC_XMLFILE " : "";
        std::fprintf(stderr, "aifactory bind: %s%s\n", from, e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "aifactory bind: cannot read the topology: %s\n", e.what());
        return 1;
    }
    const topo::Topology& t = machine->topology();
    if (tasks)
        req.tasks = *tasks;
    else if (!t.gpus.empty())
        req.tasks = static_cast<int>(req.gpus ? req.gpus->size() : t.gpus.size());
    else
        req.tasks = static_cast<int>(std::max<std::size_t>(1, t.numas.size()));
    if (req.tasks < 1) req.tasks = 1;

    topo::Plan plan;
    try {
        check_threads(t, req);
        plan = topo::make_plan(t, req);
    } catch (const InputError& e) {  // make_plan names the option without dashes
        std::fprintf(stderr, "aifactory bind: %s%s\n", e.what()[0] == '-' ? "" : "--", e.what());
        return 2;
    }
    topo::EnvOptions eo;
    eo.smt = req.smt;
    if (as_json)
        print_json(t, plan, eo, with_env);
    else
        print_text(t, plan, eo, with_env);
    // Not a plan warning (the plan is valid), but worth a look: on stderr, and atop the drawing.
    if (auto w = topo::numa_balance_warning(t, plan)) std::fprintf(stderr, "aifactory bind: warning: %s\n", w->c_str());
    if (svg) {
        std::ofstream out(*svg);
        out << topo::render_svg(t, plan);
        if (!out.flush()) {
            std::fprintf(stderr, "aifactory bind: --svg %s: cannot write the file\n", svg->c_str());
            return 1;
        }
    }
    return 0;
}

}  // namespace aif::cli
