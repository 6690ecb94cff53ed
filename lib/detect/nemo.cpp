// SPDX-License-Identifier: GPL-2.0-or-later
// NeMo: the Hydra overrides of megatron_gpt_pretraining.py and friends (NeMo 1.x,
// examples/nlp/language_modeling/conf/megatron_gpt_config.yaml: model.* and trainer.*), and
// NeMo 2's `nemo llm pretrain --factory RECIPE` with trainer.strategy.* and data.* overrides.
// NeMo trains Megatron-Core models, so the overrides are turned into the Megatron-LM options
// they stand for and read by read_megatron; what came from NeMo keeps its NeMo name.
#include <cctype>
#include <string>

#include "common/text.hpp"
#include "detect/reading.hpp"

namespace aif::detect {

namespace {

struct Same {
    const char* nemo;
    const char* megatron;
};
// Values passed through as they are (NeMo 1.x names, then NeMo 2's).
const Same kSame[] = {
    {"model.num_layers", "--num-layers"},
    {"model.hidden_size", "--hidden-size"},
    {"model.ffn_hidden_size", "--ffn-hidden-size"},
    {"model.num_attention_heads", "--num-attention-heads"},
    {"model.kv_channels", "--kv-channels"},
    {"model.max_position_embeddings", "--max-position-embeddings"},
    {"model.make_vocab_size_divisible_by", "--make-vocab-size-divisible-by"},
    {"model.encoder_seq_length", "--seq-length"},
    {"model.micro_batch_size", "--micro-batch-size"},
    {"model.global_batch_size", "--global-batch-size"},
    {"model.tensor_model_parallel_size", "--tensor-model-parallel-size"},
    {"model.pipeline_model_parallel_size", "--pipeline-model-parallel-size"},
    {"model.context_parallel_size", "--context-parallel-size"},
    {"model.expert_model_parallel_size", "--expert-model-parallel-size"},
    {"model.num_moe_experts", "--num-experts"},
    {"model.moe_router_topk", "--moe-router-topk"},
    {"model.hidden_dropout", "--hidden-dropout"},
    {"model.attention_dropout", "--attention-dropout"},
    {"trainer.max_steps", "--train-iters"},
    {"trainer.strategy.tensor_model_parallel_size", "--tensor-model-parallel-size"},
    {"trainer.strategy.pipeline_model_parallel_size", "--pipeline-model-parallel-size"},
    {"trainer.strategy.context_parallel_size", "--context-parallel-size"},
    {"trainer.strategy.expert_model_parallel_size", "--expert-model-parallel-size"},
    {"data.micro_batch_size", "--micro-batch-size"},
    {"data.global_batch_size", "--global-batch-size"},
    {"data.seq_length", "--seq-length"},
};

bool is_true(const std::string& v) { return lower(v) == "true" || v == "1"; }

// One NeMo setting as Megatron option(s), appended to `out` (the name the user wrote is kept in
// Option::file for messages: "model.num_layers").
void translate(const Option& o, std::vector<Option>& out) {
    auto put = [&](const char* name, std::string value) {
        Option m = o;
        m.name = name;
        m.value.text = std::move(value);
        m.file = o.file.empty() ? o.name : o.file + ": " + o.name;
        out.push_back(std::move(m));
    };
    const std::string& v = o.value.text;
    if (v == "null" || v == "None" || v.rfind("${", 0) == 0) return;  // the default, an interpolation
    for (const Same& s : kSame)
        if (o.name == s.nemo) return put(s.megatron, v);
    if (o.name == "model.num_query_groups") put("--group-query-attention", ""), put("--num-query-groups", v);
    else if (o.name == "model.activation" && lower(v).find("swiglu") != std::string::npos) put("--swiglu", "");
    else if (o.name == "model.normalization" && lower(v).find("rms") != std::string::npos)
        put("--normalization", "RMSNorm");
    else if (o.name == "model.position_embedding_type" && v != "learned_absolute") put("--position-embedding-type", v);
    else if (o.name == "model.bias" && !is_true(v)) put("--disable-bias-linear", "");
    else if (o.name == "model.share_embeddings_and_output_weights" && !is_true(v))
        put("--untie-embeddings-and-output-weights", "");
    else if (o.name == "model.sequence_parallel" || o.name == "trainer.strategy.sequence_parallel")
        put("--sequence-parallel", is_true(v) ? "" : "false");
    else if (o.name == "model.tokenizer.type")
        put("--tokenizer-type", lower(v) == "gpt2" || v == "GPT2BPETokenizer" ? "GPT2BPETokenizer" : v);
    else if (o.name == "model.activations_checkpoint_granularity") put("--recompute-granularity", v);
    else if (o.name == "model.optim.name" && v == "distributed_fused_adam") put("--use-distributed-optimizer", "");
    else if (o.name == "model.optim.name" && v.find("adam") == std::string::npos) put("--optimizer", v);
    else if (o.name == "model.fp8" && is_true(v)) put("--fp8-format", "hybrid");
    else if (o.name == "trainer.precision" || o.name == "trainer.plugins.precision") {
        if (v.rfind("bf16", 0) == 0) put("--bf16", "");
        else if (v.rfind("16", 0) == 0) put("--fp16", "");
        else put("--precision-fp32", "");  // read below as "given"
    }
}

// NeMo 2 recipe names the catalogue knows: llama3_8b → llama3-8b, llama31_405b → llama3.1-405b.
std::string recipe_model(std::string r) {
    for (auto [from, to] : {std::pair{"llama31_", "llama3.1_"}, std::pair{"qwen25_", "qwen2.5_"}})
        if (r.rfind(from, 0) == 0) r = to + r.substr(std::string(from).size());
    for (char& c : r)
        if (c == '_') c = '-';
    return lower(r);
}

}  // namespace

void read_nemo(Detection& d, const std::vector<Option>& given, const std::vector<Word>& positionals,
               const Hints* hints) {
    std::vector<Option> opts = given;
    // --config-path/--config-name: a YAML of the user's (NeMo's own megatron_gpt_config is the
    // default and is not a file of the script's).
    const ConfigFile* yaml = nullptr;
    for (const Option& o : given)
        if (o.name == "--config-name" && !o.value.text.empty() && o.value.text != "megatron_gpt_config") {
            std::string path = o.value.text;
            for (const Option& p : given)
                if (p.name == "--config-path" && !p.value.text.empty()) path = p.value.text + "/" + path;
            if (path.size() < 5 || path.compare(path.size() - 5, 5, ".yaml") != 0) path += ".yaml";
            if (o.value.unknown()) d.missing.push_back("config: --config-name takes its value from outside the script");
            else d.configs.push_back({"yaml", path, "--config-name", o.line}), yaml = &d.configs.back();
        }
    if (yaml != nullptr && hints != nullptr && hints->read("yaml"))
        add_hints(opts, hints, "yaml", "", yaml->path.substr(yaml->path.rfind('/') + 1));

    std::vector<Option> megatron;
    std::string recipe;
    for (const Option& o : opts) {
        if (o.name == "--factory" || o.name == "-f") recipe = o.value.text;
        if (o.value.unknown()) {  // kept under its Megatron name so that the note names the line
            for (const Same& s : kSame)
                if (o.name == s.nemo) megatron.push_back({s.megatron, o.value, o.line, o.name});
            continue;
        }
        translate(o, megatron);
    }
    (void)positionals;
    Reading r(d, megatron);
    const bool precision_given = r.find("--bf16") || r.find("--fp16") || r.find("--precision-fp32");
    const bool nemo2 = d.entry.rfind("nemo llm", 0) == 0;
    if (nemo2) {
        bool name = !recipe.empty() && recipe.size() <= 64;
        for (char c : recipe) name = name && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.');
        if (name) r.set("model", recipe_model(recipe), r.line_of("--factory"), "--factory");
        else if (recipe.empty()) r.miss("model: no --factory recipe is named");
        else r.miss("model: --factory '" + printable(recipe, 30) + "' is not a recipe name");
    }
    read_megatron(r);
    // What read_megatron took from Megatron's defaults is, for NeMo, the config's (or the
    // recipe's) to say: named as missing, or left to the calculator (dist-opt).
    const bool unread = yaml != nullptr && !(hints != nullptr && hints->read("yaml"));
    const std::string where = nemo2        ? "the --factory recipe sets it"
                              : yaml       ? printable(yaml->path, 60) + (unread ? " (not read)" : "") + " sets it"
                                           : "NeMo's megatron_gpt_config.yaml sets it";
    std::vector<Value> kept;
    for (Value& v : d.values) {
        if (nemo2 && v.key == "arch") continue;  // the recipe names the model
        if (v.from == "default" && v.key == "dist-opt") continue;
        if (v.from == "default" && (v.key == "precision" || v.key == "recompute") &&
            !(v.key == "precision" && precision_given) && (unread || nemo2 || v.key == "precision")) {
            d.missing.push_back(v.key + ": not on the command line; " + where);
            continue;
        }
        if (v.key == "framework") v.from = "NeMo (Megatron-Core)";
        kept.push_back(std::move(v));
    }
    d.values = std::move(kept);
    // Values and notes name the NeMo setting the user wrote, not the Megatron option.
    auto rename = [&](std::string& text) {
        for (auto it = megatron.rbegin(); it != megatron.rend(); ++it)
            if (const std::size_t at = text.find(it->name); at != std::string::npos && !it->file.empty())
                text.replace(at, it->name.size(), it->file);
        for (const Same& s : kSame)
            if (const std::size_t at = text.find(s.megatron); at != std::string::npos &&
                (at + std::string(s.megatron).size() == text.size() || text[at + std::string(s.megatron).size()] == ' '))
                text.replace(at, std::string(s.megatron).size(), s.nemo);
    };
    for (auto& v : d.values) rename(v.from);
    for (auto& m : d.missing) {
        rename(m);
        if (unread && m.size() > 13 && m.compare(m.size() - 13, 13, " is not given") == 0)
            m.replace(m.size() - 13, 13, " is not on the command line; " + where);
    }
    for (auto& s : d.read)
        for (const Option& o : megatron)
            if (s.option == o.name && !o.file.empty()) s.option = printable(o.file, 60);
    if (nemo2) std::erase_if(d.missing, [](const std::string& m) { return m.rfind("arch:", 0) == 0; });
}

}  // namespace aif::detect
