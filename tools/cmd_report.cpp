// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory report JOBID`: the per-job report from the collector, or from the local outbox
// when the collector cannot be reached (or with --offline).
#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/wire_names.hpp"
#include "args.hpp"
#include "acct/config.hpp"
#include "collect/job_report.hpp"
#include "collector_client.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "record/prediction.hpp"

namespace aif::cli {
namespace {

const CommandSpec& spec() {
    static const CommandSpec s{
        "report",
        "JOBID [options] | --run NAME [options]",
        "Shows one job's report: what was asked, predicted, what ran where, GPU-hours; or with --run\n"
        "a training run's compute and energy ledger across sites (docs/ai-act.md).",
        {
            {"run", Takes::Value, "NAME", "the training run's ledger from the collector (no JOBID)"},
            {"cluster", Takes::Value, "NAME",
             "cluster of the job (default: 'cluster' in the acct config, else the one cluster with records of JOBID)"},
            {"site", Takes::Value, "NAME", "site of the job (default: 'site' in the acct config)"},
            {"url", Takes::Value, "URL", "collector base URL, https://host:port (default: the sender's url)"},
            {"token-file", Takes::Value, "FILE", "token for the collector (default: the sender's token_file)"},
            {"ca-file", Takes::Value, "FILE", "CA certificate to trust (default: the sender's ca_file)"},
            {"outbox", Takes::Value, "DIR", "local outbox (default: the sender's or producer's outbox)"},
            {"offline", Takes::Nothing, "", "read the local outbox only"},
            {"json", Takes::Nothing, "", "print the report as JSON"},
            {"sender-config", Takes::Value, "FILE", std::string("default ") + acct::kDefaultSenderConfig},
            {"acct-config", Takes::Value, "FILE",
             std::string("default $AIFACTORY_ACCT_CONF, else ") + acct::kDefaultProducerConfig},
        },
        "",
        1};
    return s;
}

struct ConfFile {
    std::map<std::string, std::string> kv;
    std::string missing;  // why it could not be read ("" when it was)
};

// `key = value` lines; unknown keys are ignored here (the owning component validates them).
ConfFile read_kv(const std::string& path) {
    ConfFile c;
    auto text = try_read_file(path, 1024 * 1024);
    if (!text) {
        c.missing = errno == ENOENT ? path + " is missing" : path + ": " + std::strerror(errno);
        return c;
    }
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        std::string_view l = trim(line);
        if (l.empty() || l[0] == '#') continue;
        auto eq = l.find('=');
        if (eq == std::string_view::npos) continue;
        c.kv[std::string(trim(l.substr(0, eq)))] = std::string(trim(l.substr(eq + 1)));
    }
    return c;
}

// Record JSON texts from the outbox (new/, sent/, dead/). A file is "AIFR1 <len> <crc>\n<json>\n".
// Bodies in the outbox that contain `needle` (a job's records, or one record by id).
std::vector<std::string> outbox_matching(const std::string& dir, const std::string& needle) {
    std::vector<std::string> out;
    for (const char* sub : {"new", "sent", "dead"}) {
        std::string d = dir + "/" + sub;
        DIR* dp = opendir(d.c_str());
        if (!dp) continue;
        while (dirent* e = readdir(dp)) {
            std::string name = e->d_name;
            if (name.size() < 5 || name.substr(name.size() - 4) != ".rec") continue;
            std::ifstream in(d + "/" + name, std::ios::binary);
            std::string header, body;
            if (!std::getline(in, header) || header.rfind("AIFR1 ", 0) != 0) continue;
            std::getline(in, body);
            if (body.find(needle) != std::string::npos) out.push_back(body);
        }
        closedir(dp);
    }
    return out;
}

std::vector<std::string> outbox_records(const std::string& dir, long long job_id) {
    return outbox_matching(dir, "\"job_id\":" + std::to_string(job_id));
}

// The clusters of `site` that have records of the job: from the outbox bodies, else (online)
// from the collector's /v1/jobs listing, which has no job filter, so the newest 10000 jobs.
std::set<std::string> clusters_in(const std::vector<std::string>& bodies, const std::string& site, long long job_id) {
    std::set<std::string> out;
    for (const auto& b : bodies) {
        json_error_t e;
        json::Ptr r(json_loads(b.c_str(), 0, &e));
        if (!r || json_integer_value(json_object_get(r.get(), "job_id")) != job_id) continue;
        const char* s = json_string_value(json_object_get(r.get(), "site"));
        const char* c = json_string_value(json_object_get(r.get(), "cluster"));
        if (s && c && *c && site == s) out.insert(c);
    }
    return out;
}

std::set<std::string> clusters_at(const Fetched& f, const std::string& site, long long job_id) {
    std::set<std::string> out;
    json_error_t e;
    json::Ptr r(f.status == 200 ? json_loads(f.body.c_str(), 0, &e) : nullptr);
    json_t* items = r ? json_object_get(r.get(), "items") : nullptr;
    for (std::size_t i = 0; i < json_array_size(items); ++i) {
        json_t* j = json_array_get(items, i);
        const char* s = json_string_value(json_object_get(j, "site"));
        const char* c = json_string_value(json_object_get(j, "cluster"));
        if (json_integer_value(json_object_get(j, "job_id")) == job_id && s && c && *c && site == s) out.insert(c);
    }
    return out;
}

std::string base_of(std::string url) {
    for (const char* tail : {"/v1/records", "/v1/records/"})
        if (url.size() >= std::strlen(tail) && url.substr(url.size() - std::strlen(tail)) == tail)
            return url.substr(0, url.size() - std::strlen(tail));
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

// `aifactory report --run NAME`: the collector's text (or JSON) form of the run's ledger.
int report_run(const std::string& url, const std::string& token_file, const std::string& ca, const std::string& run,
               bool as_json) {
    std::string token;
    try {
        token = read_token(token_file.empty() ? "/etc/aifactory/sender.token" : token_file);
    } catch (const InputError& e) {
        std::fprintf(stderr, "aifactory report: %s\n", e.what());
        return 2;
    }
    Fetched f = fetch(base_of(url) + "/v1/runs/" + run + (as_json ? "" : "?format=text"), token, ca);
    if (f.status == 200) {
        std::printf("%s", collect::terminal_safe(f.body).c_str());
        return 0;
    }
    if (f.status == 404) std::fprintf(stderr, "aifactory report: the collector has no jobs of run %s\n", run.c_str());
    else if (f.status == 401 || f.status == 403)
        std::fprintf(stderr, "aifactory report: the collector refused the token (HTTP %ld)\n", f.status);
    else
        std::fprintf(stderr, "aifactory report: collector unreachable (%s)\n",
                     f.status ? ("HTTP " + std::to_string(f.status)).c_str() : f.error.c_str());
    return 1;
}

}  // namespace

int cmd_report(int argc, char** argv) {
    std::string cluster, site, url, token_file, ca, outbox, run;
    std::string sender_conf = acct::kDefaultSenderConfig, acct_conf = acct::kDefaultProducerConfig;
    if (const char* env = std::getenv(names::kAcctConfEnv); env && *env) acct_conf = env;
    bool offline = false, as_json = false;
    long long job_id = 0;
    const int rc = guarded(spec(), [&] {
        const ParsedArgs args = parse_options(spec(), argc, argv);
        bool explicit_sender = false, explicit_acct = false;
        for (const auto& a : args.options) {
            if (a.key == "offline") offline = true;
            else if (a.key == "json") as_json = true;
            else if (a.key == "cluster") cluster = a.value;
            else if (a.key == "site") site = a.value;
            else if (a.key == "url") url = a.value;
            else if (a.key == "token-file") token_file = a.value;
            else if (a.key == "ca-file") ca = a.value;
            else if (a.key == "outbox") outbox = a.value;
            else if (a.key == "sender-config") sender_conf = a.value, explicit_sender = true;
            else if (a.key == "acct-config") acct_conf = a.value, explicit_acct = true;
            else if (a.key == "run") run = a.value;
        }
        if (!run.empty()) {
            if (!args.words.empty()) throw InputError("give JOBID or --run NAME, not both");
            if (const std::string why = record::run_name_problem(run); !why.empty())
                throw InputError("--run: '" + printable(run, 70) + "' " + why);
            ConfFile sc = read_kv(sender_conf);
            if (explicit_sender && !sc.missing.empty()) throw InputError("--sender-config: " + sc.missing);
            if (url.empty() && sc.kv.count("url")) url = base_of(sc.kv["url"]);
            if (token_file.empty() && sc.kv.count("token_file")) token_file = sc.kv["token_file"];
            if (ca.empty() && sc.kv.count("ca_file")) ca = sc.kv["ca_file"];
            if (url.empty()) throw InputError("--run needs the collector: --url URL (or 'url' in " + sender_conf + ")");
            if (offline) throw InputError("--run reads the collector's ledger; it has no --offline form");
            return -1;
        }
        if (args.words.empty()) throw InputError("JOBID is required (aifactory report 1234)");
        job_id = parse_int(args.words[0], "JOBID", 0, 0xFFFFFFFFLL);
        ConfFile sc = read_kv(sender_conf), pc = read_kv(acct_conf);
        if (explicit_sender && !sc.missing.empty()) throw InputError("--sender-config: " + sc.missing);
        if (explicit_acct && !pc.missing.empty()) throw InputError("--acct-config: " + pc.missing);
        auto& s = sc.kv;
        auto& p = pc.kv;
        if (url.empty() && s.count("url")) url = base_of(s["url"]);
        if (token_file.empty() && s.count("token_file")) token_file = s["token_file"];
        if (ca.empty() && s.count("ca_file")) ca = s["ca_file"];
        if (outbox.empty()) outbox = s.count("outbox") ? s["outbox"] : p.count("outbox") ? p["outbox"] : acct::kDefaultOutbox;
        if (site.empty() && p.count("site")) site = p["site"];
        if (cluster.empty() && p.count("cluster")) cluster = p["cluster"];
        for (auto [value, name] : {std::pair{&site, "site"}, {&cluster, "cluster"}}) {
            if (!value->empty() || (value == &cluster && pc.missing.empty())) continue;  // cluster: found below
            if (!pc.missing.empty())
                throw InputError("--" + std::string(name) + " is required: " + pc.missing +
                                 " (set AIFACTORY_ACCT_CONF or give --acct-config FILE)");
            throw InputError("--" + std::string(name) + " is required (no '" + name + "' in " + acct_conf + ")");
        }
        return -1;
    });
    if (rc >= 0) return rc;
    if (!run.empty()) return report_run(url, token_file, ca, run, as_json);

    const bool online = !offline && !url.empty();
    std::string token;
    if (online) {
        try {
            token = read_token(token_file.empty() ? "/etc/aifactory/sender.token" : token_file);
        } catch (const InputError& e) {
            std::fprintf(stderr, "aifactory report: %s\n", e.what());
            return 2;
        }
    }
    if (cluster.empty()) {  // neither --cluster nor acct.conf: the one cluster with records of the job
        std::set<std::string> found = clusters_in(outbox_records(outbox, job_id), site, job_id);
        std::string where = "in the outbox " + outbox;
        if (found.empty() && online) {
            found = clusters_at(fetch(base_of(url) + "/v1/jobs?site=" + site + "&limit=10000", token, ca), site, job_id);
            where = "at the collector " + base_of(url);
        }
        if (found.size() != 1) {
            std::string list;
            for (const auto& c : found) list += (list.empty() ? "" : ", ") + c;
            if (found.empty())
                std::fprintf(stderr, "aifactory report: --cluster is required (no 'cluster' in %s, and no records of job %lld on site %s %s%s)\n",
                             acct_conf.c_str(), job_id, site.c_str(), online ? "in the outbox or " : "", where.c_str());
            else
                std::fprintf(stderr, "aifactory report: job %lld has records from %zu clusters %s: %s; give --cluster NAME\n",
                             job_id, found.size(), where.c_str(), list.c_str());
            return 2;
        }
        cluster = *found.begin();
    }

    std::string note;
    if (online) {
        Fetched f = fetch(base_of(url) + "/v1/jobs/" + site + "/" + cluster + "/" + std::to_string(job_id), token, ca);
        if (f.status == 200) {
            json::Ptr rep = json::parse(f.body, "collector reply");
            if (as_json) std::printf("%s\n", collect::terminal_safe(json::dump(rep.get(), true)).c_str());
            else std::printf("%s", collect::render_text(collect::job_report_from_json(rep.get())).c_str());
            return 0;
        }
        if (f.status == 401 || f.status == 403) {
            std::fprintf(stderr, "aifactory report: the collector refused the token (HTTP %ld)\n", f.status);
            return 1;
        }
        note = f.status == 404 ? "the collector has no records of this job yet"
                               : "collector unreachable (" + (f.status ? "HTTP " + std::to_string(f.status) : f.error) + ")";
        note += "; showing the local outbox " + outbox;
    }
    auto bodies = outbox_records(outbox, job_id);
    collect::JobReport rep = collect::build_job_report(bodies, site, cluster, job_id);
    // The submit decision carries no job id: found by the id the job's signed prediction names
    // (where job_submit's outbox is this one, as on a one-machine test cluster).
    if (std::string link = collect::decision_to_link(rep); !link.empty()) {
        for (auto& b : outbox_matching(outbox, "\"record_id\":\"" + link + "\"")) bodies.push_back(std::move(b));
        rep = collect::build_job_report(bodies, site, cluster, job_id);
    }
    if (rep.records == 0) {
        std::fprintf(stderr, "aifactory report: no records of job %lld on %s/%s%s%s\n", job_id, site.c_str(),
                     cluster.c_str(), offline || url.empty() ? " in the outbox " : " (", 
                     offline || url.empty() ? outbox.c_str() : (note + ")").c_str());
        return 1;
    }
    rep.source = "outbox " + outbox;
    if (!note.empty()) std::fprintf(stderr, "aifactory report: %s\n", note.c_str());
    if (as_json) std::printf("%s\n", collect::terminal_safe(json::dump(collect::to_json(rep).get(), true)).c_str());
    else std::printf("%s(from the local outbox: records not yet merged at the collector may be missing)\n",
                     collect::render_text(rep).c_str());
    return 0;
}

}  // namespace aif::cli
