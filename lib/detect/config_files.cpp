// SPDX-License-Identifier: GPL-2.0-or-later
#include "detect/config_files.hpp"

#include <jansson.h>

#include <cctype>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::detect {

namespace {

constexpr std::size_t kMaxEntries = 4096;  // settings kept from one file, before wanted()
constexpr int kMaxDepth = 16;

[[noreturn]] void bad(std::string_view name, int line, const std::string& why) {
    throw InputError(printable(name, 60) + ":" + std::to_string(line) + ": " + why);
}

std::string_view trim_view(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// A scalar as written: quotes removed ("x", 'x'), a trailing " # comment" dropped.
std::string scalar(std::string_view v) {
    v = trim_view(v);
    if (!v.empty() && (v[0] == '"' || v[0] == '\'')) {
        const std::size_t end = v.find(v[0], 1);
        return std::string(v.substr(1, end == std::string_view::npos ? v.size() - 1 : end - 1));
    }
    if (const std::size_t hash = v.find(" #"); hash != std::string_view::npos) v = trim_view(v.substr(0, hash));
    return std::string(v);
}

bool key_chars(std::string_view k) {
    if (k.empty() || k.size() > 96) return false;
    for (char c : k)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

void keep(Flat& out, std::string key, std::string value, std::string_view name, int line) {
    if (out.size() >= kMaxEntries) bad(name, line, "more than " + std::to_string(kMaxEntries) + " settings");
    out.emplace_back(std::move(key), std::move(value));
}

template <class F>
void each_line(std::string_view text, F&& f) {
    int n = 0;
    for (std::size_t pos = 0; pos <= text.size();) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        f(text.substr(pos, end - pos), ++n);
        pos = end + 1;
    }
}

// The keys the framework readers look up, per kind of file.
const char* const kToml[] = {
    "model.name", "model.flavor", "model.converters", "training.local_batch_size", "training.batch_size",
    "training.global_batch_size", "training.seq_len", "training.steps", "training.mixed_precision_param",
    "training.tensor_parallel_degree", "parallelism.tensor_parallel_degree", "parallelism.pipeline_parallel_degree",
    "parallelism.context_parallel_degree", "parallelism.expert_parallel_degree",
    "parallelism.data_parallel_shard_degree", "parallelism.data_parallel_replicate_degree", "experimental.pipeline_parallel_degree",
    "experimental.context_parallel_degree", "activation_checkpoint.mode", "optimizer.name",
    "float8.enable_float8_linear", "activation_checkpoint.selective_ac_option", "training.compile", "compile.enable"};
const char* const kDs[] = {"zero_optimization.stage", "zero_optimization.offload_optimizer.device",
                           "train_micro_batch_size_per_gpu", "train_batch_size", "bf16.enabled", "fp16.enabled"};
const char* const kYaml[] = {
    // axolotl
    "base_model", "micro_batch_size", "sequence_len", "gradient_accumulation_steps", "bf16", "fp16",
    "gradient_checkpointing", "optimizer", "deepspeed", "fsdp", "fsdp_version", "fsdp_config.fsdp_sharding_strategy",
    "adapter",
    // llm-foundry
    "max_seq_len", "global_train_batch_size", "device_train_microbatch_size", "precision", "model.name",
    "model.d_model", "model.n_heads", "model.n_layers", "model.expansion_ratio", "model.vocab_size",
    "model.attn_config.kv_n_heads", "model.attn_config.alibi", "model.pretrained_model_name_or_path",
    "fsdp_config.activation_checkpointing", "fsdp_config.sharding_strategy", "optimizer.name",
    // LitGPT
    "model_name", "train.micro_batch_size", "train.global_batch_size", "train.max_seq_length", "train.max_tokens",
    // NeMo (megatron_gpt_config.yaml)
    "trainer.precision", "trainer.max_steps", "model.num_layers", "model.hidden_size", "model.ffn_hidden_size",
    "model.num_attention_heads", "model.num_query_groups", "model.kv_channels", "model.max_position_embeddings",
    "model.make_vocab_size_divisible_by", "model.encoder_seq_length", "model.micro_batch_size",
    "model.global_batch_size", "model.tensor_model_parallel_size", "model.pipeline_model_parallel_size",
    "model.context_parallel_size", "model.expert_model_parallel_size", "model.sequence_parallel",
    "model.num_moe_experts", "model.moe_router_topk", "model.activation", "model.normalization",
    "model.position_embedding_type", "model.bias", "model.share_embeddings_and_output_weights",
    "model.hidden_dropout", "model.attention_dropout", "model.tokenizer.type",
    "model.activations_checkpoint_granularity", "model.optim.name", "model.fp8"};

template <std::size_t N>
bool listed(const char* const (&keys)[N], std::string_view key) {
    for (const char* k : keys)
        if (key == k) return true;
    return false;
}

bool plain_value(std::string_view v) {
    if (v.empty() || v.size() > kMaxHintValueBytes) return false;
    for (char c : v)
        if (c < ' ' || c >= 127 || c == ';') return false;
    return true;
}

void flatten_json_value(const json_t* j, const std::string& key, Flat& out, int depth, std::string_view name) {
    if (depth > kMaxDepth) bad(name, 0, "nested more than " + std::to_string(kMaxDepth) + " levels");
    if (json_is_object(j)) {
        const char* k;
        json_t* v;
        json_object_foreach(const_cast<json_t*>(j), k, v) {
            flatten_json_value(v, key.empty() ? k : key + "." + k, out, depth + 1, name);
        }
    } else if (json_is_string(j)) {
        keep(out, key, json_string_value(j), name, 0);
    } else if (json_is_integer(j)) {
        keep(out, key, std::to_string(json_integer_value(j)), name, 0);
    } else if (json_is_boolean(j)) {
        keep(out, key, json_is_true(j) ? "true" : "false", name, 0);
    } else if (json_is_real(j)) {
        keep(out, key, std::to_string(json_real_value(j)), name, 0);
    }  // arrays and null: nothing a reader uses
}

}  // namespace

Flat flatten_toml(std::string_view text, std::string_view name) {
    if (text.size() > kMaxConfigBytes) bad(name, 0, "larger than " + std::to_string(kMaxConfigBytes >> 10) + " KiB");
    Flat out;
    std::string section;
    bool in_table_array = false, in_multiline = false;
    each_line(text, [&](std::string_view l, int n) {
        l = trim_view(l);
        if (in_multiline) {  // a multi-line array or string: skipped to its end
            in_multiline = l.find(']') == std::string_view::npos && l.find("\"\"\"") == std::string_view::npos;
            return;
        }
        if (l.empty() || l[0] == '#') return;
        if (l[0] == '[') {
            in_table_array = l.size() > 1 && l[1] == '[';
            const std::size_t end = l.find(']');
            if (end == std::string_view::npos) bad(name, n, "a table header without ']'");
            section = std::string(trim_view(l.substr(in_table_array ? 2 : 1, end - (in_table_array ? 2 : 1))));
            if (!key_chars(section)) bad(name, n, "a table name aifactory does not read");
            return;
        }
        const std::size_t eq = l.find('=');
        if (eq == std::string_view::npos) bad(name, n, "not 'key = value'");
        const std::string key = scalar(l.substr(0, eq));
        const std::string_view raw = trim_view(l.substr(eq + 1));
        if ((raw.rfind('[', 0) == 0 && raw.find(']') == std::string_view::npos) || raw.rfind("\"\"\"", 0) == 0) {
            in_multiline = raw.rfind("\"\"\"", 0) != 0 || raw.find("\"\"\"", 3) == std::string_view::npos;
            return;
        }
        if (in_table_array || !key_chars(key)) return;  // [[arrays]] of tables: nothing a reader uses
        keep(out, section.empty() ? key : section + "." + key, scalar(raw), name, n);
    });
    return out;
}

Flat flatten_yaml(std::string_view text, std::string_view name) {
    if (text.size() > kMaxConfigBytes) bad(name, 0, "larger than " + std::to_string(kMaxConfigBytes >> 10) + " KiB");
    Flat out;
    std::vector<std::pair<std::size_t, std::string>> stack;  // indentation, key of each open mapping
    std::size_t block_indent = std::string::npos;            // inside a | or > block scalar
    std::string pending;                                      // "key:" with nothing after it yet
    each_line(text, [&](std::string_view raw, int n) {
        std::size_t indent = 0;
        while (indent < raw.size() && raw[indent] == ' ') ++indent;
        std::string_view l = trim_view(raw);
        if (l.empty() || l[0] == '#') return;
        if (block_indent != std::string::npos) {
            if (indent > block_indent) return;
            block_indent = std::string::npos;
        }
        if (l == "---" || l == "...") return stack.clear();
        while (!stack.empty() && stack.back().first >= indent) stack.pop_back();
        if (l[0] == '-') {  // an item of a list: the list itself is what a reader may look for
            if (!pending.empty()) keep(out, pending, "(list)", name, n), pending.clear();
            return;
        }
        pending.clear();
        const std::size_t colon = l.find(": ") != std::string_view::npos ? l.find(": ")
                                  : (l.back() == ':' ? l.size() - 1 : std::string_view::npos);
        if (colon == std::string_view::npos) bad(name, n, "not 'key: value'");
        const std::string key = scalar(l.substr(0, colon));
        if (!key_chars(key)) return;
        if (stack.size() >= kMaxDepth) bad(name, n, "nested more than " + std::to_string(kMaxDepth) + " levels");
        std::string full;
        for (const auto& [i, k] : stack) full += k + ".";
        full += key;
        const std::string_view value = trim_view(l.substr(colon + 1));
        if (value.empty() || value[0] == '#') {
            stack.emplace_back(indent, key);
            pending = full;
        } else if (value[0] == '|' || value[0] == '>') {
            block_indent = indent;
        } else if (value[0] != '&' && value[0] != '*' && value[0] != '!') {
            keep(out, full, scalar(value), name, n);
        }
    });
    return out;
}

Flat flatten_json(std::string_view text, std::string_view name) {
    if (text.size() > kMaxConfigBytes) bad(name, 0, "larger than " + std::to_string(kMaxConfigBytes >> 10) + " KiB");
    const json::Ptr root = json::parse(text, name);
    Flat out;
    flatten_json_value(root.get(), "", out, 0, name);
    return out;
}

Flat flatten(std::string_view kind, std::string_view text, std::string_view name) {
    if (kind == "toml") return flatten_toml(text, name);
    if (kind == "ds") return flatten_json(text, name);
    return flatten_yaml(text, name);
}

bool wanted(std::string_view kind, std::string_view key) {
    if (kind == "toml") return listed(kToml, key);
    if (kind == "ds") return listed(kDs, key);
    return kind == "yaml" && listed(kYaml, key);
}

void add_config(Hints& hints, std::string_view kind, const Flat& settings) {
    if (!hints.read(kind)) hints.kinds.emplace_back(kind);
    for (const auto& [k, v] : settings)
        if (wanted(kind, k) && plain_value(v)) hints.values.emplace_back(std::string(kind) + ":" + k, v);
}

std::string encode(const Hints& h) {
    std::string out = "read=";
    for (std::size_t i = 0; i < h.kinds.size(); ++i) out += (i ? "," : "") + h.kinds[i];
    for (const auto& [k, v] : h.values) {
        const std::string entry = ";" + k + "=" + v;
        if (out.size() + entry.size() > kMaxHintsBytes) break;  // the rest is left to the defaults
        out += entry;
    }
    return out;
}

Hints decode(std::string_view text) {
    Hints h;
    if (text.size() > kMaxHintsBytes) return h;
    std::size_t from = 0;
    for (bool first = true; from <= text.size(); first = false) {
        std::size_t end = text.find(';', from);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view entry = text.substr(from, end - from);
        from = end + 1;
        const std::size_t eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = entry.substr(0, eq), value = entry.substr(eq + 1);
        if (first && key == "read") {
            for (std::string_view kind : {"toml", "ds", "yaml"})
                for (std::size_t p = 0; p <= value.size();) {
                    std::size_t c = value.find(',', p);
                    if (c == std::string_view::npos) c = value.size();
                    if (value.substr(p, c - p) == kind && !h.read(kind)) h.kinds.emplace_back(kind);
                    p = c + 1;
                }
            continue;
        }
        const std::size_t colon = key.find(':');
        if (colon == std::string_view::npos || !plain_value(value)) continue;
        const std::string_view kind = key.substr(0, colon);
        if (h.read(kind) && wanted(kind, key.substr(colon + 1))) h.values.emplace_back(std::string(key), std::string(value));
    }
    return h;
}

}  // namespace aif::detect
