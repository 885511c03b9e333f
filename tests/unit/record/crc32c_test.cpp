// CRC-32C: published vectors for both paths, and the hardware path against the table path.
#include "core/record/crc32c.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace eddy;
using namespace eddy::record;

namespace {

Bytes filled(size_t n, uint8_t v) { return Bytes(n, std::byte{v}); }

Bytes iota_bytes(size_t n, bool descending) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) {
        b[i] = std::byte(static_cast<uint8_t>(descending ? n - 1 - i : i));
    }
    return b;
}

Bytes from_hex(std::string_view hex) {
    Bytes out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(
            std::byte(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16))));
    }
    return out;
}

struct Vector {
    std::string name;
    Bytes data;
    uint32_t crc;
};

std::vector<Vector> known_vectors() {
    return {
        {"empty", Bytes{}, 0x00000000u},
        {"123456789", to_bytes("123456789"), 0xE3069283u},
        // RFC 3720 §B.4 (iSCSI) test patterns.
        {"32 zero bytes", filled(32, 0x00), 0x8A9136AAu},
        {"32 0xff bytes", filled(32, 0xff), 0x62A8AB43u},
        {"32 ascending bytes", iota_bytes(32, false), 0x46DD794Eu},
        {"32 descending bytes", iota_bytes(32, true), 0x113FDB5Cu},
        {"iSCSI read command PDU",
         from_hex("01c00000"
                  "00000000"
                  "00000000"
                  "00000000"
                  "14000000"
                  "00000400"
                  "00000014"
                  "00000018"
                  "28000000"
                  "00000000"
                  "02000000"
                  "00000000"),
         0xD9963A56u},
    };
}

}  // namespace

TEST_CASE("crc32c: known vectors on the table path") {
    for (const auto& v : known_vectors()) {
        CAPTURE(v.name);
        CHECK(crc32c_table(v.data) == v.crc);
    }
}

TEST_CASE("crc32c: known vectors on the SSE4.2 path") {
    if (!crc32c_hw_available()) {
        MESSAGE("no SSE4.2 on this CPU; hardware path not tested");
        return;
    }
    for (const auto& v : known_vectors()) {
        CAPTURE(v.name);
        CHECK(crc32c_hw(v.data) == v.crc);
        CHECK(crc32c(v.data) == v.crc);
    }
}

TEST_CASE("crc32c: hardware equals table on random inputs, offsets and seeds") {
    if (!crc32c_hw_available()) {
        MESSAGE("no SSE4.2 on this CPU; comparison skipped");
        return;
    }
    CHECK(rc::check("hw == table", [](const std::vector<uint8_t>& data, uint32_t seed) {
        ByteSpan all(reinterpret_cast<const std::byte*>(data.data()), data.size());
        // Every start offset below 8 exercises the hardware path's alignment prologue.
        for (size_t skip = 0; skip < 8 && skip <= all.size(); ++skip) {
            ByteSpan s = all.subspan(skip);
            RC_ASSERT(crc32c_hw(s, seed) == crc32c_table(s, seed));
        }
    }));
}

TEST_CASE("crc32c: the seed continues a CRC across pieces") {
    CHECK(rc::check("crc(a ++ b) == crc(b, crc(a))",
                    [](const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
                        Bytes ab;
                        for (uint8_t x : a) {
                            ab.push_back(std::byte{x});
                        }
                        for (uint8_t x : b) {
                            ab.push_back(std::byte{x});
                        }
                        ByteSpan sa(ab.data(), a.size());
                        ByteSpan sb(ab.data() + a.size(), b.size());
                        RC_ASSERT(crc32c_table(ab) == crc32c_table(sb, crc32c_table(sa)));
                        RC_ASSERT(crc32c(ab) == crc32c(sb, crc32c(sa)));
                    }));
}

TEST_CASE("crc32c: a large buffer agrees across paths") {
    Bytes big(1 << 20);
    uint32_t x = 12345;
    for (auto& b : big) {
        x = x * 1103515245u + 12345u;
        b = std::byte(static_cast<uint8_t>(x >> 24));
    }
    uint32_t table = crc32c_table(big);
    CHECK(crc32c(big) == table);
}

TEST_CASE("crc32c: the three-stream hardware path equals the table path at every length class") {
    if (!crc32c_hw_available()) {
        MESSAGE("no SSE4.2 on this CPU; comparison skipped");
        return;
    }
    // Deterministic pseudo-random bytes, big enough for several 3 × 8 KiB blocks.
    Bytes big((3 << 16) + 64);
    uint64_t x = 0x9E3779B97F4A7C15u;
    auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    for (auto& b : big) {
        b = std::byte(static_cast<uint8_t>(next()));
    }
    // The block boundaries of the hardware path (3 × 256 and 3 × 8192 bytes) and around them,
    // then random lengths; every start alignment 0..15 and a random seed each.
    std::vector<size_t> lengths = {0,     1,     7,           8,     9,     255,  256,  767,
                                   768,   769,   775,         776,   1535,  1536, 1537, 24575,
                                   24576, 24577, 24576 + 768, 49152, 49159, 65536};
    for (int i = 0; i < 300; ++i) {
        lengths.push_back(static_cast<size_t>(next() % (big.size() - 16)));
    }
    for (size_t len : lengths) {
        for (size_t skip = 0; skip < 16; ++skip) {
            CAPTURE(len);
            CAPTURE(skip);
            const ByteSpan s(big.data() + skip, len);
            const auto seed = static_cast<uint32_t>(next());
            REQUIRE(crc32c_hw(s, seed) == crc32c_table(s, seed));
            REQUIRE(crc32c_hw(s) == crc32c_table(s));
        }
    }
}
