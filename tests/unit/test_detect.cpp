// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/detect: unmodified batch scripts (written for these tests, in
// fuzz/corpus/detect/ and below) read into the --llm-* description, and never a misfire.
#include <chrono>  // before check.h, whose macros clash with <ios>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <check.h>

#include "calc/arch_spec.hpp"
#include "calc/job.hpp"
#include "calc/model.hpp"
#include "check_main.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "detect/config_files.hpp"
#include "detect/detect.hpp"

using namespace aif;
using detect::Detection;

static std::string corpus(const char* name) {
    return read_file(test_srcdir() + "/fuzz/corpus/detect/" + name);
}

// "key=value" lines, in the order the reader gives them.
static std::string described(const Detection& d) {
    std::string out;
    for (const auto& [k, v] : d.options()) out += k + "=" + v + "\n";
    return out;
}

static bool missing_has(const Detection& d, const std::string& needle) {
    for (const auto& m : d.missing)
        if (m.find(needle) != std::string::npos) return true;
    return false;
}

// Every value the reader gives is one apply_option accepts, and the arch is in format_arch's form.
static void expect_valid_options(const Detection& d) {
    calc::JobSpec job;
    for (const auto& [k, v] : d.options()) {
        try {
            calc::apply_option(job, k, v, "--llm-");
        } catch (const InputError& e) {
            ck_abort_msg("%s=%s refused: %s", k.c_str(), v.c_str(), e.what());
        }
    }
    if (const auto* a = d.get("arch")) ck_assert_str_eq(calc::format_arch(calc::parse_arch(a->value)), a->value);
}

struct Case {
    const char* file;
    const char* framework;
    const char* launcher;
    int line;
    const char* options;
    std::vector<const char*> missing;  // each one is in some entry of d.missing
    std::size_t n_missing;
};

static const Case cases[] = {
    {"megatron_llama8b.sh", "Megatron-LM", "srun torchrun", 39,
     "arch=hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,mlp=gated,tied=no,norm=rms,pos_emb=rope,bias=none\n"
     "layout=tp=4,pp=2,sp=on\nmbs=1\ngbs=256\nseq=4096\ntokens=1048576000\nprecision=bf16\nrecompute=selective\n"
     "dist-opt=on\noptimizer=adamw\nframework=megatron\n",
     {"vocab: the tokenizer (HuggingFaceTokenizer)"}, 1},
    {"megatron_container.sh", "Megatron-LM", "srun singularity python -m torch.distributed.run", 12,
     "arch=hidden=2048,layers=24,heads=16,kv_heads=16,ffn=8192,vocab=50432,max_pos=2048,mlp=plain,tied=yes,"
     "norm=layer,pos_emb=learned,bias=all,dropout=yes\n"
     "layout=tp=2,pp=1\nmbs=4\ngbs=512\nseq=2048\ntokens=2048000000\nprecision=fp16\nrecompute=selective\n"
     "dist-opt=off\noptimizer=adamw\nframework=megatron\n",
     {}, 0},
    {"hf_deepspeed.sh", "Hugging Face Trainer", "deepspeed", 13,
     "model=llama-3.1-8b\nmbs=4\nseq=2048\nprecision=bf16\nrecompute=full\noptimizer=adamw\n"
     "framework=deepspeed\nzero=3\n",  // the stage from the JSON the script writes itself
     {"gbs: mbs × gradient accumulation (8)"}, 1},
};

START_TEST(corpus_scripts_are_read_exactly) {
    const Case& c = cases[_i];
    const Detection d = detect::read_script(corpus(c.file));
    ck_assert_msg(d.detected(), "%s: not detected (%s)", c.file, d.why.c_str());
    ck_assert_str_eq(d.framework, c.framework);
    ck_assert_str_eq(d.launcher, c.launcher);
    ck_assert_int_eq(d.line, c.line);
    ck_assert_str_eq(described(d), c.options);
    for (const char* m : c.missing) ck_assert_msg(missing_has(d, m), "%s: no missing entry '%s'", c.file, m);
    ck_assert_uint_eq(d.missing.size(), c.n_missing);
    expect_valid_options(d);
}
END_TEST

START_TEST(values_name_their_lines) {
    const Detection d = detect::read_script(corpus("megatron_llama8b.sh"));
    // --micro-batch-size $MBS is on line 30; MBS=1 on line 15; --num-layers inside GPT_ARGS on 20.
    ck_assert_int_eq(d.get("mbs")->line, 30);
    ck_assert_int_eq(d.get("seq")->line, 24);
    bool mbs_source = false, layers_source = false;
    for (const auto& s : d.read) {
        mbs_source = mbs_source || (s.option == "--micro-batch-size" && s.value == "1" && s.line == 15);
        layers_source = layers_source || (s.option == "--num-layers" && s.value == "32" && s.line == 20);
    }
    ck_assert(mbs_source && layers_source);
}
END_TEST

// A complete GPT-2 style model read from its dimensions is one the calculator can size.
START_TEST(dimensions_make_a_valid_architecture) {
    const Detection d = detect::read_script(corpus("megatron_container.sh"));
    const calc::Architecture a = calc::parse_arch(d.get("arch")->value);
    calc::validate(a);
    const double params = calc::count_params(a).total;
    ck_assert_msg(params > 1.2e9 && params < 1.4e9, "GPT-2 24x2048: %.3g parameters", params);
}
END_TEST

static Detection read(const std::string& s) { return detect::read_script(s); }

START_TEST(shell_forms_are_followed) {
    const std::string head = "#!/bin/bash\n";
    const std::string tail = " --num-layers 2 --hidden-size 64 --num-attention-heads 4 --vocab-size 1000\n";
    // ${X:-default} with X unset, ${X:-$Y}, export, +=, quotes, $((...)), a comment after a continuation.
    Detection d = read(head +
                       "export SEQ=\"512\"\nB=${UNSET_B:-$SEQ}\nARGS='--micro-batch-size 2'\nARGS+=\" --bf16\"\n"
                       "G=$(( 2 * 8 + B / 512 ))\n"
                       "srun python3 -u pretrain_gpt.py $ARGS \\\n  --seq-length $B --global-batch-size $G" + tail);
    ck_assert(d.detected());
    ck_assert_str_eq(d.get("seq")->value, "512");
    ck_assert_str_eq(d.get("mbs")->value, "2");
    ck_assert_str_eq(d.get("gbs")->value, "17");
    ck_assert_str_eq(d.get("precision")->value, "bf16");
    ck_assert_str_eq(d.get("arch")->value.substr(0, 57), "hidden=64,layers=2,heads=4,kv_heads=4,ffn=256,vocab=1024,");
    expect_valid_options(d);

    // A value from outside the script is named as missing, never guessed.
    d = read(head + "torchrun pretrain_gpt.py --micro-batch-size $SLURM_MBS --seq-length $(cat seq)" + tail);
    ck_assert(d.detected());
    ck_assert_ptr_null(d.get("mbs"));
    ck_assert_ptr_null(d.get("seq"));
    ck_assert(missing_has(d, "mbs: --micro-batch-size (line 2) takes its value from outside the script"));
    ck_assert(missing_has(d, "seq: --seq-length (line 2) takes its value from outside the script"));
    ck_assert(missing_has(d, "gbs: --global-batch-size is not given"));

    // Not a number: named, not passed on.
    d = read(head + "python pretrain_gpt.py --micro-batch-size lots" + tail);
    ck_assert_ptr_null(d.get("mbs"));
    ck_assert(missing_has(d, "'lots' (line 2) is not a whole number"));

    // An unreadable dimension leaves the model unknown; no default stands in (fuzz_detect found
    // ffn=-1 passed on).
    d = read(head + "python pretrain_gpt.py --ffn-hidden-size 143#6 --num-query-groups $G" + tail);
    ck_assert(d.detected());
    ck_assert_ptr_null(d.get("arch"));
    ck_assert(missing_has(d, "--ffn-hidden-size '143#6' (line 2) is not a whole number"));

    // accelerate launch with its own config file: HF Trainer, the file noted.
    d = read(head + "accelerate launch --config_file fsdp.yaml train.py --model_name_or_path Qwen/Qwen2.5-7B "
                    "--per_device_train_batch_size 2 --fsdp 'full_shard auto_wrap' --max_seq_length 8192\n");
    ck_assert(d.detected());
    ck_assert_str_eq(d.launcher, "accelerate launch");
    ck_assert_str_eq(described(d), "model=qwen2.5-7b\nmbs=2\nseq=8192\nprecision=fp32\nrecompute=none\n"
                                   "optimizer=adamw\nframework=fsdp\nfsdp=full\n");
    ck_assert(missing_has(d, "--config_file"));
    // A config file the script writes itself is read from its here-document, expanded as the
    // shell will expand it; with a quoted delimiter it is taken as it stands.
    const std::string ds = "ZS=2\nCFG=./ds.json\ncat <<EOF > $CFG 2>&1\n{\"zero_optimization\": {\"stage\": $ZS},\n"
                           " \"train_micro_batch_size_per_gpu\": 4, \"bf16\": {\"enabled\": true}}\nEOF\n"
                           "deepspeed train.py --model_name_or_path gpt2 --do_train --deepspeed ds.json\n";
    d = read(head + ds);
    ck_assert_str_eq(d.get("zero")->value, "2");
    ck_assert_str_eq(d.get("mbs")->value, "4");
    ck_assert_str_eq(d.get("precision")->value, "bf16");
    ck_assert(d.configs.size() == 1 && d.configs[0].written);
    std::string quoted = ds;
    quoted.replace(quoted.find("<<EOF"), 5, "<<'EOF'");
    d = read(head + quoted);
    ck_assert_ptr_null(d.get("zero"));  // "$ZS" is not JSON
    ck_assert(missing_has(d, "zero: the ZeRO stage is in ds.json"));
    // A NeMo 2 recipe name is a name, not any text (fuzz_detect found a 200-byte "model").
    d = read(head + "nemo llm pretrain --factory 'llama3_8b x\\n--y' data.micro_batch_size=1\n");
    ck_assert(d.detected());
    ck_assert_ptr_null(d.get("model"));
    ck_assert(missing_has(d, "is not a recipe name"));
    // A local model directory is left to the submit host.
    d = read(head + "python train.py --model_name_or_path /models/llama --do_train\n");
    ck_assert(d.detected());
    ck_assert_ptr_null(d.get("model"));
    ck_assert(missing_has(d, "local directory"));
}
END_TEST

// torchtitan: its own profile family, torch.compile and the selective-AC option as JobConfig has
// them (defaults: compile off, selective every 2nd block; 'op' is op-level SAC).
START_TEST(torchtitan_compile_and_selective_option) {
    const std::string run = "#!/bin/bash\ntorchrun -m torchtitan.train --model.name llama3 --model.flavor 8B";
    Detection d = read(run + "\n");
    ck_assert_str_eq(d.get("framework")->value, "torchtitan");
    ck_assert_str_eq(d.get("compile")->value, "off");
    ck_assert_str_eq(d.get("ac-every")->value, "2");
    d = read(run + " --training.compile --activation_checkpoint.selective_ac_option 3\n");
    ck_assert_str_eq(d.get("compile")->value, "on");
    ck_assert_str_eq(d.get("ac-every")->value, "3");
    d = read(run + " --compile.enable --activation_checkpoint.selective_ac_option op\n");
    ck_assert_str_eq(d.get("compile")->value, "on");
    ck_assert_ptr_null(d.get("ac-every"));
    d = read(run + " --activation_checkpoint.mode full\n");
    ck_assert_ptr_null(d.get("ac-every"));
}
END_TEST

// MXFP8: Megatron's --fp8-recipe mxfp8 (with --fp8-format, which turns fp8 on); torchtitan's MX
// linear converter by its names "mx" (2025-05) and "quantize.linear.mx" (2025-09); its grouped-GEMM
// converter alone converts only MoE experts.
START_TEST(mxfp8_is_read_from_recipe_and_converter) {
    auto precision = [](const std::string& script) { return read(script + "\n").get("precision")->value; };
    const std::string meg = "#!/bin/bash\npython pretrain_gpt.py --num-layers 2 --hidden-size 64 "
                            "--num-attention-heads 4 --vocab-size 1000 --bf16";
    ck_assert_str_eq(precision(meg + " --fp8-format e4m3 --fp8-recipe mxfp8"), "mxfp8");
    ck_assert_str_eq(precision(meg + " --fp8-format hybrid --fp8-recipe tensorwise"), "fp8");
    ck_assert_str_eq(precision(meg + " --fp8-recipe mxfp8"), "bf16");  // fp8 not on
    const std::string titan = "#!/bin/bash\ntorchrun -m torchtitan.train --model.name llama3 --model.flavor 8B";
    ck_assert_str_eq(precision(titan + " --model.converters mx"), "mxfp8");
    ck_assert_str_eq(precision(titan + " --model.converters quantize.linear.mx,quantize.grouped_mm.mx"), "mxfp8");
    ck_assert_str_eq(precision(titan + " --model.converters quantize.grouped_mm.mx"), "bf16");
    ck_assert_str_eq(precision(titan + " --model.converters float8"), "fp8");
}
END_TEST

// Scripts that only mention a training program, or run something else, are not training jobs.
START_TEST(other_jobs_are_not_detected) {
    for (const char* f : {"neg_cfd.sh", "neg_md.sh", "neg_inference.sh"}) {
        const Detection d = detect::read_script(corpus(f));
        ck_assert_msg(d.status == Detection::Status::NotTraining, "%s was detected as %s", f, d.framework.c_str());
        ck_assert(d.values.empty());
    }
    const char* mentions[] = {
        "echo python pretrain_gpt.py --num-layers 2\n",
        "# srun torchrun pretrain_gpt.py --num-layers 2\n",
        "cat <<EOF > run.sh\nsrun torchrun pretrain_gpt.py --num-layers 2\nEOF\nsbatch run.sh\n",
        "git clone https://example.org/megatron.git && ls megatron/pretrain_gpt.py\n",
        "python -c 'print(1)' pretrain_gpt.py\n",  // -c: the program is the string, not the .py
        "python serve.py --model_name_or_path gpt2 --port 8000\n",
        "",
    };
    for (const char* s : mentions) {
        const Detection d = detect::read_script(s);
        ck_assert_msg(!d.detected(), "detected in: %s", s);
    }
}
END_TEST

START_TEST(oversized_and_hostile_scripts_are_refused_quickly) {
    using clock = std::chrono::steady_clock;
    std::string big(2u << 20, '#');
    big += "\nsrun torchrun pretrain_gpt.py --num-layers 2\n";
    auto t0 = clock::now();
    Detection d = detect::read_script(big);
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    ck_assert(d.status == Detection::Status::Refused);
    ck_assert_str_eq(d.why, "the script is larger than 1 MiB");
    ck_assert_msg(ms < 5, "refusing 2 MiB took %.2f ms", ms);

    // Doubling a variable on every line: stopped by the work bound, not by memory or time.
    std::string doubling = "X=ab\n";
    while (doubling.size() < 900'000) doubling += "X=\"$X$X\"\necho $X $X $X $X\n";
    t0 = clock::now();
    d = detect::read_script(doubling);
    const double ms2 = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    ck_assert(d.status == Detection::Status::Refused);
    ck_assert_str_eq(d.why, "the script is too complex to read in bounded time");
    ck_assert_msg(ms2 < 2000, "doubling script took %.1f ms", ms2);
    std::printf("refuse 2 MiB: %.3f ms; doubling 0.9 MiB: %.1f ms\n", ms, ms2);
}
END_TEST

// The corpus of tests/data/detect: the share of LLM training scripts read completely right
// (framework and every value the script states, nothing read that it does not state), and no
// other job detected at all.
static std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t from = 0;
    for (std::size_t at; (at = s.find(sep, from)) != std::string::npos; from = at + 1) out.push_back(s.substr(from, at - from));
    out.push_back(s.substr(from));
    for (auto& p : out) {
        while (!p.empty() && p.front() == ' ') p.erase(0, 1);
        while (!p.empty() && p.back() == ' ') p.pop_back();
    }
    return out;
}

// The settings of config files as the SPANK plugin forwards them: parsed, encoded, decoded.
static detect::Hints hints_from(const std::string& dir, const std::string& field) {
    detect::Hints h;
    for (const std::string& kp : split(field, ' ')) {
        if (kp.empty()) continue;
        const std::string kind = kp.substr(0, kp.find(':')), path = dir + kp.substr(kp.find(':') + 1);
        const std::string text = read_file(path);
        detect::add_config(h, kind, kind == "toml" ? detect::flatten_toml(text, path)
                                    : kind == "ds" ? detect::flatten_json(text, path)
                                                   : detect::flatten_yaml(text, path));
    }
    return detect::decode(detect::encode(h));
}

START_TEST(corpus_recognition) {
    const std::string dir = test_srcdir() + "/tests/data/detect/";
    int llm = 0, right = 0, negatives = 0, with_files = 0, right_with_files = 0;
    for (const std::string& line : split(read_file(dir + "expected.txt"), '\n')) {
        if (line.empty() || line[0] == '#') continue;
        const std::vector<std::string> f = split(line, '|');
        ck_assert_msg(f.size() >= 2, "bad line: %s", line.c_str());
        const bool files = f.size() > 3;
        const detect::Hints hints = files ? hints_from(dir, f[3]) : detect::Hints{};
        const Detection d = detect::read_script(read_file(dir + f[0]), detect::Limits{}, files ? &hints : nullptr);
        if (f[1] == "-") {
            ++negatives;
            ck_assert_msg(!d.detected(), "%s: not LLM training, detected as %s", f[0].c_str(), d.framework.c_str());
            continue;
        }
        ++(files ? with_files : llm);
        std::string wrong;
        if (!d.detected() || d.framework != f[1]) wrong = "framework '" + d.framework + "'";
        std::vector<std::string> want = f.size() > 2 ? split(f[2], ' ') : std::vector<std::string>{};
        std::erase(want, "");
        for (const std::string& kv : want) {
            const auto* v = d.get(kv.substr(0, kv.find('=')));
            if (v == nullptr || v->value != kv.substr(kv.find('=') + 1)) wrong += " " + kv + " (read " + (v ? v->value : "nothing") + ")";
        }
        for (const auto& v : d.values)  // a value read from the script or its files must be expected
            if ((v.line > 0 || v.from.find(": ") != std::string::npos) &&
                std::find(want.begin(), want.end(), v.key + "=" + v.value) == want.end())
                wrong += " unexpected " + v.key + "=" + v.value;
        if (wrong.empty()) ++(files ? right_with_files : right);
        else std::printf("corpus: %s%s misread:%s\n", f[0].c_str(), files ? " (with its files)" : "", wrong.c_str());
        expect_valid_options(d);
    }
    const double share = 100.0 * right / llm;
    std::printf("corpus: %d of %d LLM training scripts read completely right from the script alone (%.0f%%); "
                "%d of %d with the config files they name; %d other jobs, none detected\n",
                right, llm, share, right_with_files, with_files, negatives);
    ck_assert_int_ge(llm, 20);
    ck_assert_int_ge(negatives, 8);
    ck_assert_int_ge(with_files, 4);
    ck_assert_msg(share >= 80, "only %.0f%% recognised", share);
    ck_assert_int_eq(right_with_files, with_files);
}
END_TEST

// The subsets of TOML and YAML real configs use, and JSON: keys flattened, values as written.
START_TEST(config_files_are_flattened) {
    const auto has = [](const detect::Flat& f, const char* k, const char* v) {
        for (const auto& [key, value] : f)
            if (key == k && value == v) return true;
        return false;
    };
    detect::Flat t = detect::flatten_toml("# c\n[training]\nseq_len = 8192 # x\nname = \"a b\"\n"
                                          "arr = [\n 1,\n]\n[[array]]\nx = 1\n[model]\nflavor = '8B'\n", "t.toml");
    ck_assert(has(t, "training.seq_len", "8192") && has(t, "training.name", "a b") && has(t, "model.flavor", "8B"));
    ck_assert_uint_eq(t.size(), 3);
    detect::Flat y = detect::flatten_yaml("a:\n  b: 1\n  c:\n    d: \"x\" # note\nlist:\n  - one\ntext: |\n  e: 2\n"
                                          "f: 3\n---\ng: 4\n", "y.yaml");
    ck_assert(has(y, "a.b", "1") && has(y, "a.c.d", "x") && has(y, "list", "(list)") && has(y, "f", "3") && has(y, "g", "4"));
    ck_assert_uint_eq(y.size(), 5);  // nothing from the | block
    detect::Flat j = detect::flatten_json("{\"zero_optimization\": {\"stage\": 3}, \"bf16\": {\"enabled\": true}}", "j");
    ck_assert(has(j, "zero_optimization.stage", "3") && has(j, "bf16.enabled", "true"));
    for (const auto& [text, kind] : {std::pair{"[model\n", "toml"}, std::pair{"just words\n", "toml"},
                                     std::pair{"a: 1\nno colon here\n", "yaml"}, std::pair{"{", "json"}}) {
        bool refused = false;
        try {
            kind == std::string("toml") ? detect::flatten_toml(text, "f")
            : kind == std::string("yaml") ? detect::flatten_yaml(text, "f") : detect::flatten_json(text, "f");
        } catch (const InputError&) {
            refused = true;
        }
        ck_assert_msg(refused, "%s accepted as %s", text, kind);
    }
    bool big_refused = false;
    try {
        detect::flatten_yaml(std::string(detect::kMaxConfigBytes + 1, '#'), "big");
    } catch (const InputError& e) {
        big_refused = std::string(e.what()) == "big:0: larger than 256 KiB";
    }
    ck_assert(big_refused);
}
END_TEST

// What job_submit decodes comes from any client: only entries encode() could write survive.
START_TEST(hints_are_bounded_on_the_way_in) {
    detect::Hints h;
    detect::add_config(h, "toml", {{"training.seq_len", "8192"}, {"job.dump_folder", "/x"}, {"model.name", "a;b"}});
    ck_assert_str_eq(detect::encode(h), "read=toml;toml:training.seq_len=8192");
    detect::Hints d = detect::decode("read=toml;toml:training.seq_len=1;ds:zero_optimization.stage=3;"
                                     "toml:not.wanted=1;toml:model.name=\x01;garbage;toml:training.steps=5");
    ck_assert_uint_eq(d.values.size(), 2);  // ds was not read, the others are not wanted or not plain
    ck_assert_str_eq(d.get("toml:training.seq_len")->c_str(), "1");
    ck_assert(detect::decode("toml:training.seq_len=1").values.empty());  // no read= first
    ck_assert(detect::decode(std::string(detect::kMaxHintsBytes + 1, 'x')).kinds.empty());
    // Many settings: the encoded form stays within one spank_job_env entry.
    detect::Flat many;
    for (int i = 0; i < 200; ++i) many.emplace_back("training.seq_len", std::string(100, '7'));
    detect::Hints m;
    detect::add_config(m, "toml", many);
    ck_assert_uint_le(detect::encode(m).size(), detect::kMaxHintsBytes);
}
END_TEST

int main() {
    Suite* s = suite_create("detect");
    TCase* tc = tcase_create("read_script");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, corpus_scripts_are_read_exactly, 0, sizeof cases / sizeof cases[0]);
    tcase_add_test(tc, values_name_their_lines);
    tcase_add_test(tc, dimensions_make_a_valid_architecture);
    tcase_add_test(tc, shell_forms_are_followed);
    tcase_add_test(tc, torchtitan_compile_and_selective_option);
    tcase_add_test(tc, mxfp8_is_read_from_recipe_and_converter);
    tcase_add_test(tc, other_jobs_are_not_detected);
    tcase_add_test(tc, oversized_and_hostile_scripts_are_refused_quickly);
    tcase_add_test(tc, corpus_recognition);
    tcase_add_test(tc, config_files_are_flattened);
    tcase_add_test(tc, hints_are_bounded_on_the_way_in);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
