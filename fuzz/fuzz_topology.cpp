// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: topology XML → plain structs → plan → per-task environment, the path a
// topology file takes through the CLI and the aifactory_bind plugin (slurmstepd). Input is the
// XML text. Loading may refuse it (InputError); it must never crash, hang or leak. hwloc's own
// import runs in a contained child (xml_input.cpp), so what this finds is in our code.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "topo/bind_env.hpp"
#include "topo/planner.hpp"
#include "topo/render_svg.hpp"
#include "topo/topology.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string xml(reinterpret_cast<const char*>(data), size);
    try {
        aif::topo::Machine m = aif::topo::Machine::from_xml_text(xml, "fuzz.xml");
        const aif::topo::Topology& t = m.topology();
        (void)aif::topo::describe(t);
        int most = static_cast<int>(t.gpus.size()) * 2 + 1;
        for (int tasks : {1, static_cast<int>(t.gpus.size()), most}) {
            for (auto policy : {aif::topo::Policy::closest, aif::topo::Policy::spread}) {
                aif::topo::PlanRequest req;
                req.tasks = tasks < 1 ? 1 : tasks;
                req.policy = policy;
                req.smt = tasks == most;
                aif::topo::Plan plan;
                try {
                    plan = aif::topo::make_plan(t, req);
                } catch (const aif::InputError&) {
                    continue;
                }
                aif::topo::EnvOptions env;
                env.smt = req.smt;
                for (const auto& task : plan.tasks) {
                    (void)aif::topo::task_env(t, task, env);
                    (void)aif::topo::describe_task(t, task, "node");
                }
                (void)aif::topo::render_svg(t, plan);
            }
        }
    } catch (const aif::InputError&) {
    }
    return 0;
}
