// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the collector's POST /v1/records handler without the HTTP layer — request
// body parsing, per-record validation (check_record) and the store, an SQLite file in /tmp.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "collect/server.hpp"
#include "collect/store.hpp"
#include "collect/validate.hpp"
#include "common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static std::unique_ptr<aif::collect::Store> store = [] {
        const char* dir = std::getenv("TMPDIR");  // tests/fuzz_all.sh points it into build-fuzz/
        std::string path = std::string(dir ? dir : "/tmp") + "/aif-fuzz-collector-" + std::to_string(getpid()) + ".db";
        std::remove(path.c_str());
        return aif::collect::open_sqlite(path);
    }();
    static const aif::collect::ServerConfig cfg;
    std::string_view body(reinterpret_cast<const char*>(data), size);
    aif::collect::Principal who{"site-a"};
    aif::collect::Reply r = aif::collect::ingest(*store, who, body, cfg);
    if (r.status < 200 || r.status > 599) __builtin_trap();
    try {
        (void)aif::collect::check_record(body);
    } catch (const aif::InputError&) {
    }
    (void)aif::collect::parse_time(body);
    return 0;
}
