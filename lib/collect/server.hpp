// SPDX-License-Identifier: GPL-2.0-or-later
// The collector's HTTPS server (libmicrohttpd with GnuTLS). Routes:
//   POST /v1/records                      {"records":[...]} from a site's sender (aifactory sender)
//   GET  /v1/jobs/SITE/CLUSTER/JOBID      merged per-job report (JSON)
//   GET  /v1/jobs?site=&account=&verdict=&from=&to=&limit=      job listing
//   GET  /v1/aggregates/gpu-hours|rejections|prediction-error|accuracy|calibration   same filters
//   GET  /jobs/SITE/CLUSTER/JOBID, GET /   HTML job page and overview (inline SVG)
//   GET  /v1/runs, /v1/runs/NAME[?format=csv|text], /runs/NAME   training-run ledger (JSON, CSV,
//        text, HTML page), /v1/runs-summary: the per-run file sites sync (docs/ai-act.md)
//   GET  /healthz                         "ok" (no authentication, no data)
// Every other request needs "Authorization: Bearer TOKEN" (or Basic with the token as the
// password, for browsers). A site token reads only its own site.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collect/ledger.hpp"
#include "collect/store.hpp"
#include "collect/tokens.hpp"

namespace aif::collect {

struct ServerConfig {
    std::string listen = "127.0.0.1:8443";  // host:port; port 0 picks a free one
    std::string cert_file, key_file;          // PEM
    std::size_t max_body_bytes = 8 * 1024 * 1024;
    std::size_t max_records = 10000;  // per request
    unsigned threads = 4;
    unsigned max_connections = 512;
    unsigned max_per_ip = 32;           // connections from one address
    unsigned timeout_s = 30;            // idle connection timeout (every byte restarts it)
    unsigned request_deadline_s = 60;   // headers and body of one request, however they trickle
    unsigned max_query_args = 32;
    LedgerConfig ledger;  // FLOP thresholds (aifactory collector --thresholds)
};

// POST /v1/records without the HTTP layer: status and JSON body. Exposed for unit tests.
struct Reply {
    int status = 200;
    std::string body, content_type = "application/json";
    bool retry_after = false;
};
// Storage errors go to `log`, never into the reply.
Reply ingest(Store& store, const Principal& who, std::string_view body, const ServerConfig& cfg,
             const std::function<void(const std::string&)>& log = {});
Reply error_reply(int status, const std::string& message);  // {"error": message}
// GET /v1/runs, /v1/runs-summary, /v1/runs/NAME and /runs/NAME (`parts`: the URL's segments),
// over the jobs `who` may read (a site token: its own site's). ledger_api.cpp.
Reply runs_reply(Store& store, const LedgerConfig& cfg, const Principal& who, const std::vector<std::string>& parts,
                 const std::string& format);

class Server {
public:
    using Logger = std::function<void(const std::string&)>;
    Server(ServerConfig cfg, Store& store, Tokens tokens, Logger log);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    void start();  // throws InputError (bad address, unreadable certificate) or runtime_error
    void stop();
    std::uint16_t port() const;
    void replace_tokens(Tokens t);  // on SIGHUP
    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace aif::collect
