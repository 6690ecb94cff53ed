// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory collector`: the reference federation endpoint (HTTPS, per-site tokens, SQLite).
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>

#include "args.hpp"
#include "collect/server.hpp"
#include "collect/store.hpp"
#include "collect/tokens.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/text.hpp"
#include "record/schema.hpp"

namespace aif::cli {
namespace {

const CommandSpec& spec() {
    static const CommandSpec s{
        "collector",
        "--cert FILE --key FILE --tokens FILE (--db FILE | --postgres CONNINFO) [options]",
        "Accepts accounting records from site senders over HTTPS and serves per-job reports.",
        {
            {"listen", Takes::Value, "HOST:PORT", "address to listen on (default 127.0.0.1:8443; port 0: any free)"},
            {"cert", Takes::Value, "FILE", "TLS certificate chain, PEM"},
            {"key", Takes::Value, "FILE", "TLS private key, PEM"},
            {"tokens", Takes::Value, "FILE", "root-only file, one '<site> <token>' per line; site '*' reads all"},
            {"db", Takes::Value, "FILE", "SQLite database (created if missing; WAL mode)"},
            {"postgres", Takes::Value, "CONNINFO", "PostgreSQL instead, e.g. 'host=db dbname=aif user=aif'"},
            {"threads", Takes::Value, "N", "worker threads (default 4)"},
            {"max-body-mb", Takes::Value, "N", "largest request body accepted (default 8)"},
            {"max-per-ip", Takes::Value, "N", "connections from one address (default 32)"},
            {"request-deadline", Takes::Value, "S", "seconds for one request's headers and body (default 60)"},
            {"thresholds", Takes::Value, "FLOP,...", "training-compute marks of the run ledger (default 1e23,1e25)"},
            {"port-file", Takes::Value, "FILE", "write the listening port here once ready"},
        },
        "The PostgreSQL password comes from ~/.pgpass or PGPASSWORD, never the command line.\n"
        "SIGHUP reloads the tokens file; SIGTERM or SIGINT stops."};
    return s;
}

std::mutex g_log_mu;
void log_line(const std::string& m) {
    const std::string ts = record::rfc3339_utc(std::time(nullptr));
    std::lock_guard<std::mutex> g(g_log_mu);
    std::fprintf(stderr, "%s collector: %s\n", ts.c_str(), m.c_str());
    std::fflush(stderr);
}

// "1e23,1e25" → FLOP marks; each a positive finite number.
std::vector<double> parse_thresholds(const std::string& text) {
    std::vector<double> out;
    for (const auto& item : split(text, ',')) {
        char* end = nullptr;
        const double v = std::strtod(item.c_str(), &end);
        if (end == nullptr || *end != '\0' || !(v > 0) || !std::isfinite(v))
            throw InputError("--thresholds: '" + printable(item) + "' is not a FLOP count (e.g. 1e23,1e25)");
        out.push_back(v);
    }
    if (out.empty() || out.size() > 16) throw InputError("--thresholds: give 1 to 16 FLOP counts, e.g. 1e23,1e25");
    return out;
}

}  // namespace

int cmd_collector(int argc, char** argv) {
    collect::ServerConfig cfg;
    std::string tokens_file, db, port_file, postgres;
    const int rc = guarded(spec(), [&] {
        for (const auto& a : parse_options(spec(), argc, argv).options) {
            if (a.key == "listen") cfg.listen = a.value;
            else if (a.key == "cert") cfg.cert_file = a.value;
            else if (a.key == "key") cfg.key_file = a.value;
            else if (a.key == "tokens") tokens_file = a.value;
            else if (a.key == "db") db = a.value;
            else if (a.key == "postgres") postgres = a.value;
            else if (a.key == "port-file") port_file = a.value;
            else if (a.key == "threads") cfg.threads = static_cast<unsigned>(parse_int(a.value, "--threads", 1, 256));
            else if (a.key == "max-body-mb")
                cfg.max_body_bytes = static_cast<std::size_t>(parse_int(a.value, "--max-body-mb", 1, 1024)) * 1024 * 1024;
            else if (a.key == "max-per-ip")
                cfg.max_per_ip = static_cast<unsigned>(parse_int(a.value, "--max-per-ip", 1, 100000));
            else if (a.key == "thresholds") cfg.ledger.thresholds = parse_thresholds(a.value);
            else if (a.key == "request-deadline")
                cfg.request_deadline_s = static_cast<unsigned>(parse_int(a.value, "--request-deadline", 1, 3600));
        }
        for (auto [v, name] : {std::pair{&cfg.cert_file, "--cert"}, {&cfg.key_file, "--key"}, {&tokens_file, "--tokens"}})
            if (v->empty()) throw InputError(std::string(name) + " is required (see aifactory collector --help)");
        if (db.empty() == postgres.empty()) throw InputError("give one of --db FILE (SQLite) or --postgres CONNINFO");
        if (postgres.find("password") != std::string::npos)
            throw InputError("--postgres: put the password in ~/.pgpass or PGPASSWORD, not on the command line");
        return -1;
    });
    if (rc >= 0) return rc;
    // Block the signals in every thread; the main thread waits for them below.
    sigset_t sigs;
    sigemptyset(&sigs);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&sigs, s);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    signal(SIGPIPE, SIG_IGN);
    // Request bodies (up to --max-body-mb) are the only large allocations. With glibc's dynamic
    // threshold they move into per-thread heaps after the first free and are never returned,
    // one body-sized heap per server thread; a fixed threshold keeps them mmap'ed and returned.
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    try {
        collect::Tokens tokens = collect::Tokens::load(tokens_file);
        auto store = postgres.empty() ? collect::open_sqlite(db) : collect::open_postgres(postgres);
        std::string where = postgres.empty() ? "database " + db : "PostgreSQL";
        collect::Server server(cfg, *store, std::move(tokens), log_line);
        server.start();
        log_line("listening on " + cfg.listen.substr(0, cfg.listen.rfind(':')) + ":" + std::to_string(server.port()) +
                 ", " + where + " (" + std::to_string(store->count()) + " records)");
        if (!port_file.empty()) {
            if (!write_file_atomic(port_file, std::to_string(server.port()) + "\n"))
                throw std::runtime_error(port_file + ": cannot write the port file: " + std::strerror(errno));
        }
        for (;;) {
            int sig = 0;
            if (sigwait(&sigs, &sig) != 0) continue;
            if (sig == SIGHUP) {
                try {
                    collect::Tokens t = collect::Tokens::load(tokens_file);
                    log_line("reloaded " + std::to_string(t.size()) + " tokens");
                    server.replace_tokens(std::move(t));
                } catch (const InputError& e) {
                    log_line(std::string("keeping the old tokens: ") + e.what());
                }
                continue;
            }
            log_line("stopping");
            server.stop();
            return 0;
        }
    } catch (const InputError& e) {
        std::fprintf(stderr, "aifactory collector: %s\n", e.what());
        return 2;
    }
}

}  // namespace aif::cli
