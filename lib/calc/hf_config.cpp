// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/hf_config.hpp"

#include <string>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::calc {

namespace {

// Reads the keys of one config object, naming the file and key in every error.
class Reader {
public:
    Reader(const json_t* obj, std::string where) : obj_(obj), where_(std::move(where)) {}

    long need(const char* key) const {
        auto v = json::integer(obj_, key, where_);
        if (!v) throw InputError(where_ + ": missing key '" + key + "'");
        if (*v < 0) throw InputError(where_ + ": key '" + key + "' must not be negative");
        return static_cast<long>(*v);
    }
    long get(const char* key, long fallback) const {
        auto v = json::integer(obj_, key, where_);
        if (v && *v < 0) throw InputError(where_ + ": key '" + key + "' must not be negative");
        return v ? static_cast<long>(*v) : fallback;
    }
    bool flag(const char* key, bool fallback) const { return json::boolean(obj_, key, where_).value_or(fallback); }
    std::string text(const char* key) const { return json::string(obj_, key, where_).value_or(""); }

private:
    const json_t* obj_;
    std::string where_;
};

void read_llama_like(const Reader& r, Architecture& a) {
    a.hidden = r.need("hidden_size");
    a.layers = r.need("num_hidden_layers");
    a.heads = r.need("num_attention_heads");
    a.kv_heads = r.get("num_key_value_heads", a.heads);
    a.head_dim = r.get("head_dim", 0);
    if (a.head_dim * a.heads == a.hidden) a.head_dim = 0;  // the default; keep the compact form short
    a.vocab = r.need("vocab_size");
    a.tied = r.flag("tie_word_embeddings", false);
    a.qkv_bias = r.flag("attention_bias", false);
    a.norm = Norm::RMS;
    a.pos = PosEmb::Rope;
    a.gated = true;
}

void read_deepseek(const Reader& r, Architecture& a) {
    read_llama_like(r, a);
    a.kv_heads = a.heads;
    a.head_dim = 0;
    a.ffn = r.need("intermediate_size");
    a.experts = r.need("n_routed_experts");
    a.topk = r.need("num_experts_per_tok");
    a.expert_ffn = r.need("moe_intermediate_size");
    a.shared_experts = r.get("n_shared_experts", 0);
    a.first_dense = r.get("first_k_dense_replace", 0);
    a.moe_freq = r.get("moe_layer_freq", 1);
    a.mla.q_lora = r.get("q_lora_rank", 0);  // null in V2-Lite: no query compression
    a.mla.kv_lora = r.need("kv_lora_rank");
    a.mla.qk_nope = r.need("qk_nope_head_dim");
    a.mla.qk_rope = r.need("qk_rope_head_dim");
    a.mla.v_head = r.need("v_head_dim");
    a.mtp_layers = r.get("num_nextn_predict_layers", 0);
}

void read_gpt2(const Reader& r, Architecture& a) {
    a.hidden = r.need("n_embd");
    a.layers = r.need("n_layer");
    a.heads = r.need("n_head");
    a.kv_heads = a.heads;
    a.vocab = r.need("vocab_size");
    a.max_pos = r.need("n_positions");
    a.ffn = r.get("n_inner", 4 * a.hidden);
    a.tied = r.flag("tie_word_embeddings", true);
    a.gated = false;
    a.norm = Norm::Layer;
    a.pos = PosEmb::Learned;
    a.linear_bias = true;
}

void read_falcon(const Reader& r, Architecture& a) {
    a.hidden = r.need("hidden_size");
    a.layers = r.need("num_hidden_layers");
    a.heads = r.need("num_attention_heads");
    if (r.flag("new_decoder_architecture", false))
        a.kv_heads = r.need("num_kv_heads");
    else
        a.kv_heads = r.flag("multi_query", true) ? 1 : a.heads;
    a.vocab = r.need("vocab_size");
    a.ffn = r.get("ffn_hidden_size", 4 * a.hidden);
    a.tied = r.flag("tie_word_embeddings", true);
    a.linear_bias = r.flag("bias", false);
    a.gated = false;
    a.norm = Norm::Layer;
    a.pos = PosEmb::Rope;
}

const char* const supported =
    "llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, deepseek_v2, deepseek_v3, gpt2, "
    "falcon, apertus, phi3, gemma, gemma2, olmo2";

}  // namespace

Architecture arch_from_hf_config(std::string_view json_text, std::string_view origin) {
    const std::string where = printable(origin, 256);  // a file name the user chose
    json::Ptr root = json::parse(json_text, where);
    if (!json_is_object(root.get())) throw InputError(where + ": not a JSON object");
    // Multimodal wrappers keep the language model under text_config.
    const json_t* cfg = root.get();
    if (const json_t* text = json_object_get(cfg, "text_config"); json_is_object(text)) cfg = text;
    Reader r(cfg, where);
    std::string type = lower(r.text("model_type"));
    if (type.empty()) {
        if (const json_t* archs = json_object_get(cfg, "architectures"); json_is_array(archs) && json_array_size(archs))
            if (const char* s = json_string_value(json_array_get(archs, 0))) type = lower(s);
    }
    if (type.empty()) throw InputError(where + ": missing key 'model_type'");

    Architecture a;
    if (type == "llama" || type == "mistral" || type == "olmo2" || type == "phi3" || type == "llamaforcausallm" ||
        type == "mistralforcausallm") {
        read_llama_like(r, a);
        a.ffn = r.need("intermediate_size");
        if (r.flag("mlp_bias", false)) a.linear_bias = true;
    } else if (type == "mixtral") {
        read_llama_like(r, a);
        a.experts = r.need("num_local_experts");
        a.topk = r.need("num_experts_per_tok");
        a.expert_ffn = r.need("intermediate_size");
    } else if (type == "qwen2" || type == "qwen3") {
        read_llama_like(r, a);
        a.ffn = r.need("intermediate_size");
        a.qkv_bias = type == "qwen2";
        a.qk_norm = type == "qwen3";
    } else if (type == "qwen2_moe" || type == "qwen3_moe") {
        read_llama_like(r, a);
        a.ffn = r.get("intermediate_size", 0);
        a.experts = r.need("num_experts");
        a.topk = r.need("num_experts_per_tok");
        a.expert_ffn = r.need("moe_intermediate_size");
        a.moe_freq = r.get("decoder_sparse_step", 1);
        if (type == "qwen2_moe") {
            a.qkv_bias = true;
            a.shared_ffn = r.get("shared_expert_intermediate_size", 0);
            a.shared_experts = a.shared_ffn > 0 ? 1 : 0;
        } else {
            a.qk_norm = true;
        }
    } else if (type == "deepseek_v2" || type == "deepseek_v3") {
        read_deepseek(r, a);
    } else if (type == "gpt2") {
        read_gpt2(r, a);
    } else if (type == "falcon") {
        read_falcon(r, a);
    } else if (type == "apertus") {
        read_llama_like(r, a);
        a.ffn = r.need("intermediate_size");
        a.gated = false;  // xIELU: up and down projections only
        a.qk_norm = true;
        a.extra_params = 2 * a.layers;  // two learned xIELU scalars per layer
    } else if (type == "gemma" || type == "gemma2") {
        read_llama_like(r, a);
        a.ffn = r.need("intermediate_size");
        a.tied = r.flag("tie_word_embeddings", true);
    } else {
        throw InputError(where + ": model_type '" + printable(type) +
                         "' is not supported (supported: " + supported + "); describe it with --arch");
    }
    try {
        validate(a);
    } catch (const InputError& e) {
        throw InputError(where + ": " + e.what());
    }
    return a;
}

std::string hf_model_name(std::string_view json_text) {
    try {
        json::Ptr root = json::parse(json_text, "config");
        const json_t* cfg = root.get();
        if (!json_is_object(cfg)) return "";
        const auto text = [](const json_t* v) { return json_is_string(v) ? std::string(json_string_value(v)) : ""; };
        std::string name = text(json_object_get(cfg, "_name_or_path"));
        while (!name.empty() && name.back() == '/') name.pop_back();
        if (const auto slash = name.find_last_of('/'); slash != std::string::npos) name = name.substr(slash + 1);
        if (name.empty())
            if (const json_t* archs = json_object_get(cfg, "architectures"); json_is_array(archs))
                name = text(json_array_get(archs, 0));
        if (name.empty()) name = text(json_object_get(cfg, "model_type"));
        return printable(name, 40);
    } catch (const std::exception&) {
        return "";
    }
}

}  // namespace aif::calc
