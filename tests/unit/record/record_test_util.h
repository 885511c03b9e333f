// Helpers shared by the record tests: byte conversions and RapidCheck generators.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/record/compression.h"

namespace eddy::record::test {

inline Bytes to_bytes_vec(const std::vector<uint8_t>& v) {
    Bytes b;
    b.reserve(v.size());
    for (uint8_t x : v) {
        b.push_back(std::byte{x});
    }
    return b;
}

inline Bytes from_hex(std::string_view hex) {
    Bytes out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(
            std::byte(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16))));
    }
    return out;
}

inline constexpr Codec all_codecs[] = {Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd};

// Payloads that matter to codecs: random (incompressible), empty, and highly compressible runs.
inline rc::Gen<Bytes> gen_payload() {
    return rc::gen::oneOf(
        rc::gen::map(rc::gen::arbitrary<std::vector<uint8_t>>(), to_bytes_vec),
        rc::gen::just(Bytes{}),
        rc::gen::map(
            rc::gen::pair(rc::gen::inRange<size_t>(1, 300000), rc::gen::arbitrary<uint8_t>()),
            [](std::pair<size_t, uint8_t> p) { return Bytes(p.first, std::byte{p.second}); }),
        rc::gen::map(rc::gen::pair(rc::gen::arbitrary<std::vector<uint8_t>>(),
                                   rc::gen::inRange<size_t>(1, 2000)),
                     [](const std::pair<std::vector<uint8_t>, size_t>& p) {
                         Bytes out;
                         for (size_t i = 0; i < p.second; ++i) {
                             for (uint8_t x : p.first) {
                                 out.push_back(std::byte{x});
                             }
                         }
                         return out;
                     }));
}

}  // namespace eddy::record::test
