// SPDX-License-Identifier: GPL-2.0-or-later
#include "acct/hooks.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <tuple>
#include <mutex>

#include "record/hash.hpp"
#include "acct/producer.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace aif::acct::hooks {
namespace {

std::mutex g_mu;
Producer* g_producer = nullptr;  // heap-held: no static destructor runs under a live thread
LogFn g_log = nullptr;
std::string* g_prediction_key = nullptr;  // guarded by g_mu; heap-held like g_producer

void log_msg(const std::string& m) {
    if (g_log) g_log(m.c_str());
}

void fill(record::Record& r, const Common& c, Producer& p) {
    r.cluster = c.cluster;
    r.job_id = c.job_id;
    r.submit_time = c.submit_time;
    if (c.uid) r.user = p.user_pseudonym(user_key_input(*c.uid));
    if (!c.partition.empty()) r.partition = c.partition;
    if (!c.account.empty()) r.account = c.account;
    if (!c.gpu_model.empty()) r.gpu_model = c.gpu_model;
    r.nodes = c.nodes;
    r.gpus = c.gpus;
    if (!c.verdict.empty()) r.verdict = c.verdict;
    if (c.prediction) r.prediction_origin = c.prediction_trusted ? "job_submit" : "user-declared";
    // The prediction carries its own verdict: lift it to the record's field (a user-declared
    // verdict is not ours).
    if (c.prediction && c.prediction_trusted && !r.verdict && !c.prediction->verdict.empty())
        r.verdict = c.prediction->verdict;
    // The training run: only from a prediction job_submit signed (the user cannot move a job
    // into or out of a run after the decision).
    if (c.prediction && c.prediction_trusted && !c.prediction->run.empty()) r.run = c.prediction->run;
}

// Builds the record with owned JSON objects for the *_kv fields, then hands it over.
template <typename Submit>
std::string hand_over(record::Record& r, const Common& c, Submit submit) {
    json::Ptr training = record::kv_object(c.training_kv), binding = record::kv_object(c.binding_kv);
    json::Ptr prediction = c.prediction && !c.prediction->empty() ? c.prediction->to_json() : json::Ptr();
    r.training = training.get();
    r.prediction = prediction.get();
    r.binding = binding.get();
    return submit(r);
}

std::string prediction_mac(const std::string& key, std::uint32_t uid, const std::string& kv) {
    return record::to_hex(record::hmac_sha256(key, "aifactory.prediction/1\n" + std::to_string(uid) + "\n" + kv));
}

}  // namespace

std::string sign_prediction(std::uint32_t uid, const std::string& kv) noexcept {
    try {
        std::lock_guard<std::mutex> g(g_mu);
        if (!g_prediction_key || kv.empty()) return kv;
        return kv + ";" + record::kSignatureKey + "=" + prediction_mac(*g_prediction_key, uid, kv);
    } catch (...) {
        return kv;
    }
}

CheckedPrediction check_prediction(std::optional<std::uint32_t> uid, const std::string& text) noexcept {
    CheckedPrediction c;
    try {
        std::string sig;
        std::tie(c.kv, sig) = record::split_signature(text);
        try {
            if (!c.kv.empty()) c.prediction = record::Prediction::decode(c.kv);
        } catch (const InputError&) {
            // Not a prediction we can read: recorded as user-declared, without its content.
            c.prediction = record::Prediction();
        }
        if (sig.empty() || !uid) return c;
        std::lock_guard<std::mutex> g(g_mu);
        if (!g_prediction_key) return c;
        c.trusted = record::constant_time_equal(sig, prediction_mac(*g_prediction_key, *uid, c.kv));
    } catch (...) {
        c.trusted = false;
    }
    return c;
}

std::string user_key_input(std::uint32_t uid) { return "uid:" + std::to_string(uid); }

bool init(const char* config_path, LogFn log) noexcept {
    try {
        std::lock_guard<std::mutex> g(g_mu);
        g_log = log;
        if (g_producer) return true;
        ProducerConfig cfg = load_producer_config(config_path ? config_path : kDefaultProducerConfig);
        if (!cfg.prediction_key.empty()) g_prediction_key = new std::string(cfg.prediction_key);
        g_producer = new Producer(std::move(cfg), [](const std::string& m) { log_msg(m); });
        return true;
    } catch (const std::exception& e) {
        log_msg(std::string("aifactory accounting off: ") + e.what());
    } catch (...) {
    }
    return false;
}

bool enabled() noexcept {
    std::lock_guard<std::mutex> g(g_mu);
    return g_producer != nullptr;
}

void fini() noexcept {
    Producer* p;
    std::string* key;
    {
        std::lock_guard<std::mutex> g(g_mu);
        p = g_producer;
        g_producer = nullptr;
        key = g_prediction_key;
        g_prediction_key = nullptr;
    }
    delete key;
    delete p;  // flushes for up to 2 s, joins the writer
}

std::string submit_decision(const SubmitDecision& d) noexcept {
    try {
        std::lock_guard<std::mutex> g(g_mu);
        if (!g_producer) return {};
        record::Record r;
        r.kind = record::Kind::SubmitDecision;
        fill(r, d, *g_producer);
        r.component = g_producer->decision_component();
        r.decision = d.decision;
        if (!d.reason.empty()) r.reason = d.reason.substr(0, 2000);
        r.time_limit_s = d.time_limit_s;
        return hand_over(r, d, [](record::Record& rec) { return g_producer->enqueue(rec); });
    } catch (...) {
        return {};
    }
}

std::string step_end(const StepEnd& s) noexcept {
    try {
        std::lock_guard<std::mutex> g(g_mu);
        if (!g_producer) return {};
        record::Record r;
        r.kind = record::Kind::StepEnd;
        fill(r, s, *g_producer);
        // The local start time keeps ids distinct when job ids are reused (no submit time here).
        r.component = "step/" + s.step_id + "/" + s.node + "/" + std::to_string(s.start_time);
        r.step_id = s.step_id;
        r.node = s.node;
        r.start_time = s.start_time;
        r.end_time = s.end_time;
        r.tasks = s.tasks;
        r.cpus = s.cpus;
        r.cpu_seconds = s.cpu_seconds;
        double elapsed = s.elapsed_s.value_or(static_cast<double>(s.end_time - s.start_time));
        if (s.gpus && elapsed >= 0) r.gpu_seconds = static_cast<double>(*s.gpus) * elapsed;
        if (elapsed >= 0) r.elapsed_s = elapsed;
        r.mem_alloc_bytes = s.mem_alloc_bytes;
        r.max_rss_bytes = s.max_rss_bytes;
        r.gpu_mem_peak_bytes = s.gpu_mem_peak_bytes;
        r.gpu_util_mean_pct = s.gpu_util_mean_pct;
        r.gpu_util_p95_pct = s.gpu_util_p95_pct;
        if (s.gpu_energy_j && !s.gpu_energy_basis.empty()) {
            r.gpu_energy_j = s.gpu_energy_j;
            r.gpu_energy_basis = s.gpu_energy_basis;
        }
        r.gpu_samples = s.gpu_samples;
        r.gpu_timeline = s.gpu_timeline;
        r.gpu_sample_interval_s = s.gpu_sample_interval_s;
        r.node_energy_j = s.node_energy_j;
        r.exit_code = s.exit_code;
        r.exit_signal = s.exit_signal;
        r.tokens_reported = s.tokens_reported;
        if (s.exit_code) r.state = (*s.exit_code == 0 && !s.exit_signal) ? "COMPLETED" : "FAILED";
        return hand_over(r, s, [](record::Record& rec) { return g_producer->write(rec); });
    } catch (...) {
        return {};
    }
}

std::string job_end(const JobEnd& j) noexcept {
    try {
        std::lock_guard<std::mutex> g(g_mu);
        if (!g_producer) return {};
        record::Record r;
        r.kind = record::Kind::JobEnd;
        fill(r, j, *g_producer);
        r.component = "end/" + j.node + "/" + std::to_string(j.end_time);
        r.node = j.node;
        r.end_time = j.end_time;
        return hand_over(r, j, [](record::Record& rec) { return g_producer->write(rec); });
    } catch (...) {
        return {};
    }
}

}  // namespace aif::acct::hooks
