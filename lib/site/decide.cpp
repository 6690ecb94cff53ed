// SPDX-License-Identifier: GPL-2.0-or-later
#include "site/decide.hpp"

#include <cstdint>
#include <random>
#include <sstream>

#include "calc/check.hpp"
#include "calc/job.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "detect/config_files.hpp"
#include "detect/detect.hpp"
#include "record/prediction.hpp"
#include "site/runs.hpp"
#include "site/wording.hpp"

namespace aif::site {

const char* name(Action a) {
    switch (a) {
    case Action::Pass: return "pass";
    case Action::Accept: return "accept";
    case Action::Warn: return "warn";
    case Action::Reject: return "reject";
    }
    return "?";
}

std::vector<std::string> wrap(const std::string& text, std::size_t width) {
    std::vector<std::string> out;
    const std::size_t lead = text.find_first_not_of(' ');
    if (lead == std::string::npos) return out;
    // Continuation lines keep the text's own indentation, plus two.
    const std::string first(lead, ' '), next(lead + 2, ' ');
    std::istringstream words(text);
    std::string word, line;
    while (words >> word) {
        const std::string& indent = out.empty() ? first : next;
        if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
            out.push_back(indent + line);
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) out.push_back((out.empty() ? first : next) + line);
    return out;
}

namespace {

const char* kTag = "aifactory: ";

void add(std::vector<std::string>& lines, const std::string& text) {
    for (auto& l : wrap(kTag + text)) lines.push_back(std::move(l));
}

// Lines from the calculator are meant to be shown as they are; only over-long ones get wrapped.
void add_verbatim(std::vector<std::string>& lines, const std::vector<std::string>& from) {
    std::vector<std::string> split_lines;
    for (const auto& text : from) {
        std::istringstream in(text);
        for (std::string l; std::getline(in, l);) split_lines.push_back(l);
    }
    for (const auto& l : split_lines) {
        if (l.size() <= kMaxLine) lines.push_back(l);
        else for (auto& w : wrap(l)) lines.push_back(std::move(w));
    }
}

// The job's time limit: its own --time, else the partition's DefaultTime, else its MaxTime.
TimeLimit time_limit_of(const Submission& sub, const std::string& partition, const Snapshot& snap) {
    TimeLimit t;
    if (sub.time_limit_min >= 0) {
        if (sub.time_limit_min > 0) t.minutes = sub.time_limit_min, t.source = "-t";
        return t;  // 0: the job asked for no limit
    }
    for (const auto& p : snap.partition_times) {
        if (p.name != partition) continue;
        if (p.default_min > 0) t.minutes = p.default_min, t.source = "DefaultTime of " + printable(partition);
        else if (p.default_min < 0 && p.max_min > 0) t.minutes = p.max_min, t.source = "MaxTime of " + printable(partition);
    }
    return t;
}

// A bare framework name (or none) means the version the site pinned for that family.
void pin_framework(calc::TrainingSetup& s, const SiteConfig& cfg) {
    if (s.profile_versioned) return;
    const std::string_view family = calc::profile(s).family;
    for (const calc::FrameworkProfile* p : cfg.framework_pins)
        if (family == p->family) s.profile = p, s.framework = p->framework;
}

// The policy in force for this job, after exemptions and the user's --llm-check.
Policy effective_policy(const Submission& sub, const PartitionRule& rule, const SiteConfig& cfg,
                        std::vector<std::string>& notes, bool& exempt) {
    Policy p = rule.policy;
    exempt = cfg.exempt(sub.account, sub.user, sub.qos);
    if (exempt && p == Policy::Enforce) p = Policy::Warn;
    const std::string& asked = sub.options.check;
    if (asked.empty()) return p;
    const Policy want = parse_policy(asked, "--llm-check");  // throws for a bad value
    if (want == Policy::Enforce) return Policy::Enforce;     // raising is always allowed
    if (want == p || p == Policy::Off) return p;
    if (exempt || rule.allow_user_warn || p == Policy::Warn) return want;
    notes.push_back("--llm-check=" + printable(asked) + " is not allowed on " + rule.slurm_name);
    return p;
}

// `estimate` (when given) receives the estimate, when one was made.
Decision decide_unchecked(const Submission& sub, const Snapshot& snap, calc::Estimate* estimate = nullptr) {
    Decision d;
    const LlmOptions& opt = sub.options;
    if (!opt.any()) return d;  // not an LLM job: untouched

    const std::string partition = sub.partition.empty() ? snap.default_partition : sub.partition;
    const PartitionRule* rule = snap.config.find(partition);
    if (!opt.problem.empty()) {  // spank_job_env broke a bound: nothing of it is looked at
        d.action = rule && rule->policy == Policy::Enforce ? Action::Reject : Action::Warn;
        d.problem = Problem::BadRequest;
        add(d.lines, opt.problem);
        d.log = "bad request: " + opt.problem;
        return d;
    }
    if (!opt.describes_model()) {
        if (opt.values.empty() && !opt.check.empty() && opt.config.empty()) return d;  // only --llm-check
        d.action = rule && rule->policy == Policy::Enforce ? Action::Reject : Action::Warn;
        d.problem = Problem::BadRequest;
        add(d.lines, "--llm-* options need --llm-model or --llm-config to say which model "
                     "is trained");
        d.log = "no model given";
        return d;
    }
    if (rule == nullptr) {
        d.action = Action::Accept;
        add(d.lines, "partition " + (partition.empty() ? std::string("(none)") : printable(partition)) +
                         " is not described in aifactory.conf; training job not checked");
        d.log = "partition '" + printable(partition) + "' not in aifactory.conf: passed through";
        return d;
    }

    std::vector<std::string> notes;
    bool exempt = false;
    Policy policy = rule->policy;
    const auto bad_request = [&](const std::string& what, Problem problem = Problem::BadRequest) {
        d.problem = problem;
        d.action = policy == Policy::Enforce ? Action::Reject : Action::Warn;
        d.lines.clear();
        add(d.lines, what);
        if (d.action == Action::Warn) add(d.lines, "accepted anyway (policy " +
                                                       std::string(name(policy)) + " on " +
                                                       rule->slurm_name + ")");
        d.log = "bad request: " + what;
    };
    try {
        policy = effective_policy(sub, *rule, snap.config, notes, exempt);
    } catch (const InputError& e) {
        policy = rule->policy;
        bad_request(e.what());
        return d;
    }
    if (policy == Policy::Off) {
        d.log = "check off";
        return d;
    }

    if (const std::string* model = opt.get("model"); model != nullptr && !opt.arch.empty()) {
        bad_request("--llm-model=" + printable(*model, 24) + " and --llm-config=" +
                    printable(opt.config.empty() ? std::string("(file)") : opt.config, 24) +
                    " both describe the model; give one of them");
        return d;
    }
    calc::JobSpec job;
    std::string run;  // --llm-run as given; else account.model, below
    try {
        for (const auto& [key, value] : opt.values) {
            if (key == "run") {
                if (const std::string why = run_name_problem(value); !why.empty())
                    throw InputError("--llm-run: '" + printable(value, 70) + "' " + why);
                run = value;
                continue;
            }
            calc::apply_option(job, key, value, "--llm-");
        }
        if (!opt.arch.empty()) calc::apply_option(job, "arch", opt.arch, "--llm-");
        pin_framework(job.setup, snap.config);
    } catch (const InputError& e) {
        bad_request(e.what());
        return d;
    }
    if (sub.gpus.gpus <= 0) {
        const auto* cat = snap.hardware.partition(rule->system);
        bad_request("the job asks for no GPUs: add --gpus-per-node=N (" +
                    std::to_string(cat ? cat->gpus_per_node : 0) + " per node on " +
                    rule->slurm_name + ")", Problem::NoGpus);
        return d;
    }

    calc::CheckRequest req;
    req.job = &job;
    req.partition = snap.hardware.partition(rule->system);
    req.gpus = static_cast<int>(sub.gpus.gpus);
    req.nodes = static_cast<int>(sub.gpus.nodes);
    req.headroom = rule->headroom;
    req.bands = &snap.bands;
    req.site_model = &snap.site_model;
    for (const auto& other : snap.config.partitions) {
        if (&other == rule) continue;
        if (const calc::Partition* p = snap.hardware.partition(other.system)) {
            req.alternatives.push_back(p);
            req.alternative_names.push_back(other.slurm_name);
        }
    }

    calc::CheckOutcome out;
    try {
        out = calc::check_job(req, snap.models, snap.hardware);
    } catch (const InputError& e) {
        bad_request(e.what());
        return d;
    }
    // A model from --llm-config is named as its config.json names it, else by the file.
    std::string label = calc::model_label(job);
    if (job.model.empty() && !opt.arch_name.empty()) {
        label = opt.arch_name;
    } else if (job.model.empty() && !opt.config.empty()) {
        const std::string& c = opt.config;
        const std::size_t slash = c.find_last_of('/');
        label = printable(std::string_view(c).substr(slash == std::string::npos ? 0 : slash + 1), 24);
    }
    const TimeLimit limit = time_limit_of(sub, partition, snap);
    const double tokens = job.setup.tokens;
    const std::string assumed = assumed_text(opt, calc::effective_setup(job.setup, out.estimate.gpus));
    if (run.empty()) run = record::default_run_name(sub.account, label);
    const std::string gpu_id = req.partition ? req.partition->gpu_id : std::string();
    const double tdp_w = req.partition ? snap.hardware.gpu_of(*req.partition).tdp_w : 0;
    d.prediction = ledger_prediction(out.estimate, calc::profile(job.setup).id, gpu_id, tokens, tdp_w, run);
    const std::string crossing = threshold_text(snap.runs, run, tokens * out.estimate.flops_per_token);
    if (estimate != nullptr) *estimate = out.estimate;
    if (out.estimate.verdict != calc::Verdict::DoesNotFit) {
        // May not fit: accepted under any policy (the band straddles usable memory), with what
        // decides and the smallest change that makes it safe.
        const bool may_not_fit = out.estimate.verdict == calc::Verdict::MayNotFit;
        d.action = may_not_fit ? Action::Warn : Action::Accept;
        if (may_not_fit)
            for (const auto& l : may_not_fit_lines(out, label)) add(d.lines, l);
        else
            add(d.lines, fits_text(out.estimate, label));
        if (const std::string t = estimate_text(out.estimate, tokens); !t.empty()) add(d.lines, t);
        const long min_progress = snap.config.min_progress_min;
        if (limit.minutes > 0 && limit.minutes < min_progress) {
            d.problem = Problem::TooShort;
            d.action = policy == Policy::Enforce ? Action::Reject : Action::Warn;
            d.lines.clear();
            add(d.lines, too_short_text(limit, min_progress));
            if (d.action == Action::Warn)
                add(d.lines, std::string("accepted anyway (") +
                                 (exempt ? "exempt" : "policy " + std::string(name(policy)) + " on " + rule->slurm_name) +
                                 ")");
            d.log = "time limit " + std::to_string(limit.minutes) + " min under MinProgress: " + d.prediction;
        } else {
            if (const std::string t = time_limit_text(out.estimate, tokens, limit); !t.empty()) add(d.lines, t);
            d.log = (may_not_fit ? "may not fit: " : "fits: ") + d.prediction;
        }
    } else {
        d.problem = Problem::DoesNotFit;
        d.action = policy == Policy::Enforce ? Action::Reject : Action::Warn;
        add_verbatim(d.lines, rejection_lines(out, label));
        if (d.action == Action::Warn)
            add(d.lines, std::string("accepted anyway (") +
                             (exempt ? "exempt" : "policy warn on " + rule->slurm_name) + ")");
        d.log = "does not fit: " + d.prediction;
    }
    if (!crossing.empty()) add(d.lines, crossing);
    if (!assumed.empty()) add(d.lines, assumed);
    for (const auto& n : notes) add(d.lines, n);
    return d;
}

// What the estimate needs from a script; the others (tokens, gbs) only change the time estimate.
bool needed(const std::string& missing) {
    return missing.rfind("tokens:", 0) != 0 && missing.rfind("gbs:", 0) != 0;
}

// A job without --llm-* options: its batch script is read, and checked like the options it
// would have given. Explicit options always win (the caller comes here only without them).
Decision decide_script(const Submission& sub, const Snapshot& snap) {
    const std::string partition = sub.partition.empty() ? snap.default_partition : sub.partition;
    const PartitionRule* rule = snap.config.find(partition);
    if (rule == nullptr || rule->detect == Policy::Off) return {};
    // Settings of the config files it names, read by the SPANK plugin at sbatch time.
    const detect::Hints hints = detect::decode(sub.options.hints);
    const detect::Detection read =
        detect::read_script(sub.script, detect::kSlurmctldLimits, hints.kinds.empty() ? nullptr : &hints);
    if (!read.detected()) return {};  // not a training job, or not read (too large, too complex)
    if (read.get("model") == nullptr && read.get("arch") == nullptr) {
        // Nothing to size without the model: say what was read and why it is not checked.
        Decision d;
        add(d.lines, read_text(read, nullptr) + "; the model is not in the script" +
                         (read.configs.empty() ? "" : " (nor in a config file sbatch could read)") +
                         ": not checked (--llm-model says which)");
        d.log = "read " + read.entry + " line " + std::to_string(read.line) + ": no model";
        return d;
    }

    Submission as_options = sub;
    as_options.script = {};
    for (auto& [key, value] : read.options()) {
        if (key == "arch") as_options.options.arch = std::move(value);
        else as_options.options.values.emplace_back(std::move(key), std::move(value));
    }
    calc::Estimate e;
    e.params.total = 0;
    Decision d = decide_unchecked(as_options, snap, &e);
    if (d.action == Action::Pass) return d;  // Policy=off on the partition
    std::vector<std::string> lines;
    add(lines, read_text(read, e.params.total > 0 ? &e : nullptr));

    std::string unread;
    for (const auto& m : read.missing)
        if (needed(m)) unread += (unread.empty() ? "" : ", ") + m.substr(0, m.find(':'));
    // Only a complete reading of a job that does not fit may refuse it: a wrong guess must not.
    const bool may_reject = rule->detect == Policy::Enforce && unread.empty() &&
                            (d.problem == Problem::DoesNotFit || d.problem == Problem::NoGpus);
    if (d.action == Action::Reject && !may_reject) {
        d.action = Action::Warn;
        const bool by_policy = unread.empty() && rule->detect != Policy::Enforce;
        add(d.lines, by_policy ? "accepted anyway (read from the script; Detect=" +
                                     std::string(name(rule->detect)) + " on " + rule->slurm_name + ")"
                               : "accepted anyway (read from the script)");
    }
    if (!unread.empty())
        add(d.lines, "not in the script: " + unread + "; defaults assumed (add --llm-* options to say)");
    lines.insert(lines.end(), d.lines.begin(), d.lines.end());
    d.lines = std::move(lines);
    d.log = "read " + read.entry + " line " + std::to_string(read.line) + ": " + d.log;
    return d;
}

}  // namespace

Decision decide(const Submission& sub, const Snapshot& snap) {
    Decision d = sub.options.any() || sub.script.empty() ? decide_unchecked(sub, snap) : decide_script(sub, snap);
    // Whatever a message quoted, what leaves here is printable and bounded: the log line cannot
    // be split into a forged one, the user's lines cannot carry terminal escapes.
    d.log = printable(d.log, kMaxLog);
    for (auto& l : d.lines) l = printable(l, 4 * kMaxLine - 3);
    return d;
}

namespace {

// SipHash-2-4 (Aumasson & Bernstein): a keyed hash, so a user who cannot read the process's
// random key cannot make two requests collide and be handed each other's decision.
std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

std::uint64_t siphash(std::string_view in, std::uint64_t k0, std::uint64_t k1) {
    std::uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    std::uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    const auto round = [&] {
        v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
        v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
        v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
        v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
    };
    const std::size_t n = in.size();
    std::size_t i = 0;
    const auto word = [&](std::size_t at, std::size_t len) {
        std::uint64_t m = 0;
        for (std::size_t j = 0; j < len; ++j)
            m |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + j])) << (8 * j);
        return m;
    };
    for (; i + 8 <= n; i += 8) {
        const std::uint64_t m = word(i, 8);
        v3 ^= m, round(), round(), v0 ^= m;
    }
    const std::uint64_t last = word(i, n - i) | (static_cast<std::uint64_t>(n & 0xff) << 56);
    v3 ^= last, round(), round(), v0 ^= last;
    v2 ^= 0xff;
    round(), round(), round(), round();
    return v0 ^ v1 ^ v2 ^ v3;
}

struct DigestKeys {
    std::uint64_t k[4];
    DigestKeys() {
        std::random_device rd;
        for (auto& x : k) x = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    }
};

// What a cached entry costs, roughly: the strings plus the map node.
std::size_t footprint(const std::string& key, const Decision& d) {
    std::size_t n = 128 + key.size() + d.prediction.size() + d.log.size();
    for (const auto& l : d.lines) n += 32 + l.size();
    return n;
}

}  // namespace

std::string DecisionCache::key(const Submission& sub) {
    // Each field length-prefixed: no value can pass for a field boundary (a separator character
    // inside a user's value could otherwise make it read as another account's or user's request).
    std::string k;
    const auto field = [&k](std::string_view s) {
        k += std::to_string(s.size());
        k += ':';
        k += s;
    };
    for (const auto& [name, value] : sub.options.values) field(name), field(value);
    field("");  // end of the options
    const LlmOptions& o = sub.options;
    for (const std::string* s : {&o.arch, &o.arch_name, &o.config, &o.check, &o.problem, &sub.partition,
                                 &sub.account, &sub.user, &sub.qos})
        field(*s);
    field(std::to_string(sub.time_limit_min));
    field(std::to_string(sub.gpus.gpus)), field(std::to_string(sub.gpus.nodes));
    if (!sub.options.any()) field(sub.script);  // read only then
    // The cache keeps a 128-bit digest, not the request: its size does not depend on the user.
    static const DigestKeys keys;
    const std::uint64_t h[2] = {siphash(k, keys.k[0], keys.k[1]), siphash(k, keys.k[2], keys.k[3])};
    return std::string(reinterpret_cast<const char*>(h), sizeof h);
}

bool DecisionCache::find(const std::string& key, Decision& out) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = map_.find(key);
    if (it == map_.end()) return false;
    out = it->second;
    return true;
}

void DecisionCache::put(const std::string& key, const Decision& d) {
    const std::size_t cost = footprint(key, d);
    if (cost > max_bytes_ / 16) return;  // never let one answer crowd out the others
    std::lock_guard<std::mutex> lock(mutex_);
    if (map_.size() >= capacity_ || bytes_ + cost > max_bytes_) map_.clear(), bytes_ = 0;
    if (map_.try_emplace(key, d).second) bytes_ += cost;
}

std::size_t DecisionCache::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return map_.size();
}

std::size_t DecisionCache::bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bytes_;
}

}  // namespace aif::site
