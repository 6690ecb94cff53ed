// `aifactory spool`: look into and repair the accounting outbox (operators).
//   status            counts, oldest unacknowledged record, the bound, the sender's state
//   list [WHERE]      records in new (default), dead, quarantine, sent or tmp, with reasons
//   show ID|NAME      one record (pretty JSON) and where it is
//   requeue ID|NAME|--dead|--quarantine   move back to new/ for another delivery attempt
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "acct/config.hpp"
#include "acct/outbox.hpp"
#include "acct/record.hpp"
#include "acct/sender.hpp"
#include "commands.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace {

using aif::acct::Outbox;

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: aifactory spool [--outbox DIR | --config FILE] COMMAND\n"
                 "  status [--json]                    counts, oldest waiting record, sender state\n"
                 "  list [new|dead|quarantine|sent|tmp] records there (default new), with reasons\n"
                 "  show ID|NAME                       one record and where it is\n"
                 "  requeue ID|NAME|--dead|--quarantine  send again: move back to new/\n"
                 "The outbox is --outbox, else 'outbox' in the sender config (default %s),\n"
                 "else %s.\n",
                 aif::acct::kDefaultSenderConfig, aif::acct::kDefaultOutbox);
}

std::string age(std::int64_t seconds) {
    if (seconds < 0) seconds = 0;
    if (seconds < 120) return std::to_string(seconds) + " s";
    if (seconds < 7200) return std::to_string(seconds / 60) + " min";
    if (seconds < 172800) return std::to_string(seconds / 3600) + " h";
    return std::to_string(seconds / 86400) + " days";
}

std::string mib(std::uint64_t b) { return aif::fmt_fixed(static_cast<double>(b) / (1024.0 * 1024.0), 1) + " MiB"; }

const char* const kPlaces[] = {"new", "dead", "quarantine", "sent", "tmp"};

// Finds a record by full file name or by record id (first match, in the order of kPlaces).
bool find(const Outbox& ob, const std::string& key, std::string* place, Outbox::Entry* entry) {
    for (const char* p : kPlaces)
        for (const auto& e : ob.list(p))
            if (e.name == key || e.id == key) {
                *place = p;
                *entry = e;
                return true;
            }
    return false;
}

int status(Outbox& ob, bool as_json) {
    struct stat st {};
    if (::stat((ob.dir() + "/new").c_str(), &st) != 0) {
        std::fprintf(stderr, "aifactory spool: %s is not an outbox (no new/ in it)\n", ob.dir().c_str());
        return 1;
    }
    std::int64_t now = std::time(nullptr);
    auto waiting = ob.list("new"), dead = ob.list("dead"), quar = ob.list("quarantine"), sent = ob.list("sent");
    auto tmp = ob.list("tmp");
    aif::acct::Usage u = ob.usage();
    std::int64_t oldest = -1;
    for (const auto& e : waiting) {
        // The name starts with the creation time in µs; fall back to mtime.
        long long us = std::atoll(e.name.c_str());
        std::int64_t created = us > 0 ? us / 1000000 : e.mtime;
        if (oldest < 0 || created < oldest) oldest = created;
    }
    aif::json::Ptr sender;
    try {
        sender = aif::json::load_file(ob.dir() + "/sender.status");
    } catch (const std::exception&) {
    }
    if (as_json) {
        aif::json::Ptr o(json_object());
        json_object_set_new(o.get(), "outbox", json_string(ob.dir().c_str()));
        json_object_set_new(o.get(), "waiting", json_integer(static_cast<json_int_t>(waiting.size())));
        json_object_set_new(o.get(), "sent_retained", json_integer(static_cast<json_int_t>(sent.size())));
        json_object_set_new(o.get(), "dead", json_integer(static_cast<json_int_t>(dead.size())));
        json_object_set_new(o.get(), "quarantined", json_integer(static_cast<json_int_t>(quar.size())));
        json_object_set_new(o.get(), "in_tmp", json_integer(static_cast<json_int_t>(tmp.size())));
        if (oldest >= 0) json_object_set_new(o.get(), "oldest_unacked_age_seconds", json_integer(now - oldest));
        json_object_set_new(o.get(), "bytes", json_integer(static_cast<json_int_t>(u.bytes)));
        json_object_set_new(o.get(), "above_high_water", json_boolean(ob.above_high_water(u)));
        if (sender) json_object_set(o.get(), "sender", sender.get());
        std::printf("%s\n", aif::json::dump(o.get(), true).c_str());
        return 0;
    }
    std::printf("outbox %s\n", ob.dir().c_str());
    std::printf("  waiting (new/)      %zu", waiting.size());
    if (oldest >= 0) std::printf("   oldest unacked: %s ago", age(now - oldest).c_str());
    std::printf("\n  dead letters        %zu\n  quarantined         %zu\n  sent (retained)     %zu\n",
                dead.size(), quar.size(), sent.size());
    if (!tmp.empty()) std::printf("  in tmp/ (writing or left by a crash)  %zu\n", tmp.size());
    const auto& lim = ob.limits();
    std::printf("  size                %s in %llu records (bound %s / %llu records, alarm at %d%%)%s\n",
                mib(u.bytes).c_str(), static_cast<unsigned long long>(u.records), mib(lim.max_bytes).c_str(),
                static_cast<unsigned long long>(lim.max_records), lim.high_water_percent,
                ob.above_high_water(u) ? "  ALARM: above high-water mark" : "");
    if (sender) {
        auto state = aif::json::string(sender.get(), "state", "sender.status").value_or("?");
        auto detail = aif::json::string(sender.get(), "detail", "sender.status").value_or("");
        auto updated = aif::json::integer(sender.get(), "updated", "sender.status").value_or(0);
        auto next = aif::json::integer(sender.get(), "next_attempt", "sender.status");
        auto pid = aif::json::integer(sender.get(), "pid", "sender.status").value_or(0);
        bool alive = pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
        std::printf("sender: %s%s (updated %s ago)%s%s\n", state.c_str(), alive ? "" : ", process not running",
                    age(now - updated).c_str(), detail.empty() ? "" : ": ", detail.c_str());
        if (next && *next > now && state != "idle") std::printf("  next attempt in %s\n", age(*next - now).c_str());
    } else {
        std::printf("sender: no status file (has the sender run?)\n");
    }
    if (!dead.empty()) {
        std::printf("dead letters (aifactory spool requeue ID to retry):\n");
        for (const auto& e : dead) std::printf("  %s  %s\n", e.id.c_str(), ob.reason_of("dead", e.name).c_str());
    }
    if (!quar.empty()) {
        std::printf("quarantined:\n");
        for (const auto& e : quar)
            std::printf("  %s  %s\n", e.name.c_str(), ob.reason_of("quarantine", e.name).c_str());
    }
    return 0;
}

int list(Outbox& ob, const std::string& where) {
    bool known = false;
    for (const char* p : kPlaces) known = known || where == p;
    if (!known) {
        std::fprintf(stderr, "aifactory spool list: '%s' is not one of new, dead, quarantine, sent, tmp\n",
                     where.c_str());
        return 2;
    }
    for (const auto& e : ob.list(where)) {
        std::string reason = (where == "dead" || where == "quarantine") ? ob.reason_of(where, e.name) : "";
        std::printf("%s  %6llu B  %s%s%s\n", e.id.empty() ? "(no id)" : e.id.c_str(),
                    static_cast<unsigned long long>(e.size), e.name.c_str(), reason.empty() ? "" : "  ",
                    reason.c_str());
    }
    return 0;
}

int show(Outbox& ob, const std::string& key) {
    std::string place;
    Outbox::Entry e;
    if (!find(ob, key, &place, &e)) {
        std::fprintf(stderr, "aifactory spool show: no record '%s' in %s\n", key.c_str(), ob.dir().c_str());
        return 1;
    }
    std::printf("%s/%s/%s\n", ob.dir().c_str(), place.c_str(), e.name.c_str());
    if (place == "dead" || place == "quarantine") std::printf("reason: %s\n", ob.reason_of(place, e.name).c_str());
    std::string why;
    auto body = ob.load(place, e.name, &why);
    if (!body) {
        std::printf("unreadable: %s\n", why.c_str());
        return 1;
    }
    try {
        std::printf("%s\n", aif::json::dump(aif::json::parse(*body, "record").get(), true).c_str());
    } catch (const std::exception&) {
        std::printf("%s\n", body->c_str());
    }
    return 0;
}

int requeue(Outbox& ob, const std::string& key) {
    if (key == "--dead" || key == "--quarantine") {
        std::string place = key.substr(2);
        int n = 0;
        for (const auto& e : ob.list(place)) n += ob.requeue(place, e.name);
        std::printf("requeued %d record(s) from %s/\n", n, place.c_str());
        return 0;
    }
    std::string place;
    Outbox::Entry e;
    if (!find(ob, key, &place, &e) || place == "new" || place == "tmp") {
        std::fprintf(stderr, "aifactory spool requeue: no dead, quarantined or sent record '%s'\n", key.c_str());
        return 1;
    }
    if (place == "sent") {
        if (std::rename((ob.dir() + "/sent/" + e.name).c_str(), (ob.dir() + "/new/" + e.name).c_str()) != 0) return 1;
    } else if (!ob.requeue(place, e.name)) {
        std::fprintf(stderr, "aifactory spool requeue: cannot move %s\n", e.name.c_str());
        return 1;
    }
    std::printf("requeued %s (was in %s/)\n", e.id.empty() ? e.name.c_str() : e.id.c_str(), place.c_str());
    return 0;
}

}  // namespace

namespace aif::cli {

int cmd_spool(int argc, char** argv) {
    std::string dir, config;
    int i = 1;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (a == "--outbox" && i + 1 < argc) {
            dir = argv[++i];
        } else if (a == "--config" && i + 1 < argc) {
            config = argv[++i];
        } else {
            break;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    acct::OutboxLimits limits;
    if (dir.empty()) {
        std::string path = config.empty() ? acct::kDefaultSenderConfig : config;
        if (!config.empty() || ::access(path.c_str(), R_OK) == 0) {
            try {
                auto kv = acct::read_key_values(path, acct::sender_config_keys());
                dir = kv.count("outbox") ? kv["outbox"] : acct::kDefaultOutbox;
                auto cfg = acct::parse_sender_config(kv, path);
                limits = cfg.limits;
            } catch (const InputError& e) {
                if (dir.empty()) {
                    std::fprintf(stderr, "aifactory spool: %s\n", e.what());
                    return 2;
                }
            }
        } else {
            dir = acct::kDefaultOutbox;
        }
    }
    Outbox ob(dir, limits);
    std::string cmd = argv[i];
    std::string arg = i + 1 < argc ? argv[i + 1] : "";
    if (cmd == "status") return status(ob, arg == "--json");
    if (cmd == "list") return list(ob, arg.empty() ? "new" : arg);
    if (cmd == "show" || cmd == "requeue") {
        if (arg.empty()) {
            std::fprintf(stderr, "aifactory spool %s: give a record id or file name\n", cmd.c_str());
            return 2;
        }
        return cmd == "show" ? show(ob, arg) : requeue(ob, arg);
    }
    std::fprintf(stderr, "aifactory spool: unknown command '%s'\n", cmd.c_str());
    usage(stderr);
    return 2;
}

}  // namespace aif::cli
