// CRC-32C: the slicing-by-8 table path and the run-time choice between it and SSE4.2.
//
// Slicing-by-8: table[0] is the classic byte-at-a-time table; table[k][b] is the CRC of byte b
// followed by k zero bytes, so eight input bytes fold into the register with eight lookups that do
// not depend on each other. The tables are built at compile time.
#include "core/record/crc32c.h"

#include <array>

#include "core/base/assert.h"

namespace eddy::record {
namespace {

constexpr uint32_t polynomial_reflected = 0x82F63B78u;

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
    Tables t{};
    for (uint32_t b = 0; b < 256; ++b) {
        uint32_t c = b;
        for (int bit = 0; bit < 8; ++bit) {
            c = (c & 1u) != 0 ? (c >> 1) ^ polynomial_reflected : c >> 1;
        }
        t[0][b] = c;
    }
    for (size_t k = 1; k < 8; ++k) {
        for (size_t b = 0; b < 256; ++b) {
            uint32_t prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][prev & 0xffu];
        }
    }
    return t;
}

constexpr Tables tables = make_tables();
static_assert(tables[0][1] == 0xF26B8303u, "CRC-32C table entry for 0x01 (reflected Castagnoli)");

uint32_t update_table(uint32_t crc, const unsigned char* p, size_t n) {
    while (n >= 8) {
        uint32_t lo = crc ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                             uint32_t{p[3]} << 24);
        crc = tables[7][lo & 0xffu] ^ tables[6][(lo >> 8) & 0xffu] ^ tables[5][(lo >> 16) & 0xffu] ^
              tables[4][lo >> 24] ^ tables[3][p[4]] ^ tables[2][p[5]] ^ tables[1][p[6]] ^
              tables[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        crc = (crc >> 8) ^ tables[0][(crc ^ *p) & 0xffu];
        ++p;
        --n;
    }
    return crc;
}

const unsigned char* raw(ByteSpan data) {
    return reinterpret_cast<const unsigned char*>(data.data());
}

bool detect_hw() {
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_cpu_supports("sse4.2") != 0;
#else
    return false;
#endif
}

}  // namespace

bool crc32c_hw_available() {
    static const bool available = detect_hw();
    return available;
}

uint32_t crc32c_table(ByteSpan data, uint32_t seed) {
    return ~update_table(~seed, raw(data), data.size());
}

uint32_t crc32c_hw(ByteSpan data, uint32_t seed) {
    ASSERT(crc32c_hw_available(), "crc32c_hw on a CPU without SSE4.2");
    return ~detail::crc32c_sse42_update(~seed, raw(data), data.size());
}

uint32_t crc32c(ByteSpan data, uint32_t seed) {
    if (crc32c_hw_available()) {
        return crc32c_hw(data, seed);
    }
    return crc32c_table(data, seed);
}

}  // namespace eddy::record
