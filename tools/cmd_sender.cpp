// `aifactory sender`: drains the accounting outbox to the federation endpoint (see
// aifactory-sender(8)). Runs in the foreground; systemd keeps it alive (etc/aifactory-sender.service).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "acct/sender.hpp"
#include "commands.hpp"
#include "common/error.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: aifactory sender [--config FILE] [--once] [--check]\n"
                 "  Sends the accounting records in the outbox to the endpoint over HTTPS.\n"
                 "  --config FILE  sender configuration (default %s)\n"
                 "  --once         exit when the outbox is empty (0) or delivery fails (1)\n"
                 "  --check        validate the configuration and the token file, then exit\n",
                 aif::acct::kDefaultSenderConfig);
}

void log_line(const std::string& m) {
    // Under systemd the journal adds the time; elsewhere add it ourselves.
    if (std::getenv("JOURNAL_STREAM")) {
        std::fprintf(stderr, "%s\n", m.c_str());
    } else {
        std::time_t t = std::time(nullptr);
        char ts[32];
        std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
        std::fprintf(stderr, "%s aifactory sender: %s\n", ts, m.c_str());
    }
    std::fflush(stderr);
}

}  // namespace

namespace aif::cli {

int cmd_sender(int argc, char** argv) {
    std::string config = acct::kDefaultSenderConfig;
    bool once = false, check = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (a == "--config" && i + 1 < argc) {
            config = argv[++i];
        } else if (a == "--once") {
            once = true;
        } else if (a == "--check") {
            check = true;
        } else {
            std::fprintf(stderr, "aifactory sender: unknown argument '%s'\n", a.c_str());
            usage(stderr);
            return 2;
        }
    }
    acct::SenderConfig cfg;
    try {
        cfg = acct::load_sender_config(config);
    } catch (const InputError& e) {
        std::fprintf(stderr, "aifactory sender: %s\n", e.what());
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    try {
        acct::Sender sender(cfg, log_line);
        if (check) {
            std::printf("configuration ok: %s -> %s (token file %s readable, root-only)\n", cfg.outbox.c_str(),
                        cfg.url.c_str(), cfg.token_file.c_str());
            return 0;
        }
        return sender.run(g_stop, once);
    } catch (const InputError& e) {
        std::fprintf(stderr, "aifactory sender: refusing to start: %s\n", e.what());
        return 2;
    }
}

}  // namespace aif::cli
