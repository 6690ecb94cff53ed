// SPDX-License-Identifier: GPL-2.0-or-later
// Digests for accounting: SHA-1 (UUIDv5 ids), SHA-256 and HMAC-SHA-256 (user pseudonyms), CRC-32
// (outbox file framing). Thin wrappers over nettle and zlib; the RFC/FIPS vectors are unit-tested.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace aif::record {

std::array<std::uint8_t, 20> sha1(std::string_view data);
std::array<std::uint8_t, 32> sha256(std::string_view data);
std::array<std::uint8_t, 32> hmac_sha256(std::string_view key, std::string_view data);
std::uint32_t crc32(std::string_view data);

// Compares secrets (tokens, passwords) in time independent of where they differ; the length is
// not secret.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string to_hex(const std::uint8_t* p, std::size_t n);
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& a) {
    return to_hex(a.data(), N);
}

}  // namespace aif::record
