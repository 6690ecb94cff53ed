// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/arch_spec.hpp"

#include "common/error.hpp"
#include "common/text.hpp"

namespace aif::calc {

namespace {

// Integer fields, by key; kept in one table so parse and format cannot drift apart.
struct IntField {
    const char* key;
    long Architecture::*field;
};
struct MlaField {
    const char* key;
    long MlaDims::*field;
};

const IntField int_fields[] = {
    {"hidden", &Architecture::hidden},       {"layers", &Architecture::layers},
    {"heads", &Architecture::heads},         {"kv_heads", &Architecture::kv_heads},
    {"head_dim", &Architecture::head_dim},   {"ffn", &Architecture::ffn},
    {"vocab", &Architecture::vocab},         {"max_pos", &Architecture::max_pos},
    {"experts", &Architecture::experts},     {"topk", &Architecture::topk},
    {"expert_ffn", &Architecture::expert_ffn}, {"shared_experts", &Architecture::shared_experts},
    {"shared_ffn", &Architecture::shared_ffn}, {"first_dense", &Architecture::first_dense},
    {"moe_freq", &Architecture::moe_freq},   {"extra_params", &Architecture::extra_params},
    {"mtp_layers", &Architecture::mtp_layers},
};
const MlaField mla_fields[] = {
    {"q_lora", &MlaDims::q_lora},   {"kv_lora", &MlaDims::kv_lora}, {"qk_nope", &MlaDims::qk_nope},
    {"qk_rope", &MlaDims::qk_rope}, {"v_head", &MlaDims::v_head},
};

std::string bad(std::string_view where, std::string_view key, std::string_view value, const char* allowed) {
    return std::string(where) + ": " + printable(key, 20) + "='" + printable(value) +
           "' is not valid (use " + allowed + ")";
}

}  // namespace

const std::vector<std::string>& arch_keys() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> k;
        for (const auto& f : int_fields) k.emplace_back(f.key);
        for (const auto& f : mla_fields) k.emplace_back(f.key);
        for (const char* s : {"mlp", "tied", "norm", "pos_emb", "bias", "qk_norm", "embed_norm", "dropout"}) k.emplace_back(s);
        return k;
    }();
    return keys;
}

void set_arch_key(Architecture& a, std::string_view key_in, std::string_view value, std::string_view where) {
    const std::string key = lower(trim(key_in));
    const std::string v = lower(trim(value));
    const std::string what = std::string(where) + ": " + printable(key, 30);
    for (const auto& f : int_fields)
        if (key == f.key) {
            a.*f.field = static_cast<long>(parse_int(v, what, 0, 1'000'000'000'000LL));
            return;
        }
    for (const auto& f : mla_fields)
        if (key == f.key) {
            a.mla.*f.field = static_cast<long>(parse_int(v, what, 0, 10'000'000));
            return;
        }
    if (key == "mlp") {
        if (v == "gated" || v == "swiglu" || v == "geglu") a.gated = true;
        else if (v == "plain" || v == "gelu" || v == "relu" || v == "xielu") a.gated = false;
        else throw InputError(bad(where, key, value, "gated or plain"));
    } else if (key == "tied") {
        a.tied = parse_bool(v, what);
    } else if (key == "norm") {
        if (v == "rms" || v == "rmsnorm") a.norm = Norm::RMS;
        else if (v == "layer" || v == "layernorm") a.norm = Norm::Layer;
        else throw InputError(bad(where, key, value, "rms or layer"));
    } else if (key == "pos_emb") {
        if (v == "learned") a.pos = PosEmb::Learned;
        else if (v == "rope" || v == "alibi" || v == "none") a.pos = PosEmb::Rope;
        else throw InputError(bad(where, key, value, "learned, rope, alibi or none"));
    } else if (key == "bias") {
        if (v == "none") a.qkv_bias = a.linear_bias = false;
        else if (v == "qkv") { a.qkv_bias = true; a.linear_bias = false; }
        else if (v == "all") { a.qkv_bias = false; a.linear_bias = true; }
        else throw InputError(bad(where, key, value, "none, qkv or all"));
    } else if (key == "qk_norm") {
        a.qk_norm = parse_bool(v, what);
    } else if (key == "embed_norm") {
        a.embed_norm = parse_bool(v, what);
    } else if (key == "dropout") {
        a.dropout = parse_bool(v, what);
    } else {
        std::string msg = std::string(where) + ": unknown key '" + printable(key, 30) + "'";
        auto near = closest(key, arch_keys(), 1);
        if (!near.empty()) msg += " (did you mean '" + near[0] + "'?)";
        throw InputError(msg);
    }
}

Architecture parse_arch(std::string_view spec, Architecture a) {
    for (const std::string& item : split(spec, ',')) {
        auto eq = item.find('=');
        if (eq == std::string::npos)
            throw InputError("--arch: '" + printable(item) + "' is not key=value");
        set_arch_key(a, item.substr(0, eq), item.substr(eq + 1), "--arch");
    }
    return a;
}

std::string format_arch(const Architecture& a) {
    const Architecture d;
    std::string out;
    auto add = [&](const std::string& k, const std::string& v) {
        if (!out.empty()) out += ',';
        out += k + "=" + v;
    };
    for (const auto& f : int_fields)
        if (a.*f.field != d.*f.field) add(f.key, std::to_string(a.*f.field));
    for (const auto& f : mla_fields)
        if (a.mla.*f.field != 0) add(f.key, std::to_string(a.mla.*f.field));
    add("mlp", a.gated ? "gated" : "plain");
    add("tied", a.tied ? "yes" : "no");
    add("norm", a.norm == Norm::RMS ? "rms" : "layer");
    add("pos_emb", a.pos == PosEmb::Learned ? "learned" : "rope");
    add("bias", a.linear_bias ? "all" : (a.qkv_bias ? "qkv" : "none"));
    if (a.qk_norm) add("qk_norm", "yes");
    if (a.embed_norm) add("embed_norm", "yes");
    if (a.dropout) add("dropout", "yes");
    return out;
}

}  // namespace aif::calc
