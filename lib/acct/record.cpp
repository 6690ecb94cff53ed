// Record building: canonical JSON through jansson, ids through UUIDv5, user pseudonyms via HMAC.
#include "acct/record.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <uuid/uuid.h>

#include "acct/hash.hpp"
#include "common/error.hpp"

namespace aif::acct {
namespace {

void set_new(json_t* obj, const char* key, json_t* value) {
    if (!value) throw std::runtime_error(std::string("out of memory building record field ") + key);
    json_object_set_new(obj, key, value);
}

void put(json_t* o, const char* k, const std::optional<std::string>& v) {
    if (v) set_new(o, k, json_string(v->c_str()));
}
template <typename T>
void put_int(json_t* o, const char* k, const std::optional<T>& v) {
    if (v) set_new(o, k, json_integer(static_cast<json_int_t>(*v)));
}
void put_time(json_t* o, const char* k, const std::optional<std::int64_t>& v) {
    if (v) set_new(o, k, json_string(rfc3339_utc(*v).c_str()));
}
void put_seconds(json_t* o, const char* k, const std::optional<double>& v, const char* field) {
    if (!v) return;
    if (!(*v >= 0) || *v > 1e15) throw InputError(std::string("record: ") + field + " must be >= 0");
    set_new(o, k, json_real(static_cast<double>(static_cast<long long>(*v * 1000 + 0.5)) / 1000.0));
}
void put_object(json_t* o, const char* k, json_t* v) {
    if (!v) return;
    if (!json_is_object(v)) throw InputError(std::string("record: ") + k + " must be a JSON object");
    set_new(o, k, json_deep_copy(v));
}
void require_text(const std::string& v, const char* field) {
    if (v.empty()) throw InputError(std::string("record: ") + field + " is required");
}
bool valid_utf8(std::string_view s) {
    json_t* j = json_stringn(s.data(), s.size());  // jansson refuses invalid UTF-8
    if (!j) return false;
    json_decref(j);
    return true;
}

}  // namespace

Uuid parse_uuid(std::string_view t) {
    Uuid u{};
    if (uuid_parse_range(t.data(), t.data() + t.size(), u.data()) != 0)
        throw InputError("'" + std::string(t) + "' is not a UUID (8-4-4-4-12 hex digits)");
    return u;
}

bool is_uuid(std::string_view text) {
    Uuid u{};
    return uuid_parse_range(text.data(), text.data() + text.size(), u.data()) == 0;
}

bool is_uuid_v5(std::string_view text) {
    Uuid u{};
    if (uuid_parse_range(text.data(), text.data() + text.size(), u.data()) != 0) return false;
    return format_uuid(u) == text && uuid_type(u.data()) == UUID_TYPE_DCE_SHA1 && uuid_variant(u.data()) == UUID_VARIANT_DCE;
}

std::string format_uuid(const Uuid& u) {
    char text[UUID_STR_LEN];
    uuid_unparse_lower(u.data(), text);
    return text;
}

std::string uuid_v5(const Uuid& ns, std::string_view name) {
    Uuid u{};
    uuid_generate_sha1(u.data(), ns.data(), name.data(), name.size());
    return format_uuid(u);
}

std::string rfc3339_utc(std::int64_t epoch) {
    std::time_t t = static_cast<std::time_t>(epoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string pseudonym(std::string_view key, std::string_view user_name) {
    auto mac = hmac_sha256(key, user_name);
    return "u-" + to_hex(mac.data(), 16);
}

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::SubmitDecision: return "submit_decision";
        case Kind::StepEnd: return "step_end";
        case Kind::JobEnd: return "job_end";
    }
    return "unknown";
}

std::string record_id(const Record& r) {
    std::string name = r.cluster + "/" + (r.job_id ? std::to_string(*r.job_id) : "-") + "/" +
                       (r.submit_time ? std::to_string(*r.submit_time) : "-") + "/" + r.component;
    return uuid_v5(r.site_namespace, name);
}

Built build(const Record& r, std::int64_t created) {
    require_text(r.site, "site");
    require_text(r.cluster, "cluster");
    require_text(r.component, "component");
    if (r.kind != Kind::SubmitDecision && !r.job_id) throw InputError("record: job_id is required");
    if (r.kind == Kind::SubmitDecision) {
        if (!r.decision || (*r.decision != "accepted" && *r.decision != "warned" && *r.decision != "rejected"))
            throw InputError("record: decision must be accepted, warned or rejected");
    }
    if (r.user && (r.user->size() != 34 || r.user->rfind("u-", 0) != 0))
        throw InputError("record: user must be a pseudonym from pseudonym(), not a user name");
    for (const auto* s : {&r.partition, &r.account, &r.gpu_model, &r.state, &r.reason, &r.verdict, &r.node, &r.step_id})
        if (*s && !valid_utf8(**s)) throw InputError("record: a text field is not valid UTF-8");

    json::Ptr o(json_object());
    if (!o) throw std::runtime_error("out of memory building a record");
    Built b;
    b.id = record_id(r);
    json_t* j = o.get();
    set_new(j, "schema", json_string(kSchema));
    set_new(j, "record_id", json_string(b.id.c_str()));
    set_new(j, "kind", json_string(kind_name(r.kind)));
    set_new(j, "component", json_string(r.component.c_str()));
    set_new(j, "site", json_string(r.site.c_str()));
    set_new(j, "cluster", json_string(r.cluster.c_str()));
    set_new(j, "created", json_string(rfc3339_utc(created).c_str()));
    put_int(j, "job_id", r.job_id);
    put_int(j, "array_job_id", r.array_job_id);
    put_int(j, "array_task_id", r.array_task_id);
    put_int(j, "het_job_id", r.het_job_id);
    put_int(j, "het_job_offset", r.het_job_offset);
    put(j, "step_id", r.step_id);
    put(j, "node", r.node);
    put(j, "partition", r.partition);
    put(j, "account", r.account);
    put(j, "user", r.user);
    put_time(j, "submit_time", r.submit_time);
    put_time(j, "start_time", r.start_time);
    put_time(j, "end_time", r.end_time);
    put_int(j, "nodes", r.nodes);
    put_int(j, "gpus", r.gpus);
    put_int(j, "tasks", r.tasks);
    put_int(j, "cpus", r.cpus);
    put(j, "gpu_model", r.gpu_model);
    put_seconds(j, "gpu_seconds", r.gpu_seconds, "gpu_seconds");
    put_seconds(j, "cpu_seconds", r.cpu_seconds, "cpu_seconds");
    put(j, "state", r.state);
    put_int(j, "exit_code", r.exit_code);
    put_int(j, "exit_signal", r.exit_signal);
    put(j, "decision", r.decision);
    put(j, "reason", r.reason);
    put_object(j, "training", r.training);
    put_object(j, "prediction", r.prediction);
    put(j, "verdict", r.verdict);
    put_object(j, "binding", r.binding);
    if (r.max_rss_bytes || r.gpu_mem_peak_bytes) {
        json_t* obs = json_object();
        set_new(j, "observed", obs);
        put_int(obs, "max_rss_bytes", r.max_rss_bytes);
        put_int(obs, "gpu_mem_peak_bytes", r.gpu_mem_peak_bytes);
    }
    char* text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    if (!text) throw std::runtime_error("cannot serialise record");
    b.json = text;
    free(text);
    if (b.json.size() > kMaxRecordBytes)
        throw InputError("record: " + std::to_string(b.json.size()) + " bytes is over the " +
                         std::to_string(kMaxRecordBytes) + "-byte limit");
    return b;
}

std::string validate(std::string_view text) {
    json::Ptr doc = json::parse(text, "record");
    if (!json_is_object(doc.get())) throw InputError("record: not a JSON object");
    std::string schema = json::require_string(doc.get(), "schema", "record");
    if (schema.rfind("aifactory.acct/", 0) != 0) throw InputError("record: unknown schema '" + schema + "'");
    std::string id = json::require_string(doc.get(), "record_id", "record");
    if (!is_uuid(id)) throw InputError("record: record_id is not a UUID");
    json::require_string(doc.get(), "kind", "record");
    return id;
}

}  // namespace aif::acct
