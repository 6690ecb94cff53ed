// `aifactory fit`: memory per GPU, verdict, time and GPU-hours for a training job;
// the smallest whole-node fit on a system; or, with --where, on every catalogue partition.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "args.hpp"
#include "calc/check.hpp"
#include "calc/hf_config.hpp"
#include "calc/search.hpp"
#include "catalogues.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "fit_output.hpp"

namespace aif::cli {

namespace {

const char* const usage_text =
    "usage: aifactory fit (--model NAME | --config config.json | --arch k=v,...) [--arch overrides]\n"
    "         [--system PARTITION | --gpu GPU-MODEL | --gpu-mem GIB [--gpus-per-node N]]\n"
    "         [--gpus N | --nodes N] [--where]\n"
    "         [--layout tp=4,pp=2,cp=1,ep=1,vpp=1,sp=on] [--zero 0-3] [--fsdp [full|hybrid]] [--dist-opt]\n"
    "         [--mbs N] [--gbs N] [--seq N] [--precision bf16|fp16|fp32|fp8] [--optimizer adamw|adamw8bit|sgd]\n"
    "         [--recompute none|selective|full] [--flash on|off] [--framework megatron|fsdp|deepspeed|hf]\n"
    "         [--offload] [--tokens 2T] [--mfu 0.4] [--headroom 5%] [--json]\n"
    "         [--models FILE] [--hardware FILE]   (extra catalogue files)\n"
    "Without --gpus/--nodes, finds the smallest whole-node GPU count that fits on --system.\n"
    "Exit status: 0 computed (whatever the verdict), 2 bad input.\n";

struct FitArgs {
    JobSpec job;
    std::string config_path, system, gpu, gpu_mem;
    int gpus = 0, nodes = 0, gpus_per_node = 0;
    double headroom = 0;
    bool where = false, json = false;
    std::vector<std::string> extra_models, extra_hardware;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError("--config: cannot read '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (text.size() > 4 * 1024 * 1024) throw InputError("--config: '" + path + "' is larger than 4 MiB");
    return text;
}

FitArgs parse(int argc, char** argv) {
    FitArgs f;
    for (const Arg& a : scan_args(argc, argv, {"where", "json", "dist-opt", "offload", "help"}, {"fsdp"})) {
        if (a.key == "help") throw InputError("help");
        else if (a.key == "config") f.config_path = a.value;
        else if (a.key == "system") f.system = a.value;
        else if (a.key == "gpu") f.gpu = a.value;
        else if (a.key == "gpu-mem") f.gpu_mem = a.value;
        else if (a.key == "gpus") f.gpus = int(parse_int(a.value, "--gpus", 1, 1'000'000));
        else if (a.key == "nodes") f.nodes = int(parse_int(a.value, "--nodes", 1, 100'000));
        else if (a.key == "gpus-per-node") f.gpus_per_node = int(parse_int(a.value, "--gpus-per-node", 1, 64));
        else if (a.key == "where") f.where = true;
        else if (a.key == "json") f.json = true;
        else if (a.key == "models") f.extra_models.push_back(a.value);
        else if (a.key == "hardware") f.extra_hardware.push_back(a.value);
        else if (a.key == "headroom") {
            std::string v = a.value;
            if (!v.empty() && v.back() == '%') v.pop_back();
            f.headroom = parse_double(v, "--headroom", 0, 90) / 100.0;
        } else apply_option(f.job, a.key, a.value, "--");
    }
    if (!f.config_path.empty()) {
        Architecture hf = arch_from_hf_config(read_file(f.config_path), f.config_path);
        f.job.arch_spec = format_arch(hf) + (f.job.arch_spec.empty() ? "" : "," + f.job.arch_spec);
        if (f.job.model.empty()) f.job.model = "";
    }
    if (f.job.model.empty() && f.job.arch_spec.empty()) throw InputError("give --model, --config or --arch");
    int targets = !f.system.empty() + !f.gpu.empty() + !f.gpu_mem.empty();
    if (targets > 1) throw InputError("give only one of --system, --gpu and --gpu-mem");
    if (targets == 0 && !f.where) throw InputError("give --system PARTITION (or --gpu, --gpu-mem, --where)");
    if (f.gpus && f.nodes) throw InputError("give --gpus or --nodes, not both");
    return f;
}

std::string label(const FitArgs& f) {
    if (!f.config_path.empty()) return f.config_path;
    return model_label(f.job);
}

int run_where(const FitArgs& f, const Catalogues& cat, const Architecture& a) {
    std::vector<WhereRow> rows;
    for (const Partition& p : cat.hardware.partitions()) {
        const GpuModel& g = cat.hardware.gpu_of(p);
        WhereRow r{p.id, p.system, g.id, false, {}};
        SearchLimits lim;
        lim.max_nodes = p.nodes > 0 ? p.nodes : 4096;
        SearchResult s = smallest_fit(a, f.job.setup, target_for(g, p.gpus_per_node, p.gpus_per_node, f.headroom), lim);
        if (s.best) {
            r.found = true;
            r.estimate = *s.best;
        }
        rows.push_back(std::move(r));
    }
    if (f.json) {
        json::Ptr list(json_array());
        for (const auto& r : rows) {
            FitContext c{label(f), r.partition, r.gpu, 0, f.headroom, &f.job.setup};
            json_t* row = r.found ? estimate_json(r.estimate, c) : json_pack("{s:s,s:s}", "system", r.partition.c_str(), "verdict", "does-not-fit");
            json_array_append_new(list.get(), row);
        }
        json::Ptr out(json_pack("{s:s,s:O}", "model", label(f).c_str(), "where", list.get()));
        std::puts(json::dump(out.get(), true).c_str());
    } else {
        print_where(rows, label(f), f.job.setup);
    }
    return 0;
}

}  // namespace

int cmd_fit(int argc, char** argv) {
    FitArgs f;
    try {
        f = parse(argc, argv);
    } catch (const InputError& e) {
        if (std::string(e.what()) == "help") {
            std::fputs(usage_text, stdout);
            return 0;
        }
        std::fprintf(stderr, "aifactory fit: %s\n", e.what());
        return 2;
    }
    try {
        Catalogues cat = load_catalogues(f.extra_models, f.extra_hardware);
        Architecture a = resolve_arch(f.job, cat.models);
        if (f.where) return run_where(f, cat, a);

        FitContext ctx{label(f), "", "", 0, f.headroom, &f.job.setup};
        GpuModel gpu;
        int gpn = 1;
        if (!f.system.empty()) {
            const Partition& p = cat.hardware.require_partition(f.system);
            gpu = cat.hardware.gpu_of(p);
            gpn = p.gpus_per_node;
            ctx.system = p.id;
        } else if (!f.gpu.empty()) {
            gpu = cat.hardware.require_gpu(f.gpu);
            gpn = f.gpus_per_node ? f.gpus_per_node : 8;
        } else {
            gpu.name = f.gpu_mem + " GiB GPU";
            gpu.memory_bytes = parse_double(f.gpu_mem, "--gpu-mem", 1, 4096) * GiB;
            gpu.bf16_flops = 0;  // unknown: no time estimate
            gpn = f.gpus_per_node ? f.gpus_per_node : 8;
        }
        if (!f.system.empty() && f.gpus_per_node)
            throw InputError("--gpus-per-node: the partition fixes it; use it with --gpu or --gpu-mem");
        ctx.gpu_name = gpu.name;
        ctx.gpus_per_node = gpn;
        int gpus = f.gpus ? f.gpus : f.nodes * gpn;
        Estimate e;
        if (gpus == 0) {
            SearchResult s = smallest_fit(a, f.job.setup, target_for(gpu, gpn, gpn, f.headroom));
            if (!s.best) {
                std::fprintf(stderr, "aifactory fit: %s does not fit on up to 4096 nodes of %s\n", ctx.model.c_str(),
                             gpu.name.c_str());
                return 0;
            }
            e = *s.best;
            if (!f.json) std::printf("Smallest fit: %d node%s (%d GPUs)\n\n", e.nodes, e.nodes == 1 ? "" : "s", e.gpus);
        } else {
            e = estimate(a, f.job.setup, target_for(gpu, gpn, gpus, f.headroom));
        }
        if (f.json) {
            json::Ptr o(estimate_json(e, ctx));
            std::puts(json::dump(o.get(), true).c_str());
        } else {
            print_estimate(e, ctx);
        }
        return 0;
    } catch (const InputError& e) {
        std::fprintf(stderr, "aifactory fit: %s\n", e.what());
        return 2;
    }
}

}  // namespace aif::cli
