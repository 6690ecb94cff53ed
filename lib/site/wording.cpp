// SPDX-License-Identifier: GPL-2.0-or-later
#include "site/wording.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "calc/activations_torch.hpp"
#include "calc/profiles.hpp"
#include "common/text.hpp"

namespace aif::site {

namespace {

std::string gib(double bytes) { return fmt_gib(bytes); }

std::string layout_flag(const calc::Layout& l) {
    const std::string d = calc::describe(l);
    return d == "dp only" ? "--llm-layout=tp=1" : "--llm-layout=" + d;
}

// "2T", "10B", "1.5M": a count as people type it ("2.00T" reads like a measurement).
std::string count_text(double n) {
    std::string s = fmt_count(n);
    const auto dot = s.find('.');
    if (dot == std::string::npos) return s;
    std::size_t end = dot + 1;
    while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
    std::size_t keep = end;
    while (keep > dot + 1 && s[keep - 1] == '0') --keep;
    if (keep == dot + 1) keep = dot;
    return s.substr(0, keep) + s.substr(end);
}

// A time limit as sbatch -t takes it: "30:00", "2:00:00", "1-00:00:00".
std::string slurm_time(long minutes) {
    char b[32];
    if (minutes < 60) std::snprintf(b, sizeof b, "%ld:00", minutes);
    else if (minutes < 1440) std::snprintf(b, sizeof b, "%ld:%02ld:00", minutes / 60, minutes % 60);
    else std::snprintf(b, sizeof b, "%ld-%02ld:%02ld:00", minutes / 1440, minutes % 1440 / 60, minutes % 60);
    return b;
}

// The largest term's bytes (Estimate::dominant names it).
double dominant_bytes(const calc::Estimate& e) {
    const std::string dom = e.dominant();
    return dom == "activations"        ? e.mem.activations
           : dom == "optimizer states" ? e.mem.optimizer
           : dom == "weights"          ? e.mem.weights
           : dom == "gradients"        ? e.mem.gradients
           : dom == "logits"           ? e.mem.logits
                                       : e.mem.buffers;
}

bool has_band(const calc::Estimate& e) {
    return e.total_hi > 0 && (gib(e.total_lo) != gib(e.mem.total) || gib(e.total_hi) != gib(e.mem.total));
}

}  // namespace

std::string needs_text(const calc::Estimate& e) {
    std::string s = "needs " + gib(e.mem.total) + " GiB per GPU";
    if (has_band(e)) s += " (" + gib(e.total_lo) + "-" + gib(e.total_hi) + ")";
    return s;
}

std::string fix_text(const calc::Fix& f) {
    const calc::Estimate& e = f.estimate;
    std::string flag;
    switch (f.kind) {
    case calc::Fix::Kind::Recompute: flag = std::string("--llm-recompute=") + calc::name(f.setup.recompute); break;
    case calc::Fix::Kind::DistOpt: flag = "--llm-zero=1 (distributed optimizer)"; break;
    case calc::Fix::Kind::Zero: flag = "--llm-zero=" + std::to_string(f.setup.zero); break;
    case calc::Fix::Kind::Mbs: flag = "--llm-mbs=" + std::to_string(f.setup.mbs); break;
    case calc::Fix::Kind::Layout: flag = layout_flag(e.layout); break;
    case calc::Fix::Kind::Nodes:
        flag = "-N " + std::to_string(e.nodes);
        if (f.layout_changed) flag += " " + layout_flag(e.layout);
        break;
    case calc::Fix::Kind::Partition:
        flag = "-p " + f.partition + " -N " + std::to_string(e.nodes) + " " + layout_flag(e.layout);
        break;
    }
    return flag + " (" + gib(e.mem.total) + " GiB" + (has_band(e) ? ", at most " + gib(e.total_hi) : "") + ")";
}

std::vector<std::string> rejection_lines(const calc::CheckOutcome& o, const std::string& label) {
    const calc::Estimate& e = o.estimate;
    std::vector<std::string> lines;
    lines.push_back("aifactory: " + label + " does not fit in GPU memory.");
    std::string needs = needs_text(e);
    needs[0] = 'N';
    lines.push_back(needs + " of " + gib(e.capacity) + " usable.");
    lines.push_back("Largest term: " + std::string(e.dominant()) + ", " + gib(dominant_bytes(e)) + " GiB per GPU.");
    lines.push_back("Asked for: " + std::to_string(e.gpus) + " GPUs, " + calc::describe(e.layout) + ".");
    if (o.fixes.empty()) {
        lines.push_back("Nothing fits on this partition; see: aifactory fit --where");
    } else {
        lines.push_back(o.fixes.size() == 1 ? "A change that fits (GiB per GPU):"
                                            : "Smallest changes that fit (GiB per GPU):");
        for (const auto& f : o.fixes) lines.push_back("  " + fix_text(f));
    }
    return lines;
}

std::string fits_text(const calc::Estimate& e, const std::string& label) {
    return "OK, " + label + " fits: " + needs_text(e) + " of " + gib(e.capacity) + " usable";
}

std::vector<std::string> may_not_fit_lines(const calc::CheckOutcome& o, const std::string& label) {
    const calc::Estimate& e = o.estimate;
    std::vector<std::string> lines;
    lines.push_back(label + " may not fit: " + needs_text(e) + " of " + gib(e.capacity) + " usable");
    lines.push_back("the band's upper end decides; largest term: " + std::string(e.dominant()) + ", " +
                    gib(dominant_bytes(e)) + " GiB per GPU");
    if (o.fixes.empty())
        lines.push_back("no change on this partition makes it safe; see: aifactory fit --where");
    else
        lines.push_back("to be safe: " + fix_text(o.fixes.front()));
    lines.push_back("accepted anyway: the band's low end fits");
    return lines;
}

std::string estimate_text(const calc::Estimate& e, double tokens) {
    if (e.train_hours <= 0 || tokens <= 0) return "";
    return "est. " + fmt_duration_hours(e.train_hours) + ", " + fmt_gpu_hours(e.gpu_hours) + " GPU-hours on " +
           std::to_string(e.gpus) + " GPUs";
}

std::string limit_text(long minutes) {
    if (minutes % (24 * 60) == 0) return std::to_string(minutes / (24 * 60)) + (minutes == 1440 ? " day" : " days");
    if (minutes % 60 == 0) return std::to_string(minutes / 60) + " h";
    if (minutes < 60) return std::to_string(minutes) + " min";
    return fmt_duration_hours(minutes / 60.0);
}

std::string time_limit_text(const calc::Estimate& e, double tokens, const TimeLimit& limit) {
    if (limit.minutes <= 0 || e.tokens_per_s <= 0) return "";
    const double per_job = e.tokens_per_s * 60.0 * static_cast<double>(limit.minutes);
    const std::string within = "the " + limit_text(limit.minutes) + " limit (" + limit.source + ")";
    if (tokens <= 0) return within + " holds about " + count_text(per_job) + " tokens";
    if (per_job >= tokens) return "";  // the run fits in one job: the estimate said it all
    const double jobs = std::ceil(tokens / per_job);
    return within + " holds " + count_text(per_job) + " of " + count_text(tokens) + " tokens: the run needs " +
           (jobs < 1e6 ? fmt_fixed(jobs, 0) : count_text(jobs)) + " jobs";
}

std::string too_short_text(const TimeLimit& limit, long min_progress_min) {
    return "the " + limit_text(limit.minutes) + " limit (" + limit.source + ") is under MinProgress=" +
           limit_text(min_progress_min) + ": the job cannot reach a checkpoint; ask for --time=" +
           slurm_time(min_progress_min) + " or more";
}

std::string assumed_text(const LlmOptions& given, const calc::TrainingSetup& s) {
    std::string what;
    const auto add = [&](const char* key, const std::string& flag) {
        if (given.get(key) == nullptr) what += (what.empty() ? "" : " ") + flag;
    };
    add("seq", "--llm-seq=" + std::to_string(s.seq));
    add("mbs", "--llm-mbs=" + std::to_string(s.mbs));
    add("recompute", std::string("--llm-recompute=") + calc::name(s.recompute));
    add("layout", layout_flag(s.layout) + (calc::describe(s.layout) == "dp only" ? " (dp only)" : ""));
    const calc::FrameworkProfile& fp = calc::profile(s);
    if (s.fsdp == calc::Fsdp::Full && fp.fsdp_by_default) add("fsdp", "--llm-fsdp=full");
    if (calc::compile_matters(fp))
        add("compile", std::string("--llm-compile=") + (calc::torch_compiled(s, fp) ? "on" : "off"));
    return what.empty() ? "" : "assumed (not given): " + what;
}

std::string read_text(const detect::Detection& d, const calc::Estimate* e) {
    std::string s = "read " + d.framework + " (" + printable(d.entry, 40) + ", line " + std::to_string(d.line) + ")";
    std::vector<std::string> parts;
    if (e != nullptr && e->params.total > 0) parts.push_back(count_text(e->params.total) + " params");
    std::string layout = e != nullptr ? calc::describe(e->layout) : "";
    if (layout.empty() || layout == "dp only")
        if (const auto* v = d.get("layout")) layout = v->value;
    for (char& c : layout)
        if (c == ',') c = ' ';
    if (!layout.empty()) parts.push_back(printable(layout, 40));
    if (const auto* v = d.get("mbs")) parts.push_back("mbs " + printable(v->value, 12));
    if (const auto* v = d.get("seq")) parts.push_back("seq " + printable(v->value, 12));
    for (std::size_t i = 0; i < parts.size(); ++i) s += (i == 0 ? ": " : ", ") + parts[i];
    return s;
}

}  // namespace aif::site
