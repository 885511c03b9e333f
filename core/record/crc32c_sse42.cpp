// SSE4.2 CRC-32C, three interleaved streams (see below). This translation unit alone is compiled
// with -msse4.2 (top CMakeLists.txt) and is entered only after crc32c.cpp has checked cpuid. It
// deliberately includes nothing but the intrinsics header and <cstddef>/<cstdint>: an inline
// library function instantiated here would be compiled with SSE4.2 and could be the copy the
// linker keeps for the whole program.
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#endif

namespace eddy::record::detail {
namespace {

// Three interleaved streams. The crc32 instruction has a latency of 3 cycles but a throughput
// of one per cycle, so one dependent chain uses a third of what the unit can do: three
// independent chains over three adjacent blocks run ~3x faster. The blocks' CRCs are then
// combined: the raw register is linear over GF(2), so for blocks A, B (|B| = n bytes)
//   reg(s, A ++ B) = zeros_n(reg(s, A)) ^ reg(0, B)
// where zeros_n is the (linear) effect of n zero bytes on the register, applied below as four
// 256-entry tables indexed by the register's bytes (Mark Adler's crc32c.c, zlib's
// crc32_combine). Long blocks amortise the combine over big batches; short ones still help the
// ~1 KiB batches of a producer with linger 0.
constexpr size_t block_long = 8192;
constexpr size_t block_short = 256;

constexpr uint32_t polynomial_reflected = 0x82F63B78u;

struct Matrix {
    uint32_t rows[32];  // the images of the 32 one-bit registers
};

constexpr uint32_t times(const Matrix& m, uint32_t v) {
    uint32_t sum = 0;
    for (int i = 0; v != 0; ++i, v >>= 1) {
        if ((v & 1u) != 0) {
            sum ^= m.rows[i];
        }
    }
    return sum;
}

constexpr Matrix square(const Matrix& m) {
    Matrix out{};
    for (int i = 0; i < 32; ++i) {
        out.rows[i] = times(m, m.rows[i]);
    }
    return out;
}

// The operator that feeds `bytes` zero bytes (a power of two) into the register.
constexpr Matrix zeros_operator(size_t bytes) {
    Matrix op{};  // one zero bit
    op.rows[0] = polynomial_reflected;
    for (int i = 1; i < 32; ++i) {
        op.rows[i] = uint32_t{1} << (i - 1);
    }
    for (int i = 0; i < 3; ++i) {
        op = square(op);  // 2, 4, 8 bits: one byte
    }
    for (size_t n = 1; n < bytes; n *= 2) {
        op = square(op);
    }
    return op;
}

struct ZerosTable {
    uint32_t t[4][256];
};

constexpr ZerosTable make_zeros_table(size_t bytes) {
    const Matrix op = zeros_operator(bytes);
    ZerosTable z{};
    for (uint32_t b = 0; b < 256; ++b) {
        for (int k = 0; k < 4; ++k) {
            z.t[k][b] = times(op, b << (8 * k));
        }
    }
    return z;
}

constexpr ZerosTable zeros_long = make_zeros_table(block_long);
constexpr ZerosTable zeros_short = make_zeros_table(block_short);
static_assert((block_long & (block_long - 1)) == 0 && (block_short & (block_short - 1)) == 0,
              "zeros_operator takes powers of two");
static_assert(block_long % 8 == 0 && block_short % 8 == 0, "blocks are whole 8-byte words");

inline uint32_t shift(const ZerosTable& z, uint32_t crc) {
    return z.t[0][crc & 0xffu] ^ z.t[1][(crc >> 8) & 0xffu] ^ z.t[2][(crc >> 16) & 0xffu] ^
           z.t[3][crc >> 24];
}

#if defined(__x86_64__)
inline uint64_t load64(const unsigned char* p) {
    uint64_t word;
    __builtin_memcpy(&word, p, 8);  // little-endian load, as the instruction expects
    return word;
}

// Three streams over as many 3 * block-byte runs as fit; returns the register.
inline uint64_t three_streams(uint64_t c0, const unsigned char*& data, size_t& size, size_t block,
                              const ZerosTable& z) {
    while (size >= 3 * block) {
        uint64_t c1 = 0;
        uint64_t c2 = 0;
        const unsigned char* end = data + block;
        do {
            c0 = _mm_crc32_u64(c0, load64(data));
            c1 = _mm_crc32_u64(c1, load64(data + block));
            c2 = _mm_crc32_u64(c2, load64(data + 2 * block));
            data += 8;
        } while (data < end);
        c0 = shift(z, static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
        c0 = shift(z, static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c2);
        data += 2 * block;
        size -= 3 * block;
    }
    return c0;
}
#endif

}  // namespace

uint32_t crc32c_sse42_update(uint32_t crc, const unsigned char* data, size_t size) {
#if defined(__x86_64__)
    uint64_t c = crc;
    // Align to 8 so the 8-byte loads below are aligned (faster on older cores, harmless elsewhere).
    while (size > 0 && (reinterpret_cast<uintptr_t>(data) & 7) != 0) {
        c = _mm_crc32_u8(static_cast<uint32_t>(c), *data);
        ++data;
        --size;
    }
    c = three_streams(c, data, size, block_long, zeros_long);
    c = three_streams(c, data, size, block_short, zeros_short);
    while (size >= 8) {
        c = _mm_crc32_u64(c, load64(data));
        data += 8;
        size -= 8;
    }
    auto c32 = static_cast<uint32_t>(c);
    while (size > 0) {
        c32 = _mm_crc32_u8(c32, *data);
        ++data;
        --size;
    }
    return c32;
#elif defined(__i386__)
    while (size > 0) {
        crc = _mm_crc32_u8(crc, *data);
        ++data;
        --size;
    }
    return crc;
#else
    // Not reachable: crc32c_hw_available() is false off x86.
    (void)data;
    (void)size;
    return crc;
#endif
}

}  // namespace eddy::record::detail
