// SPDX-License-Identifier: GPL-2.0-or-later
// Parameter counts: the catalogue and Hugging Face configs against published totals.
#include <cmath>
#include <fstream>
#include <sstream>

#include "calc/arch_spec.hpp"
#include "calc/hf_config.hpp"
#include "calc/models.hpp"
#include "check_main.hpp"
#include "common/error.hpp"

using namespace aif;

static const calc::ModelCatalogue& catalogue() {
    static calc::ModelCatalogue c = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    return c;
}

static double total(const char* id) { return calc::count_params(catalogue().require(id).arch).total; }

static std::string hf_text(const std::string& name) {
    std::ifstream in(test_srcdir() + "/tests/data/hf/" + name);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

START_TEST(published_counts_match_to_the_parameter) {
    int checked = 0;
    for (const calc::ModelEntry& m : catalogue().entries()) {
        if (m.published_params <= 0) continue;
        ck_assert_msg(calc::count_params(m.arch).total == m.published_params, "%s: %.0f != %.0f", m.id.c_str(),
                      calc::count_params(m.arch).total, m.published_params);
        ++checked;
    }
    ck_assert_int_ge(checked, 14);
}
END_TEST

START_TEST(rounded_published_counts_match) {
    ck_assert_double_eq(total("bloom-176b"), 176'247'271'424.0);  // published "176,247M"
    ck_assert_double_eq(total("gpt3-175b"), 174'604'259'328.0);   // Megatron's count, 174.6B
    ck_assert(std::fabs(total("mixtral-8x22b") - 140.63e9) < 0.01e9);
    ck_assert(std::fabs(calc::count_params(catalogue().require("mixtral-8x22b").arch).active - 39.16e9) < 0.01e9);
    ck_assert(std::fabs(total("mpt-7b") - 6.65e9) < 0.01e9);
    ck_assert(std::fabs(total("deepseek-v3") - 671.0e9) < 0.5e9);
    // Qwen3 from torchtitan's definitions, by hand: 8B, 36 x (attention 4096 x 128 x (2 x 32 + 2 x 8)
    // + QK norm 256 + norms 8192 + MLP 3 x 4096 x 12288) + untied embedding and head 2 x 151936 x 4096
    // + final norm 4096 (the card: 8.2B). 30B-A3B, 48 x (2048 x 128 x (64 + 8) + 256 + 4096 + 128
    // experts x 3 x 2048 x 768 + router 2048 x 128) + 2 x 151936 x 2048 + 2048 (the card: 30.5B, 3.3B active).
    ck_assert_double_eq(total("qwen3-8b"), 36 * 192'946'432.0 + 1'244'659'712 + 4096);
    ck_assert_double_eq(total("qwen3-30b-a3b"), 48 * 623'120'640.0 + 622'329'856 + 2048);
    ck_assert_double_eq(calc::count_params(catalogue().require("qwen3-30b-a3b").arch).active,
                        48 * 56'889'600.0 + 622'329'856 + 2048);
}
END_TEST

START_TEST(moe_active_counts) {
    ck_assert_double_eq(calc::count_params(catalogue().require("mixtral-8x7b").arch).active, 12'879'925'248.0);
    double active = calc::count_params(catalogue().require("deepseek-v3").arch).active;
    ck_assert_msg(active > 37.0e9 && active < 37.7e9, "deepseek-v3 active %.3g", active);
}
END_TEST

START_TEST(aliases_and_suggestions) {
    ck_assert_str_eq(catalogue().require("Llama3-70B").id.c_str(), "llama3.1-70b");
    ck_assert_input_error(catalogue().require("llama3.1-7b"), "closest: llama3.1-8b, llama3.1-70b");
    ck_assert_input_error(catalogue().require("gpt5"), "aifactory models");
}
END_TEST

START_TEST(hf_configs_give_catalogue_counts) {
    const char* pairs[][2] = {{"llama3.1-8b.json", "llama3.1-8b"}, {"mixtral-8x7b.json", "mixtral-8x7b"},
                              {"qwen2.5-7b.json", "qwen2.5-7b"},   {"deepseek-v3.json", "deepseek-v3"},
                              {"gpt2.json", "gpt2"},               {"apertus-8b.json", "apertus-8b"}};
    for (auto& p : pairs) {
        calc::Architecture a = calc::arch_from_hf_config(hf_text(p[0]), p[0]);
        ck_assert_msg(calc::count_params(a).total == total(p[1]), "%s: %.0f vs %.0f", p[0], calc::count_params(a).total, total(p[1]));
        // The compact form forwarded to slurmctld describes the same model.
        ck_assert_double_eq(calc::count_params(calc::parse_arch(calc::format_arch(a))).total, calc::count_params(a).total);
    }
}
END_TEST

START_TEST(hf_config_errors_name_the_problem) {
    ck_assert_input_error(calc::arch_from_hf_config(hf_text("broken-missing-key.json"), "c.json"),
                          "c.json: missing key 'num_attention_heads'");
    ck_assert_input_error(calc::arch_from_hf_config(hf_text("broken-syntax.json"), "c.json"), "c.json:2:27:");
    ck_assert_input_error(calc::arch_from_hf_config(hf_text("unknown-arch.json"), "c.json"), "model_type 'mamba' is not supported");
    ck_assert_input_error(calc::arch_from_hf_config("[1,2]", "c.json"), "not a JSON object");
    ck_assert_input_error(calc::arch_from_hf_config(R"({"model_type":"llama","hidden_size":"big"})", "c.json"),
                          "'hidden_size' must be a whole number");
    ck_assert_input_error(calc::arch_from_hf_config(
                              R"({"model_type":"llama","hidden_size":-4096,"num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":8,"vocab_size":8})",
                              "c.json"),
                          "must not be negative");
    // The file name is the user's: quoted printable (issue 11), a newline cannot start a line.
    ck_assert_input_error(calc::arch_from_hf_config("[1,2]", "x\nerror: forged.json"), "x?error: forged.json: not");
}
END_TEST

START_TEST(arch_overrides_validate) {
    calc::Architecture a = calc::parse_arch("hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=128256");
    ck_assert_double_eq(calc::count_params(a).total, total("llama3.1-8b"));
    ck_assert_input_error(calc::parse_arch("hiden=4096"), "did you mean 'hidden'");
    ck_assert_input_error(calc::parse_arch("hidden"), "is not key=value");
    ck_assert_input_error(calc::parse_arch("mlp=maybe"), "gated or plain");
    // Found by fuzz_job_desc: a long binary key was echoed whole, past any terminal width.
    try {
        calc::parse_arch(std::string(300, '\xff') + "=0");
        ck_abort_msg("no error");
    } catch (const InputError& e) {
        const std::string m = e.what();
        ck_assert_msg(m.size() < 120, "%zu characters", m.size());
        for (unsigned char c : m) ck_assert(c >= 0x20 && c < 0x7f);
    }
    ck_assert_input_error(calc::validate(calc::parse_arch("hidden=4096,layers=32,heads=30,ffn=1,vocab=8")), "multiple of heads");
    ck_assert_input_error(calc::validate(calc::parse_arch("hidden=4096,layers=0,heads=32,ffn=1,vocab=8")), "'layers' must be a positive");
}
END_TEST

int main() {
    Suite* s = suite_create("calc-params");
    TCase* tc = tcase_create("params");
    tcase_add_test(tc, published_counts_match_to_the_parameter);
    tcase_add_test(tc, rounded_published_counts_match);
    tcase_add_test(tc, moe_active_counts);
    tcase_add_test(tc, aliases_and_suggestions);
    tcase_add_test(tc, hf_configs_give_catalogue_counts);
    tcase_add_test(tc, hf_config_errors_name_the_problem);
    tcase_add_test(tc, arch_overrides_validate);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
