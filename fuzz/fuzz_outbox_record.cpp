// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: a record file read back from the outbox (the sender trusts nothing on disk:
// torn writes, bit rot, files dropped in by hand). unframe() must reject or return the JSON;
// the JSON then goes through the producer-side schema check, as the sender does.
#include <cstddef>
#include <cstdint>
#include <string>

#include "acct/outbox.hpp"
#include "record/record.hpp"
#include "common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string file(reinterpret_cast<const char*>(data), size);
    std::string why;
    auto json = aif::acct::Outbox::unframe(file, &why);
    const std::string& body = json ? *json : file;
    try {
        (void)aif::record::validate(body);
    } catch (const aif::InputError&) {
    }
    if (json) {
        // A framed record must unframe to itself.
        auto again = aif::acct::Outbox::unframe(aif::acct::Outbox::frame(*json), &why);
        if (!again || *again != *json) __builtin_trap();
    }
    return 0;
}
