// SPDX-License-Identifier: GPL-2.0-or-later
// Digests from nettle, CRC-32 from zlib. Records are a few hundred bytes, so one call each.
#include "record/hash.hpp"

#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <zlib.h>

namespace aif::record {
namespace {

const std::uint8_t* bytes(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

}  // namespace

std::array<std::uint8_t, 20> sha1(std::string_view data) {
    sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, data.size(), bytes(data));
    std::array<std::uint8_t, 20> out{};
    sha1_digest(&ctx, out.size(), out.data());
    return out;
}

std::array<std::uint8_t, 32> sha256(std::string_view data) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, data.size(), bytes(data));
    std::array<std::uint8_t, 32> out{};
    sha256_digest(&ctx, out.size(), out.data());
    return out;
}

std::array<std::uint8_t, 32> hmac_sha256(std::string_view key, std::string_view data) {
    hmac_sha256_ctx ctx;
    hmac_sha256_set_key(&ctx, key.size(), bytes(key));
    hmac_sha256_update(&ctx, data.size(), bytes(data));
    std::array<std::uint8_t, 32> out{};
    hmac_sha256_digest(&ctx, out.size(), out.data());
    return out;
}

std::uint32_t crc32(std::string_view data) {
    // zlib takes uInt lengths; feed it in chunks so sizes past 4 GiB stay correct.
    uLong c = ::crc32(0L, Z_NULL, 0);
    while (!data.empty()) {
        uInt n = data.size() > (1u << 30) ? (1u << 30) : static_cast<uInt>(data.size());
        c = ::crc32(c, bytes(data), n);
        data.remove_prefix(n);
    }
    return static_cast<std::uint32_t>(c);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && (a.empty() || memeql_sec(a.data(), b.data(), a.size()) != 0);
}

std::string to_hex(const std::uint8_t* p, std::size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        s.push_back(digits[p[i] >> 4]);
        s.push_back(digits[p[i] & 15]);
    }
    return s;
}

}  // namespace aif::record
