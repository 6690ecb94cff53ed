// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory spool`: look into and repair the accounting outbox (operators).
//   status            counts, oldest unacknowledged record, the bound, the sender's state
//   list [WHERE]      records in new (default), dead, quarantine, sent or tmp, with reasons
//   show ID|NAME      one record (pretty JSON) and where it is
//   requeue ID|NAME|--dead|--quarantine   move back to new/ for another delivery attempt
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <ctime>
#include <string>
#include <vector>

#include "acct/config.hpp"
#include "acct/outbox.hpp"
#include "record/record.hpp"
#include "acct/sender.hpp"
#include "args.hpp"
#include "commands.hpp"
#include "spool_test_record.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace {

using aif::acct::Outbox;

std::string age(std::int64_t seconds) {
    if (seconds < 0) seconds = 0;
    if (seconds < 120) return std::to_string(seconds) + " s";
    if (seconds < 7200) return std::to_string(seconds / 60) + " min";
    if (seconds < 172800) return std::to_string(seconds / 3600) + " h";
    return std::to_string(seconds / 86400) + " days";
}

std::string mib(std::uint64_t b) { return aif::fmt_fixed(static_cast<double>(b) / (1024.0 * 1024.0), 1) + " MiB"; }

const char* const kPlaces[] = {"new", "dead", "quarantine", "sent", "tmp"};

struct Found {
    std::string place;
    Outbox::Entry entry;
};

// Finds a record by its id or file name, or by a prefix of either (`spool list` shows ids).
// A whole id or name wins over prefixes; a prefix that fits several records is an InputError
// naming some of them. Nothing found: nullopt.
std::optional<Found> find(const Outbox& ob, const std::string& key) {
    std::vector<Found> exact, prefix;
    for (const char* p : kPlaces)
        for (const auto& e : ob.list(p)) {
            if (e.name == key || e.id == key) exact.push_back({p, e});
            else if (e.name.rfind(key, 0) == 0 || e.id.rfind(key, 0) == 0) prefix.push_back({p, e});
        }
    if (!exact.empty()) return exact.front();  // the same id in two places: the first in kPlaces order
    if (prefix.size() == 1) return prefix.front();
    if (prefix.empty()) return std::nullopt;
    std::string some;
    for (std::size_t i = 0; i < prefix.size() && i < 3; ++i)
        some += (i ? ", " : "") + prefix[i].place + "/" + prefix[i].entry.name;
    throw aif::InputError("'" + aif::printable(key) + "' starts " + std::to_string(prefix.size()) +
                          " records (" + some + (prefix.size() > 3 ? ", ..." : "") + "); give more of it");
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
    const auto found = find(ob, key);
    if (!found) {
        std::fprintf(stderr, "aifactory spool show: no record '%s' (id, file name or a prefix of one) in %s\n",
                     aif::printable(key).c_str(), ob.dir().c_str());
        return 1;
    }
    const std::string& place = found->place;
    const Outbox::Entry& e = found->entry;
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

int requeue_all(Outbox& ob, const std::string& place) {
    int n = 0;
    for (const auto& e : ob.list(place)) n += ob.requeue(place, e.name);
    std::printf("requeued %d record(s) from %s/\n", n, place.c_str());
    return 0;
}

int requeue(Outbox& ob, const std::string& key) {
    const auto found = find(ob, key);
    if (!found || found->place == "new" || found->place == "tmp") {
        std::fprintf(stderr, "aifactory spool requeue: no dead, quarantined or sent record '%s'\n",
                     aif::printable(key).c_str());
        return 1;
    }
    const std::string& place = found->place;
    const Outbox::Entry& e = found->entry;
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

namespace {

const CommandSpec& spec() {
    static const CommandSpec s{
        "spool",
        "[--outbox DIR] [--config FILE] COMMAND [ARG]",
        "Look into and repair the accounting outbox. COMMAND is one of:\n"
        "  status [--json]                      counts, oldest waiting record, sender state\n"
        "  list [new|dead|quarantine|sent|tmp]  records there (default new), with reasons\n"
        "  show ID                              one record and where it is\n"
        "  requeue ID|--dead|--quarantine       send again: move back to new/\n"
        "  test-record [--job-id N]             write one synthetic step record through the\n"
        "                                       plugins' producer (acct.conf), to test delivery\n"
        "ID is a record id or file name, or the start of one.",
        {
            {"outbox", Takes::Value, "DIR", "the outbox directory"},
            {"config", Takes::Value, "FILE", "sender configuration: the outbox and its bounds"},
            {"json", Takes::Nothing, "", "status as JSON"},
            {"dead", Takes::Nothing, "", "requeue every dead letter"},
            {"quarantine", Takes::Nothing, "", "requeue every quarantined record"},
            {"acct-config", Takes::Value, "FILE", "test-record: producer config (default $AIFACTORY_ACCT_CONF, else /etc/aifactory/acct.conf)"},
            {"job-id", Takes::Value, "N", "test-record: the job id to use (default 999999999)"},
            {"cluster", Takes::Value, "NAME", "test-record: the cluster (default 'cluster' in acct.conf)"},
        },
        std::string("The outbox is --outbox, else 'outbox' in the sender config (default ") +
            acct::kDefaultSenderConfig + "),\nelse " + acct::kDefaultOutbox + ".",
        2};
    return s;
}

// Which options go with which command: anything else would be silently ignored.
void check_command(const ParsedArgs& args, const std::string& cmd) {
    const bool takes_arg = cmd == "list" || cmd == "show" || cmd == "requeue";
    if (!takes_arg && args.words.size() > 1)
        throw InputError("unexpected argument '" + printable(args.words[1]) + "'");
    if (args.has("json") && cmd != "status") throw InputError("--json goes with status only");
    for (const char* o : {"dead", "quarantine"})
        if (args.has(o) && cmd != "requeue") throw InputError(std::string("--") + o + " goes with requeue only");
    if (cmd == "test-record" && (args.has("outbox") || args.has("config")))
        throw InputError("test-record writes to the outbox acct.conf names (see --acct-config)");
    for (const char* o : {"acct-config", "job-id", "cluster"})
        if (args.has(o) && cmd != "test-record") throw InputError(std::string("--") + o + " goes with test-record only");
    forbid_together(args, "dead", "quarantine", "requeue one place at a time");
    if (cmd == "requeue" && (args.has("dead") || args.has("quarantine")) && args.words.size() > 1)
        throw InputError("give an ID or --dead/--quarantine, not both");
    if ((cmd == "show" || (cmd == "requeue" && !args.has("dead") && !args.has("quarantine"))) && args.words.size() < 2)
        throw InputError("give a record id or file name");
}

// The outbox directory and its bounds: --outbox, else the sender configuration's (whose bounds
// apply either way), else the default.
Outbox open_outbox(const std::string& dir_arg, const std::string& config) {
    acct::OutboxLimits limits;
    std::string dir = dir_arg;
    const std::string path = config.empty() ? acct::kDefaultSenderConfig : config;
    if (!config.empty() || (dir.empty() && ::access(path.c_str(), R_OK) == 0)) {
        auto kv = acct::read_key_values(path, acct::sender_config_keys());  // says "No such file" itself
        if (dir.empty()) dir = kv.count("outbox") ? kv["outbox"] : acct::kDefaultOutbox;
        try {
            limits = acct::parse_sender_config(kv, path).limits;
        } catch (const InputError&) {  // a bad url or token path does not hide the outbox
        }
    }
    if (dir.empty()) dir = acct::kDefaultOutbox;
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        throw std::runtime_error(dir + ": " + std::strerror(errno) + " (the outbox; see --outbox, --config)");
    if (!S_ISDIR(st.st_mode)) throw std::runtime_error(dir + ": not a directory (the outbox; see --outbox, --config)");
    return Outbox(dir, limits);
}

}  // namespace

int cmd_spool(int argc, char** argv) {
    std::string dir, config, cmd, arg, all, acct_config, cluster;
    std::uint32_t job_id = 999999999;
    bool json = false;
    try {
        const ParsedArgs args = parse_options(spec(), argc, argv);
        for (const Arg& a : args.options) {
            if (a.key == "outbox") dir = a.value;
            else if (a.key == "config") config = a.value;
            else if (a.key == "json") json = true;
            else if (a.key == "acct-config") acct_config = a.value;
            else if (a.key == "cluster") cluster = a.value;
            else if (a.key == "job-id") job_id = static_cast<std::uint32_t>(parse_int(a.value, "--job-id", 1, 4294967000LL));
            else all = a.key;  // dead, quarantine
        }
        if (args.words.empty())
            throw InputError("give a COMMAND: status, list, show, requeue or test-record (see --help)");
        const std::string& word = args.words[0];
        if (word != "status" && word != "list" && word != "show" && word != "requeue" && word != "test-record")
            throw InputError("unknown command '" + printable(word) + "' (status, list, show, requeue, test-record)");
        cmd = word;
        arg = args.words.size() > 1 ? args.words[1] : "";
        check_command(args, cmd);
        if (cmd == "test-record") return write_test_record(acct_config, cluster, job_id);  // acct.conf names its outbox
        Outbox ob = open_outbox(dir, config);
        if (cmd == "status") return status(ob, json);
        if (cmd == "list") return list(ob, arg.empty() ? "new" : arg);
        if (cmd == "show") return show(ob, arg);
        return all.empty() ? requeue(ob, arg) : requeue_all(ob, all);
    } catch (const HelpRequested&) {
        std::fputs(usage_text(spec()).c_str(), stdout);
        return 0;
    } catch (const InputError& e) {
        std::fprintf(stderr, "aifactory spool%s%s: %s\n", cmd.empty() ? "" : " ", cmd.c_str(), e.what());
        return 2;
    } catch (const std::runtime_error& e) {
        std::fprintf(stderr, "aifactory spool%s%s: %s\n", cmd.empty() ? "" : " ", cmd.c_str(), e.what());
        return 1;
    }
}

}  // namespace aif::cli
