// SPDX-License-Identifier: GPL-2.0-or-later
// Megatron-LM's pretrain_gpt.py: the model from its dimensions (in the compact form of
// lib/calc/arch_spec, fields in format_arch's order), the layout, batch, precision, recompute.
// Where an option is absent, Megatron's own default applies (megatron/training/arguments.py).
#include <string>

#include "common/text.hpp"
#include "detect/reading.hpp"

namespace aif::detect {

namespace {

std::string on_off(bool b) { return b ? "on" : "off"; }

// A dropout probability written as 0, 0.0, 0. : no dropout masks.
bool is_zero(const std::string* v) {
    if (v == nullptr || v->empty()) return false;
    for (char c : *v)
        if (c != '0' && c != '.') return false;
    return true;
}

long read_arch(Reading& r, long tp) {  // returns the layer count (0 or -1 when unknown)
    const long layers = r.number("--num-layers", "arch");
    const long hidden = r.number("--hidden-size", "arch");
    const long heads = r.number("--num-attention-heads", "arch");
    const std::pair<long, const char*> dims[] = {
        {layers, "--num-layers"}, {hidden, "--hidden-size"}, {heads, "--num-attention-heads"}};
    for (const auto& [v, name] : dims)
        if (v == 0) r.miss(std::string("arch: ") + name + " is not given");
    if (layers <= 0 || hidden <= 0 || heads <= 0) return layers;
    std::string arch;
    auto add = [&](const std::string& k, const std::string& v) {
        if (!arch.empty()) arch += ',';
        arch += k + "=" + v;
    };
    const bool gated = r.flag("--swiglu");
    const long groups = r.number("--num-query-groups", "arch", 1, heads);
    // Megatron-DeepSpeed spells grouped-query attention --num-key-value-heads N (no flag).
    const long kv_heads = r.number("--num-key-value-heads", "arch", 1, heads);
    const long kv = kv_heads > 0 ? kv_heads : r.flag("--group-query-attention") ? (groups > 0 ? groups : 1) : heads;
    const long kv_channels = r.number("--kv-channels", "arch", 1, 65536);
    long ffn = r.number("--ffn-hidden-size", "arch");
    if (ffn == 0) ffn = gated ? (4 * hidden * 2 / 3) / 64 * 64 : 4 * hidden;  // Megatron's default
    if (ffn == 0) {  // a hidden size too small for the gated default (found by fuzz_detect)
        r.miss("arch: ffn: --ffn-hidden-size is not given and the default for --hidden-size " +
               std::to_string(hidden) + " is 0");
        return layers;
    }
    // The vocabulary: given (--vocab-size), or GPT-2's; Megatron pads it to a multiple of
    // --make-vocab-size-divisible-by (128) × tp.
    long vocab = r.number("--vocab-size", "arch", 1, 10'000'000);
    const std::string* tok = r.text("--tokenizer-type", "arch");
    if (vocab == 0 && tok != nullptr && *tok == "GPT2BPETokenizer") vocab = 50257;
    if (vocab > 0) {
        long divisible = r.number("--make-vocab-size-divisible-by", "arch", 1, 1'000'000);
        if (divisible < 0) return layers;
        if (divisible <= 0) divisible = 128;
        const long multiple = divisible * (tp > 0 ? tp : 1);
        vocab = (vocab + multiple - 1) / multiple * multiple;
    } else if (vocab == 0) {
        r.miss("arch: vocab: the tokenizer" + (tok ? " (" + printable(*tok) + ")" : std::string()) +
               " is a file the script names; give --llm-model or --llm-config");
    }
    const std::string* pos = r.text("--position-embedding-type", "arch");
    const bool rope = r.flag("--use-rotary-position-embeddings") ||
                      (pos != nullptr && (*pos == "rope" || *pos == "none" || *pos == "mrope" || *pos == "alibi"));
    const long max_pos = rope ? 0 : r.number("--max-position-embeddings", "arch", 1, 100'000'000);
    // BigScience's ALiBi (Megatron-DeepSpeed) has no position table either. One expert is a dense
    // MLP (Megatron-DeepSpeed's dense examples pass --num-experts 1).
    long experts = r.number("--num-experts", "arch", 1, 100'000);
    if (experts == 1) experts = 0;
    const long topk = experts > 0 ? r.number("--moe-router-topk", "arch", 1, experts) : 0;
    const long expert_ffn = experts > 0 ? r.number("--moe-ffn-hidden-size", "arch") : 0;
    const long shared = experts > 0 ? r.number("--moe-shared-expert-intermediate-size", "arch") : 0;
    // A dimension given but unreadable (noted in missing) leaves the model unknown: no default
    // stands in for it.
    for (long v : {groups, kv_heads, kv_channels, ffn, vocab, max_pos, experts, topk, expert_ffn, shared})
        if (v < 0) return layers;
    // Learned positions are a table of --max-position-embeddings rows, at least --seq-length of
    // them (Megatron checks max_position_embeddings >= seq_length); without the option the
    // sequence length stands in, and the note says so (rotary positions have no such table).
    long positions = max_pos;
    if (!rope && positions == 0) {
        positions = r.number("--seq-length", "arch", 1, 100'000'000);
        if (positions <= 0) {
            r.miss("arch: max_pos: neither --max-position-embeddings nor --seq-length is given");
            return layers;
        }
        r.miss("arch: max_pos: --max-position-embeddings is not given; --seq-length (" + std::to_string(positions) +
               ") is assumed");
    }

    add("hidden", std::to_string(hidden));
    add("layers", std::to_string(layers));
    add("heads", std::to_string(heads));
    add("kv_heads", std::to_string(kv));
    if (kv_channels > 0) add("head_dim", std::to_string(kv_channels));
    add("ffn", std::to_string(ffn));
    if (vocab > 0) add("vocab", std::to_string(vocab));
    if (positions > 0) add("max_pos", std::to_string(positions));
    if (experts > 0) {
        add("experts", std::to_string(experts));
        add("topk", std::to_string(topk > 0 ? topk : 2));
        add("expert_ffn", std::to_string(expert_ffn > 0 ? expert_ffn : ffn));
        if (shared > 0) add("shared_experts", "1"), add("shared_ffn", std::to_string(shared));
    }
    add("mlp", gated ? "gated" : "plain");
    add("tied", r.flag("--untie-embeddings-and-output-weights") ? "no" : "yes");
    const std::string* norm = r.text("--normalization", "arch");
    add("norm", norm != nullptr && lower(*norm) == "rmsnorm" ? "rms" : "layer");  // Megatron-DeepSpeed: rmsnorm
    add("pos_emb", rope ? "rope" : "learned");
    add("bias", !r.flag("--disable-bias-linear") ? "all" : (r.flag("--add-qkv-bias") ? "qkv" : "none"));
    if (r.flag("--qk-layernorm")) add("qk_norm", "yes");
    // Megatron trains with dropout 0.1 unless both are set to 0.
    if (!is_zero(r.text("--attention-dropout", "arch")) || !is_zero(r.text("--hidden-dropout", "arch")))
        add("dropout", "yes");
    r.set("arch", arch, r.line_of("--num-layers"), "--num-layers, --hidden-size, --num-attention-heads, ...");
    return layers;
}

}  // namespace

void read_megatron(Reading& r) {
    const long tp = r.number("--tensor-model-parallel-size", "layout", 1, 1024);
    const long pp = r.number("--pipeline-model-parallel-size", "layout", 1, 1024);
    const long layers = read_arch(r, tp);

    std::string layout = "tp=" + std::to_string(tp > 0 ? tp : 1) + ",pp=" + std::to_string(pp > 0 ? pp : 1);
    const long per_stage = r.number("--num-layers-per-virtual-pipeline-stage", "layout", 1, 10'000);
    if (per_stage > 0 && layers > 0 && layers % ((pp > 0 ? pp : 1) * per_stage) == 0 &&
        layers / ((pp > 0 ? pp : 1) * per_stage) > 1)
        layout += ",vpp=" + std::to_string(layers / ((pp > 0 ? pp : 1) * per_stage));
    const long cp = r.number("--context-parallel-size", "layout", 1, 1024);
    if (cp > 1) layout += ",cp=" + std::to_string(cp);
    const long ep = r.number("--expert-model-parallel-size", "layout", 1, 4096);
    if (ep > 1) layout += ",ep=" + std::to_string(ep);
    if (r.flag("--sequence-parallel")) layout += ",sp=on";
    r.set("layout", layout, r.line_of("--tensor-model-parallel-size"), "--tensor-model-parallel-size, ...");

    if (const long zero = r.number("--zero-stage", "zero", 0, 3); zero >= 0 && r.find("--zero-stage"))
        r.set("zero", std::to_string(zero), r.line_of("--zero-stage"), "--zero-stage");

    const long mbs = r.number("--micro-batch-size", "mbs", 1, 65536);
    if (mbs > 0) r.set("mbs", std::to_string(mbs), r.line_of("--micro-batch-size"), "--micro-batch-size");
    else if (mbs == 0) r.miss("mbs: --micro-batch-size is not given");
    const long gbs = r.number("--global-batch-size", "gbs", 1, 100'000'000);
    if (gbs > 0) r.set("gbs", std::to_string(gbs), r.line_of("--global-batch-size"), "--global-batch-size");
    else if (gbs == 0) r.miss("gbs: --global-batch-size is not given (Megatron uses mbs × data-parallel size)");
    const char* seq_opt = r.find("--seq-length") ? "--seq-length" : "--encoder-seq-length";
    const long seq = r.number(seq_opt, "seq", 1, 16'777'216);
    if (seq > 0) r.set("seq", std::to_string(seq), r.line_of(seq_opt), seq_opt);
    else if (seq == 0) r.miss("seq: --seq-length is not given");

    const long samples = r.number("--train-samples", "tokens", 1, 1'000'000'000'000);
    const long iters = r.number("--train-iters", "tokens", 1, 1'000'000'000);
    if (samples > 0 && seq > 0 && double(samples) * seq < 1e15)
        r.set("tokens", std::to_string(samples * seq), r.line_of("--train-samples"), "--train-samples × --seq-length");
    else if (iters > 0 && gbs > 0 && seq > 0 && double(iters) * gbs * seq < 1e15)
        r.set("tokens", std::to_string(iters * gbs * seq), r.line_of("--train-iters"),
              "--train-iters × --global-batch-size × --seq-length");
    else if (samples == 0 && iters == 0)
        r.miss("tokens: neither --train-iters nor --train-samples is given");

    // --fp8-format turns fp8 on; --fp8-recipe mxfp8 makes it block-scaled (TransformerConfig.fp8_recipe,
    // 'tensorwise', 'delayed', 'mxfp8', 'blockwise' or 'custom', at d98e8a64).
    const std::string* recipe = r.text("--fp8-recipe", "precision");
    if (r.find("--fp8-format") && recipe != nullptr && *recipe == "mxfp8")
        r.set("precision", "mxfp8", r.line_of("--fp8-recipe"), "--fp8-recipe");
    else if (r.find("--fp8-format")) r.set("precision", "fp8", r.line_of("--fp8-format"), "--fp8-format");
    else if (r.flag("--bf16")) r.set("precision", "bf16", r.line_of("--bf16"), "--bf16");
    else if (r.flag("--fp16")) r.set("precision", "fp16", r.line_of("--fp16"), "--fp16");
    else r.set("precision", "fp32", 0, "default");
    r.text("--fp8-format", "precision");

    const std::string* granularity = r.text("--recompute-granularity", "recompute");
    if (granularity != nullptr && (*granularity == "full" || *granularity == "selective"))
        r.set("recompute", *granularity, r.line_of("--recompute-granularity"), "--recompute-granularity");
    else if (r.flag("--recompute-activations"))
        r.set("recompute", "selective", r.line_of("--recompute-activations"), "--recompute-activations");
    else if (r.flag("--checkpoint-activations"))  // older Megatron and Megatron-DeepSpeed: every layer
        r.set("recompute", "full", r.line_of("--checkpoint-activations"), "--checkpoint-activations");
    else if (granularity != nullptr)
        r.miss("recompute: --recompute-granularity '" + printable(*granularity) + "' is not full or selective");
    else r.set("recompute", "none", 0, "default");

    const bool dist = r.flag("--use-distributed-optimizer");
    r.set("dist-opt", on_off(dist), r.line_of("--use-distributed-optimizer"),
          dist ? "--use-distributed-optimizer" : "default");
    const std::string* opt = r.text("--optimizer", "optimizer");
    if (opt == nullptr || *opt == "adam") r.set("optimizer", "adamw", r.line_of("--optimizer"), opt ? "--optimizer" : "default");
    else if (*opt == "sgd") r.set("optimizer", "sgd", r.line_of("--optimizer"), "--optimizer");
    else r.miss("optimizer: --optimizer '" + printable(*opt) + "' is not adam or sgd");
    r.set("framework", "megatron", 0, "pretrain_gpt.py");
}

}  // namespace aif::detect
