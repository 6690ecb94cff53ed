// SPDX-License-Identifier: GPL-2.0-or-later
// HTTP layer of the collector. libmicrohttpd calls answer() several times per request: first
// with the headers (authentication and the Content-Length bound are checked there, before any
// body is read), then with body chunks (appended up to the bound), then once more to reply.
#include "collect/server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "collect/html.hpp"
#include "collect/job_report.hpp"
#include "collect/accuracy.hpp"
#include "collect/limits.hpp"
#include "collect/listings.hpp"
#include "collect/overview.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::collect {
namespace {

Reply err(int status, const std::string& msg) { return error_reply(status, msg); }

std::string read_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(std::string(what) + " " + path + ": cannot read it");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Query time: epoch seconds, YYYY-MM-DD or RFC 3339.
std::optional<std::int64_t> query_time(const char* v, const char* name) {
    if (!v || !*v) return std::nullopt;
    std::string s = v;
    if (s.find_first_not_of("0123456789") == std::string::npos && s.size() <= 12) return std::stoll(s);
    if (s.size() == 10) s += "T00:00:00Z";
    auto t = parse_time(s);
    if (!t) throw InputError(std::string(name) + ": '" + v + "' is not a date (2026-08-01, RFC 3339 or epoch seconds)");
    return t;
}

// A path segment naming a site or cluster: no leading '.', so never "." or "..".
bool safe_name(std::string_view s) {
    if (s.empty() || s.size() > 64 || s[0] == '.') return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

}  // namespace

struct Server::Impl {
    ServerConfig cfg;
    Store& store;
    std::mutex tokens_mu;
    std::shared_ptr<const Tokens> tokens;
    Logger log;
    std::string cert, key;
    MHD_Daemon* daemon = nullptr;
    Deadlines deadlines;

    Impl(ServerConfig c, Store& s, Tokens t, Logger l)
        : cfg(std::move(c)), store(s), tokens(std::make_shared<const Tokens>(std::move(t))), log(std::move(l)),
          deadlines(cfg.request_deadline_s, log) {}

    struct Request {
        bool started = false;        // the first answer() call (headers complete) is done
        bool too_many_args = false;  // set by on_uri()
        std::optional<Principal> who;
        std::string body;
        bool too_big = false;
        std::size_t discarded = 0;
    };

    std::optional<Principal> authenticate(MHD_Connection* c) {
        const char* h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!h) return std::nullopt;
        std::string_view v = h;
        std::string token;
        if (v.size() > 7 && lower(v.substr(0, 7)) == "bearer ") {
            token = std::string(trim(v.substr(7)));
        } else if (v.size() > 6 && lower(v.substr(0, 6)) == "basic ") {
            // Browsers: the token is the password; libmicrohttpd decodes the header.
            char* pass = nullptr;
            char* user = MHD_basic_auth_get_username_password(c, &pass);
            if (pass) {
                token = pass;
                std::memset(pass, 0, std::strlen(pass));
                MHD_free(pass);
            }
            if (user) MHD_free(user);
            if (token.empty()) return std::nullopt;
        } else {
            return std::nullopt;
        }
        std::shared_ptr<const Tokens> t;
        {
            std::lock_guard<std::mutex> g(tokens_mu);
            t = tokens;
        }
        auto p = t->find(token);
        std::fill(token.begin(), token.end(), '\0');
        return p;
    }

    MHD_Result send(MHD_Connection* c, const Reply& r, const char* method, const std::string& url,
                    const std::optional<Principal>& who) {
        MHD_Response* resp =
            MHD_create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
        if (!resp) return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        if (r.content_type.rfind("text/html", 0) == 0)
            MHD_add_response_header(resp, "Content-Security-Policy",
                                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'");
        if (r.status == 401)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                    url.rfind("/v1/", 0) == 0 ? "Bearer realm=\"aifactory\""
                                                              : "Basic realm=\"aifactory\", charset=\"UTF-8\"");
        if (r.retry_after) MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
        MHD_Result ok = MHD_queue_response(c, static_cast<unsigned>(r.status), resp);
        MHD_destroy_response(resp);
        if (log && (r.status >= 400 || std::strcmp(method, "POST") == 0)) {
            // The URL arrives percent-decoded: escape sequences and newlines must not reach the log.
            std::string line = printable(method, 16) + " " + printable(url, 200) + " " + std::to_string(r.status) +
                               " site=" + (who ? who->site : "-");
            std::string_view body = r.body;
            while (!body.empty() && body.back() == '\n') body.remove_suffix(1);
            if (r.status >= 400) line += " " + printable(body, 300);
            log(line);
        }
        return ok;
    }

    // The request is read: the deadline stops counting while the reply goes out.
    MHD_Result finish(MHD_Connection* c, const Reply& r, const char* method, const std::string& url,
                      const std::optional<Principal>& who) {
        deadlines.request_read(c);
        return send(c, r, method, url, who);
    }

    JobFilter filter(MHD_Connection* c, const Principal& who) {
        auto arg = [&](const char* k) {
            const char* v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
            return std::string(v ? v : "");
        };
        JobFilter f;
        f.site = arg("site");
        if (!who.all_sites()) {
            if (!f.site.empty() && f.site != who.site)
                throw std::invalid_argument("token for site '" + who.site + "' cannot read site '" + f.site + "'");
            f.site = who.site;
        }
        f.account = arg("account");
        f.partition = arg("partition");
        f.verdict = arg("verdict");
        f.from = query_time(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from"), "from");
        f.to = query_time(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to"), "to");
        if (std::string l = arg("limit"); !l.empty()) f.limit = static_cast<int>(parse_int(l, "limit", 1, 10000));
        return f;
    }

    static std::string url_encode(const std::string& v) {
        static const char* hex = "0123456789ABCDEF";
        std::string o;
        for (unsigned char ch : v) {
            if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == ':') o += static_cast<char>(ch);
            else o += std::string("%") + hex[ch >> 4] + hex[ch & 15];
        }
        return o;
    }

    // The federation overview (HTML), its exports (/v1/overview?group=...&format=csv|json, the
    // calculator's accuracy) and the same aggregates for Prometheus (/metrics), under the token's
    // site and the query's filters (the newest 1000 jobs unless limit= says otherwise).
    Reply overview(MHD_Connection* c, const std::string& url, const Principal& who) {
        auto arg = [&](const char* k) {
            const char* v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
            return std::string(v ? v : "");
        };
        JobFilter f = filter(c, who);
        if (arg("limit").empty()) f.limit = 1000;
        if (auto j = calculator_aggregate(store, f, url)) return {200, std::move(*j), "application/json", false};
        std::vector<std::pair<GroupBy, std::vector<UsageGroup>>> tables;
        if (url == "/v1/overview") {
            const std::string group = arg("group").empty() ? "partition" : arg("group");
            auto g = parse_group(group);
            if (!g) return err(400, "group: partition, account or user");
            const std::string format = arg("format");
            if (format == "csv")
                return {200, usage_csv(*g, store.usage_groups(f, *g)), "text/csv; charset=utf-8", false};
            if (!format.empty() && format != "json") return err(400, "format: json or csv");
            return {200, usage_json(*g, store.usage_groups(f, *g)), "application/json", false};
        }
        for (GroupBy g : {GroupBy::Partition, GroupBy::Account, GroupBy::User}) tables.emplace_back(g, store.usage_groups(f, g));
        if (url == "/metrics") return {200, usage_metrics(tables), "text/plain; version=0.0.4; charset=utf-8", false};
        std::string query;
        for (const char* k : {"site", "partition", "account", "from", "to"})
            if (std::string v = arg(k); !v.empty()) query += (query.empty() ? "" : "&") + std::string(k) + "=" + url_encode(v);
        return {200, usage_page(who.site, query, tables, accuracy_html(calculator_accuracy(store, f))),
                "text/html; charset=utf-8", false};
    }

    Reply get(MHD_Connection* c, const std::string& url, const Principal& who) {
        auto parts = split(url, '/');
        if ((parts.size() == 2 && parts[0] == "v1" && (parts[1] == "runs" || parts[1] == "runs-summary")) ||
            (parts.size() == 3 && parts[0] == "v1" && parts[1] == "runs") || (parts.size() == 2 && parts[0] == "runs"))
        {
            const char* f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
            return runs_reply(store, cfg.ledger, who, parts, f ? f : "");
        }
        bool html = !parts.empty() && parts[0] == "jobs" && parts.size() == 4;
        bool api_job = parts.size() == 5 && parts[0] == "v1" && parts[1] == "jobs";
        if (html || api_job) {
            std::size_t o = html ? 1 : 2;
            const std::string &site = parts[o], &cluster = parts[o + 1];
            if (!safe_name(site) || !safe_name(cluster)) return err(400, "site and cluster: letters, digits, '-', '_', '.'");
            long long id = parse_int(parts[o + 2], "job id", 0, 0xFFFFFFFFLL);
            if (!who.may_read(site)) return err(403, "token for site '" + who.site + "' cannot read site '" + site + "'");
            std::vector<std::string> bodies = store.job_records({site, cluster, id});
            JobReport rep = build_job_report(bodies, site, cluster, id);
            if (std::string link = decision_to_link(rep); !link.empty())
                if (auto decision = store.record_body(site, link)) {
                    bodies.push_back(std::move(*decision));
                    rep = build_job_report(bodies, site, cluster, id);
                }
            if (rep.records == 0)
                return err(404, "no records for job " + std::to_string(id) + " on " + site + "/" + cluster);
            if (html) return {200, job_page(rep), "text/html; charset=utf-8", false};
            return {200, json::dump(to_json(rep).get(), true) + "\n", "application/json", false};
        }
        if (url == "/" || url == "/index.html") {
            JobFilter f = filter(c, who);
            f.limit = std::min(f.limit, 200);
            return {200, overview_page(who.site, store.list_jobs(f), store.gpu_hours(f), store.rejections(f),
                                       store.predictions(f)),
                    "text/html; charset=utf-8", false};
        }
        if (url == "/v1/overview" || url == "/overview" || url == "/metrics" || is_calculator_aggregate(url))
            return overview(c, url, who);
        if (url == "/v1/jobs") return {200, jobs_json(store.list_jobs(filter(c, who))), "application/json", false};
        if (url == "/v1/aggregates/gpu-hours") return {200, gpu_hours_json(store.gpu_hours(filter(c, who))), "application/json", false};
        if (url == "/v1/aggregates/rejections") return {200, rejections_json(store.rejections(filter(c, who))), "application/json", false};
        if (url == "/v1/aggregates/prediction-error")
            return {200, prediction_error_json(store.predictions(filter(c, who))), "application/json", false};
        return err(404, "no such resource: " + url.substr(0, 100));
    }

    MHD_Result answer(MHD_Connection* c, const char* url_c, const char* method, const char* upload,
                      std::size_t* upload_size, void** state) {
        std::string url = url_c ? url_c : "";
        auto* req = static_cast<Request*>(*state);
        if (!req) {
            req = new Request;
            *state = req;
        }
        if (!req->started) {
            req->started = true;
            bool post = std::strcmp(method, "POST") == 0;
            if (url == "/healthz" && std::strcmp(method, "GET") == 0)
                return finish(c, {200, "ok\n", "text/plain", false}, method, url, std::nullopt);
            if (req->too_many_args)
                return finish(c, err(400, "more than " + std::to_string(cfg.max_query_args) + " query arguments"), method,
                              url, std::nullopt);
            req->who = authenticate(c);
            if (!req->who) return finish(c, err(401, "missing or unknown token"), method, url, std::nullopt);
            if (post && url != "/v1/records") return finish(c, err(404, "POST goes to /v1/records"), method, url, req->who);
            if (!post && std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0)
                return finish(c, err(405, std::string("method ") + method + " not allowed"), method, url, req->who);
            if (post) {
                const char* len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                unsigned long long n = len ? std::strtoull(len, nullptr, 10) : 0;
                if (n > cfg.max_body_bytes)
                    return finish(c, err(413, "request body over " + std::to_string(cfg.max_body_bytes) + " bytes"), method,
                                  url, req->who);
                req->body.reserve(static_cast<std::size_t>(n));  // one allocation, not a doubling series
            }
            return MHD_YES;
        }
        if (*upload_size) {
            // libmicrohttpd cannot reply in the middle of an upload: past the bound, the rest is
            // discarded and 413 sent at the end; a sender streaming far beyond it is cut off.
            if (req->too_big || req->body.size() + *upload_size > cfg.max_body_bytes) {
                if (!req->too_big) {
                    req->too_big = true;
                    req->discarded = req->body.size();
                    std::string().swap(req->body);
                }
                req->discarded += *upload_size;
                *upload_size = 0;
                return req->discarded > 2 * cfg.max_body_bytes ? MHD_NO : MHD_YES;
            }
            req->body.append(upload, *upload_size);
            *upload_size = 0;
            return MHD_YES;
        }
        if (req->too_big)
            return finish(c, err(413, "request body over " + std::to_string(cfg.max_body_bytes) + " bytes"), method, url,
                        req->who);
        try {
            if (std::strcmp(method, "POST") == 0)
                return finish(c, ingest(store, *req->who, req->body, cfg, log), method, url, req->who);
            return finish(c, get(c, url, *req->who), method, url, req->who);
        } catch (const InputError& e) {
            return finish(c, err(400, e.what()), method, url, req->who);
        } catch (const std::invalid_argument& e) {
            return finish(c, err(403, e.what()), method, url, req->who);
        } catch (const std::exception& e) {
            if (log) log(std::string("request failed: ") + e.what());  // storage details stay here
            Reply r = err(503, "temporarily unavailable, retry later");
            r.retry_after = true;
            return finish(c, r, method, url, req->who);
        }
    }
};

namespace {

MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                      const char* upload, std::size_t* upload_size, void** state) {
    try {
        return static_cast<Server::Impl*>(cls)->answer(c, url, method, upload, upload_size, state);
    } catch (...) {
        return MHD_NO;  // closes the connection; never lets an exception into libmicrohttpd
    }
}

void on_completed(void* cls, MHD_Connection* c, void** state, MHD_RequestTerminationCode) {
    delete static_cast<Server::Impl::Request*>(*state);
    *state = nullptr;
    static_cast<Server::Impl*>(cls)->deadlines.request_done(c);
}

// Called with the raw request target before libmicrohttpd parses the query into the
// connection's 64 KiB memory pool. A query with more arguments than the API uses (it needs six)
// would exhaust the pool and the client would get no answer at all: such a query is cut here,
// in libmicrohttpd's own request buffer, which it modifies itself right after this call, and
// the request is answered 400.
void* on_uri(void* cls, const char* uri, MHD_Connection*) {
    auto* req = new Server::Impl::Request;
    if (const char* q = uri ? std::strchr(uri, '?') : nullptr) {
        std::size_t args = 1;
        for (const char* p = q + 1; *p; ++p) args += *p == '&';
        if (args > static_cast<Server::Impl*>(cls)->cfg.max_query_args) {
            req->too_many_args = true;
            const_cast<char*>(q)[1] = '\0';
        }
    }
    return req;
}

void on_connection(void* cls, MHD_Connection* c, void**, MHD_ConnectionNotificationCode code) {
    auto& d = static_cast<Server::Impl*>(cls)->deadlines;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        d.opened(c, i ? i->connect_fd : -1);
    } else {
        d.closed(c);
    }
}

void on_mhd_error(void* cls, const char* fmt, va_list ap) {
    auto* impl = static_cast<Server::Impl*>(cls);
    char buf[512];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    std::string s = buf;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (impl->log) impl->log("libmicrohttpd: " + printable(s, 300));
}

}  // namespace

Server::Server(ServerConfig cfg, Store& store, Tokens tokens, Logger log)
    : impl_(std::make_unique<Impl>(std::move(cfg), store, std::move(tokens), std::move(log))) {}

Server::~Server() { stop(); }

void Server::start() {
    Impl& s = *impl_;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        throw std::runtime_error("this libmicrohttpd was built without TLS support");
    s.cert = read_file(s.cfg.cert_file, "certificate");
    s.key = read_file(s.cfg.key_file, "key");
    auto colon = s.cfg.listen.rfind(':');
    if (colon == std::string::npos) throw InputError("--listen: '" + s.cfg.listen + "' is not HOST:PORT");
    std::string host = s.cfg.listen.substr(0, colon);
    int port = static_cast<int>(parse_int(s.cfg.listen.substr(colon + 1), "--listen port", 0, 65535));
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    const sockaddr* addr;
    unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(static_cast<std::uint16_t>(port));
        addr = reinterpret_cast<const sockaddr*>(&v4);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(static_cast<std::uint16_t>(port));
        addr = reinterpret_cast<const sockaddr*>(&v6);
        flags |= MHD_USE_IPv6;
    } else {
        throw InputError("--listen: '" + host + "' is not an IPv4 or IPv6 address");
    }
    s.daemon = MHD_start_daemon(
        flags, static_cast<std::uint16_t>(port), nullptr, nullptr, &on_request, &s,
        MHD_OPTION_EXTERNAL_LOGGER, &on_mhd_error, &s,
        MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_HTTPS_MEM_CERT, s.cert.c_str(),
        MHD_OPTION_HTTPS_MEM_KEY, s.key.c_str(),
        MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
        MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(s.cfg.threads),
        MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(s.cfg.max_connections),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, std::min(s.cfg.max_per_ip, s.cfg.max_connections),
        MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(s.cfg.timeout_s),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<std::size_t>(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, &on_completed, &s,
        MHD_OPTION_NOTIFY_CONNECTION, &on_connection, &s,
        MHD_OPTION_URI_LOG_CALLBACK, &on_uri, &s,
        MHD_OPTION_END);
    if (!s.daemon)
        throw std::runtime_error("cannot listen on " + s.cfg.listen + " (address in use, or bad certificate/key)");
}

void Server::stop() {
    if (impl_ && impl_->daemon) {
        MHD_stop_daemon(impl_->daemon);
        impl_->daemon = nullptr;
    }
}

std::uint16_t Server::port() const {
    if (!impl_->daemon) return 0;
    const MHD_DaemonInfo* i = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void Server::replace_tokens(Tokens t) {
    auto p = std::make_shared<const Tokens>(std::move(t));
    std::lock_guard<std::mutex> g(impl_->tokens_mu);
    impl_->tokens = p;
}

}  // namespace aif::collect
