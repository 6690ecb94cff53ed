// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory sender`: drains the accounting outbox to the federation endpoint (see
// aifactory-sender(8)). Runs in the foreground; systemd keeps it alive (etc/aifactory-sender.service).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "acct/sender.hpp"
#include "args.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "record/schema.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

void log_line(const std::string& m) {
    // Under systemd the journal adds the time; elsewhere add it ourselves.
    if (std::getenv("JOURNAL_STREAM")) {
        std::fprintf(stderr, "%s\n", m.c_str());
    } else {
        std::fprintf(stderr, "%s aifactory sender: %s\n", aif::record::rfc3339_utc(std::time(nullptr)).c_str(), m.c_str());
    }
    std::fflush(stderr);
}

}  // namespace

namespace aif::cli {

namespace {

const CommandSpec& spec() {
    static const CommandSpec s{
        "sender",
        "",
        "Sends the accounting records in the outbox to the endpoint over HTTPS.",
        {
            {"config", Takes::Value, "FILE", std::string("sender configuration (default ") + acct::kDefaultSenderConfig + ")"},
            {"once", Takes::Nothing, "", "deliver what is waiting, print the counts, exit: 0 empty, 1 failed"},
            {"check", Takes::Nothing, "", "validate the configuration and the token file, then exit"},
        },
        ""};
    return s;
}

void print_counts(const acct::SenderStats& st) {
    std::printf("delivered %llu record(s) in %llu request(s); %llu dead-lettered, %llu quarantined\n",
                static_cast<unsigned long long>(st.acked), static_cast<unsigned long long>(st.requests),
                static_cast<unsigned long long>(st.dead), static_cast<unsigned long long>(st.quarantined));
}

}  // namespace

int cmd_sender(int argc, char** argv) {
    std::string config = acct::kDefaultSenderConfig;
    bool once = false, check = false;
    acct::SenderConfig cfg;
    const int rc = guarded(spec(), [&] {
        for (const Arg& a : parse_options(spec(), argc, argv).options) {
            if (a.key == "config") config = a.value;
            else if (a.key == "once") once = true;
            else if (a.key == "check") check = true;
        }
        cfg = acct::load_sender_config(config);
        return -1;
    });
    if (rc >= 0) return rc;
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
        const int result = sender.run(g_stop, once);
        if (once) print_counts(sender.stats());
        return result;
    } catch (const InputError& e) {
        std::fprintf(stderr, "aifactory sender: refusing to start: %s\n", e.what());
        return 2;
    }
}

}  // namespace aif::cli
