// SPDX-License-Identifier: GPL-2.0-or-later
// SPANK plugin aifactory.so: the --llm-* options of sbatch, salloc and srun.
//
// On the client (allocator and local context) each option value is validated as it is parsed, so
// a bad value fails at once with a message naming the option. --llm-config is read here (the
// controller cannot see the user's files), validated, and forwarded in compact form as the job
// control variable AIFACTORY_ARCH. Slurm forwards the options themselves to slurmctld in
// job_desc->spank_job_env, where job_submit/aifactory does the real check.
//
// plugstack.conf arguments (site defaults):
//   default_<option>=VALUE  e.g. default_framework=megatron: used when a job gives --llm-model or
//                           --llm-config but not that option
//   config_dir=DIR          where a relative --llm-config name is also looked for
extern "C" {
#include <slurm/spank.h>
}
#include <slurm/slurm.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "calc/calc.hpp"
#include "common/common.hpp"
#include "plugins/common/boundary.hpp"
#include "plugins/common/plugstack_args.hpp"
#include "plugins/spank/script_hints.hpp"
#include "site/site.hpp"

extern "C" {
extern const char plugin_name[] = "aifactory";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
extern const unsigned int spank_plugin_version = 1;
}

namespace {

constexpr const char* kName = "aifactory";

// One process, one thread (sbatch/salloc/srun parse options sequentially).
struct ClientState {
    std::map<std::string, std::string> given;     // option key → value as the user gave it
    std::map<std::string, std::string> defaults;  // from plugstack.conf
    std::string config_dir;
    std::string arch;                             // compact form of --llm-config
    std::string arch_name;                        // the model's name in it (messages only)
};
ClientState state;

struct OptionHelp {
    const char* key;
    const char* arginfo;
    const char* usage;
};
// Usage texts appear in sbatch --help; keep them short.
const OptionHelp kHelp[] = {
    {"model", "NAME", "LLM to train, e.g. llama3.1-70b (sbatch-time fit check)"},
    {"config", "FILE", "Hugging Face config.json describing the model"},
    {"layout", "LAYOUT", "parallel layout, e.g. tp=4,pp=4"},
    {"zero", "STAGE", "DeepSpeed ZeRO stage 0-3"},
    {"fsdp", "MODE", "FSDP sharding: off, full or hybrid (default: full for torchtitan, fsdp)"},
    {"mbs", "N", "micro-batch size (sequences per GPU)"},
    {"gbs", "N", "global batch size (sequences)"},
    {"seq", "N", "sequence length in tokens"},
    {"tokens", "N", "tokens to train, e.g. 300B (for a time estimate)"},
    {"precision", "P", "bf16, fp16, fp8, mxfp8 or fp32"},
    {"optimizer", "OPT", "adamw, adamw8bit, paged-adamw8bit or sgd"},
    {"recompute", "MODE", "activation recomputation: none, selective, full"},
    {"framework", "FW", "megatron, torchtitan, torchtune, fsdp, deepspeed or hf (FW@VERSION: one version)"},
    {"master", "M", "fp32 (mixed precision) or bf16 (pure bf16, no fp32 master copy)"},
    {"lora", "RANK", "LoRA fine-tuning with adapters of this rank (base frozen)"},
    {"quant", "Q", "frozen LoRA base: bf16 or nf4 (QLoRA)"},
    {"compile", "on|off", "torch.compile (torchtitan, torchtune; default: the version's)"},
    {"ac-every", "N", "torchtitan layer SAC: every N-th block full AC"},
    {"check", "MODE", "enforce, warn or off (warn/off only where allowed)"},
    {"run", "NAME", "training run for the compute ledger (default: account.model)"},
};
constexpr int kOptions = sizeof kHelp / sizeof kHelp[0];

// access(), not open(): opening a FIFO would block until a writer comes.
bool readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// A relative name is looked up in the current directory, then in the site's config_dir.
std::string resolve_config_path(const std::string& path) {
    if (path.empty() || path[0] == '/' || state.config_dir.empty() || readable(path)) return path;
    const std::string site = state.config_dir + "/" + path;
    return readable(site) ? site : path;
}

// Validates one value; throws InputError "--llm-<key>: ..." when it is bad.
void validate(const std::string& key, const std::string& value) {
    if (key == "check") {
        aif::site::parse_policy(value, "--llm-check");
    } else if (key == "run") {
        if (const std::string why = aif::site::run_name_problem(value); !why.empty())
            throw aif::InputError("--llm-run: '" + aif::printable(value, 70) + "' " + why);
    } else if (key == "config") {
        const std::string path = resolve_config_path(value);
        std::string text;
        try {
            text = aif::read_file(path, 1u << 20);  // no device, FIFO or file over 1 MiB
        } catch (const aif::InputError& e) {
            const bool also = !state.config_dir.empty() && path == value && value[0] != '/' && !readable(path);
            throw aif::InputError(std::string("--llm-config: ") + e.what() +
                                  (also ? " (nor in " + state.config_dir + ")" : ""));
        }
        try {
            state.arch = aif::calc::format_arch(aif::calc::arch_from_hf_config(text, path));
            state.arch_name = aif::calc::hf_model_name(text);
        } catch (const aif::InputError& e) {
            throw aif::InputError(std::string("--llm-config: ") + e.what());
        }
    } else {
        aif::calc::JobSpec scratch;
        aif::calc::apply_option(scratch, key, value, "--llm-");
    }
}

int option_cb(int val, const char* optarg, int remote) {
    if (remote) return 0;  // checked on the client and again by job_submit
    if (val < 0 || val >= kOptions) return -1;
    return aif::plugin::guarded(kName, kHelp[val].key, "the option is refused", -1, [&] {
        const std::string key = kHelp[val].key;
        const std::string value = optarg ? optarg : "";
        try {
            // Inside an allocation (srun re-reading the batch job's options) the job was checked
            // at submission; the --llm-config file may not even be reachable from here.
            if (!(key == "config" && std::getenv("SLURM_JOB_ID") != nullptr)) validate(key, value);
            state.given[key] = value;
            return 0;
        } catch (const aif::InputError& e) {
            slurm_error("%s", e.what());  // already "--llm-<key>: ..."
            return -1;
        }
    });
}

std::vector<std::string> option_names() {
    std::vector<std::string> v;
    for (const auto& h : kHelp) v.push_back(std::string("llm-") + h.key);
    return v;
}

// Site defaults and config_dir from plugstack.conf (the one policy: a bad word is reported and
// left out, see plugins/common/plugstack_args.hpp).
void parse_args(int ac, char** av) {
    aif::plugin::PlugstackArgs args(kName, ac, av, {"config_dir", "default_*"}, {},
                                    [](const std::string& m) { slurm_error("%s", m.c_str()); });
    args.use("config_dir", [](const std::string& v) { state.config_dir = v; });
    std::vector<std::string> defaults;
    for (const auto& [k, v] : args.values())
        if (k.rfind("default_", 0) == 0) defaults.push_back(k);
    for (const auto& k : defaults)
        args.use(k, [&](const std::string& v) {
            const std::string key = k.substr(8);
            if (key == "check" || key == "config" || key == "model" || key == "run")
                throw aif::InputError("--llm-" + key + " has no site default");
            validate(key, v);
            state.defaults[key] = v;
        });
}

bool on_client() {
    const spank_context_t c = spank_context();
    return c == S_CTX_LOCAL || c == S_CTX_ALLOCATOR;
}

// Registered in every context: slurmstepd must know the options Slurm forwards to it.
int register_options(spank_t sp) {
    static std::vector<std::string> names = option_names();
    static std::vector<struct spank_option> opts;
    opts.clear();
    for (int i = 0; i < kOptions; ++i)
        opts.push_back({const_cast<char*>(names[i].c_str()), const_cast<char*>(kHelp[i].arginfo),
                        const_cast<char*>(kHelp[i].usage), 1, i, option_cb});
    for (auto& o : opts)
        if (spank_option_register(sp, &o) != ESPANK_SUCCESS && on_client())
            slurm_error("aifactory: cannot register --%s", o.name);
    return 0;
}

// sbatch without --llm-* options: job_submit reads the batch script, but not the config files it
// names; those are read here, as the user, and their settings forwarded (never fails the job).
void forward_script_hints(spank_t sp) {
    const std::string script = aif::spank::sbatch_script_path();
    if (script.empty()) return;
    aif::spank::ScriptHints h;
    try {
        h = aif::spank::read_script_hints(script);
    } catch (const std::exception& e) {  // a job without --llm-* options is never refused for this
        slurm_error("aifactory: the script's config files were not read: %s", e.what());
        return;
    }
    for (const auto& p : h.problems)  // "sbatch: " + 65 columns: an 80-column terminal
        for (const auto& line : aif::site::wrap("aifactory: " + p)) slurm_info("%s", line.c_str());
    if (!h.encoded.empty() && spank_job_control_setenv(sp, aif::site::kHintsEnv, h.encoded.c_str(), 1) != ESPANK_SUCCESS)
        slurm_error("aifactory: could not forward the settings of the script's config files");
}

// After option parsing on the client: the model must be named; forward --llm-config's compact
// form and the site defaults the user did not override.
int client_post_opt(spank_t sp) {
    const bool model = state.given.count("model") || state.given.count("config");
    const std::size_t others = state.given.size() - state.given.count("check");
    if (!model && others > 0) {
        slurm_error("--llm-* options need --llm-model or --llm-config to say which model is trained");
        return -1;
    }
    if (!model && state.given.empty() && spank_context() == S_CTX_ALLOCATOR) forward_script_hints(sp);
    if (!model) return 0;
    if (!state.arch.empty() && spank_job_control_setenv(sp, aif::site::kArchEnv, state.arch.c_str(), 1) != ESPANK_SUCCESS)
        slurm_error("aifactory: could not forward --llm-config");
    if (!state.arch_name.empty())
        spank_job_control_setenv(sp, aif::site::kArchNameEnv, state.arch_name.c_str(), 1);
    for (const auto& [key, value] : state.defaults) {
        if (state.given.count(key)) continue;
        std::string var = aif::site::kOptionPrefix + key;
        for (auto& c : var)
            if (c == '-') c = '_';
        spank_job_control_setenv(sp, var.c_str(), value.c_str(), 0);
    }
    return 0;
}

}  // namespace

extern "C" {

// Never fails in slurmd or slurmstepd context: there a failure would stop the daemon or the step.
int slurm_spank_init(spank_t sp, int ac, char** av) {
    return aif::plugin::guarded(kName, "init", "--llm-* options are not checked here", 0, [&] {
        switch (spank_context()) {
            case S_CTX_LOCAL:
            case S_CTX_ALLOCATOR:
                register_options(sp);
                parse_args(ac, av);
                return 0;
            case S_CTX_REMOTE:
            case S_CTX_SLURMD: return register_options(sp);
            default: return 0;
        }
    });
}

// A failure on the client fails the submission (-1): the user sees why and nothing is queued.
int slurm_spank_init_post_opt(spank_t sp, int, char**) {
    return aif::plugin::guarded(kName, "init_post_opt", "the submission is refused", -1, [&] {
        switch (spank_context()) {
            case S_CTX_LOCAL:
            case S_CTX_ALLOCATOR: return client_post_opt(sp);
            default: return 0;
        }
    });
}

}  // extern "C"
