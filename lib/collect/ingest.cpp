// SPDX-License-Identifier: GPL-2.0-or-later
// POST /v1/records without the HTTP layer. The body is never parsed whole: a structural scan
// finds where each record starts and ends and refuses too many records before any JSON tree is
// built (an 8 MiB {"records":[{},{},...]} parsed whole costs ~650 MB). Each record is then
// parsed on its own by check_record, which refuses one over kMaxRecordBytes before parsing it,
// so memory stays near one record's tree plus the accepted rows.
//
// Status codes: 400 the body is not {"records":[...]}; 413 too many records; 422 a record is
// invalid or belongs to another site (the sender dead-letters that record alone); 403 a
// federation token posting; 503 the store failed (the reason is logged, not sent).
#include <string>
#include <vector>

#include "collect/server.hpp"
#include "collect/validate.hpp"
#include "common/error.hpp"
#include "common/json.hpp"

namespace aif::collect {
namespace {

constexpr int kMaxDepth = 64;  // nesting inside one record; jansson checks the rest

// Byte-level JSON scanner: balances brackets and skips strings, nothing more. Grammar errors
// inside a record are left to jansson when the record is parsed.
class Scanner {
public:
    explicit Scanner(std::string_view s) : s_(s) {}
    std::size_t pos() const { return p_; }
    bool at_end() {
        ws();
        return p_ == s_.size();
    }
    bool eat(char c) {
        ws();
        if (p_ < s_.size() && s_[p_] == c) {
            ++p_;
            return true;
        }
        return false;
    }
    // A string at the cursor; its raw text (escapes kept) into *out.
    bool string(std::string_view* out) {
        if (!eat('"')) return false;
        std::size_t b = p_;
        if (!skip_string_rest()) return false;
        *out = s_.substr(b, p_ - 1 - b);
        return true;
    }
    // One value of any kind; false when truncated, unbalanced or nested deeper than kMaxDepth.
    bool value() {
        ws();
        if (p_ >= s_.size()) return false;
        char c = s_[p_];
        if (c == '"') {
            ++p_;
            return skip_string_rest();
        }
        if (c != '{' && c != '[') {
            std::size_t b = p_;
            while (p_ < s_.size() && !is_delim(s_[p_])) ++p_;
            return p_ > b;
        }
        int depth = 0;
        while (p_ < s_.size()) {
            c = s_[p_++];
            if (c == '"') {
                if (!skip_string_rest()) return false;
            } else if (c == '{' || c == '[') {
                if (++depth > kMaxDepth) return false;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return true;
            }
        }
        return false;
    }

    void ws() {
        while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r')) ++p_;
    }

private:
    static bool is_delim(char c) {
        return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
    bool skip_string_rest() {  // after the opening quote, up to and including the closing one
        while (p_ < s_.size()) {
            char c = s_[p_++];
            if (c == '\\') ++p_;
            else if (c == '"') return true;
        }
        return false;
    }
    std::string_view s_;
    std::size_t p_ = 0;
};

std::string error_json(const std::string& msg) {
    json::Ptr o(json_object());
    json_object_set_new(o.get(), "error", json_string(msg.c_str()));
    return json::dump(o.get()) + "\n";
}

const char* const kShape = "request body: expected {\"records\":[...]}";

struct Split {
    std::vector<std::string_view> records;
    std::size_t count = 0;  // may exceed records.size() when over the limit
    std::string error;      // non-empty: 400
};

// {"records":[...]} → each record's bytes, without building a JSON tree.
Split split_records(std::string_view body, std::size_t max_records) {
    Split out;
    Scanner sc(body);
    auto bad = [&](const std::string& why) {
        out.error = why;
        return out;
    };
    if (!sc.eat('{')) return bad(kShape);
    bool seen = false;
    if (!sc.eat('}')) {
        do {
            std::string_view key;
            if (!sc.string(&key) || !sc.eat(':')) return bad(kShape);
            if (key != "records") return bad("request body: unexpected key; expected only {\"records\":[...]}");
            if (seen) return bad("request body: \"records\" given twice");
            seen = true;
            if (!sc.eat('[')) return bad("request body: \"records\" must be an array");
            if (sc.eat(']')) continue;
            do {
                sc.ws();
                std::size_t b = sc.pos();
                if (!sc.value()) return bad("request body: record #" + std::to_string(out.count) +
                                            " is truncated, unbalanced or nested deeper than " +
                                            std::to_string(kMaxDepth));
                if (++out.count <= max_records) out.records.push_back(body.substr(b, sc.pos() - b));
            } while (sc.eat(','));
            if (!sc.eat(']')) return bad("request body: \"records\": expected ',' or ']'");
        } while (sc.eat(','));
        if (!sc.eat('}')) return bad(kShape);
    }
    if (!sc.at_end()) return bad("request body: data after the closing '}'");
    if (!seen) return bad(kShape);
    return out;
}

}  // namespace

Reply error_reply(int status, const std::string& msg) { return {status, error_json(msg), "application/json", false}; }

Reply ingest(Store& store, const Principal& who, std::string_view body, const ServerConfig& cfg,
             const std::function<void(const std::string&)>& log) {
    if (who.all_sites()) return error_reply(403, "a federation token reads; records come with a site's token");
    Split split = split_records(body, cfg.max_records);
    if (!split.error.empty()) return error_reply(400, split.error);
    if (split.count > cfg.max_records)
        return error_reply(413, "request has " + std::to_string(split.count) + " records; at most " +
                                    std::to_string(cfg.max_records) + " per request");
    std::vector<Row> rows;
    rows.reserve(split.records.size());
    for (std::size_t i = 0; i < split.records.size(); ++i) {
        try {
            if (split.records[i].empty() || split.records[i][0] != '{')
                throw InputError("record #" + std::to_string(i) + ": not a JSON object");
            rows.push_back(check_record(split.records[i]));
        } catch (const InputError& e) {
            return error_reply(422, e.what());
        }
        // 422, not 403: the token is good, this record is not (the sender dead-letters it alone).
        if (rows.back().site != who.site)
            return error_reply(422, "record " + rows.back().record_id + ": site '" + rows.back().site +
                                        "' does not match the token's site '" + who.site + "'");
    }
    IngestResult res;
    try {
        res = store.put(rows);
    } catch (const std::exception& e) {
        if (log) log(std::string("storage failed: ") + e.what());  // the client learns no internals
        Reply r = error_reply(503, "storage unavailable, retry later");
        r.retry_after = true;
        return r;
    }
    json::Ptr o(json_object());
    json_object_set_new(o.get(), "inserted", json_integer(static_cast<json_int_t>(res.inserted)));
    json_object_set_new(o.get(), "updated", json_integer(static_cast<json_int_t>(res.updated)));
    json_object_set_new(o.get(), "unchanged", json_integer(static_cast<json_int_t>(res.unchanged)));
    // 409: every record was already held at this version or higher (the sender acks it too).
    int status = !rows.empty() && res.unchanged == rows.size() ? 409 : 200;
    return {status, json::dump(o.get()) + "\n", "application/json", false};
}

}  // namespace aif::collect
