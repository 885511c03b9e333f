// SSE4.2 CRC-32C. This translation unit alone is compiled with -msse4.2 (top CMakeLists.txt) and is
// entered only after crc32c.cpp has checked cpuid. It deliberately includes nothing but the
// intrinsics header and <cstddef>/<cstdint>: an inline library function instantiated here would be
// compiled with SSE4.2 and could be the copy the linker keeps for the whole program.
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#endif

namespace eddy::record::detail {

uint32_t crc32c_sse42_update(uint32_t crc, const unsigned char* data, size_t size) {
#if defined(__x86_64__)
    uint64_t c = crc;
    // Align to 8 so the 8-byte loads below are aligned (faster on older cores, harmless elsewhere).
    while (size > 0 && (reinterpret_cast<uintptr_t>(data) & 7) != 0) {
        c = _mm_crc32_u8(static_cast<uint32_t>(c), *data);
        ++data;
        --size;
    }
    while (size >= 8) {
        uint64_t word;
        __builtin_memcpy(&word, data, 8);  // little-endian load, as the instruction expects
        c = _mm_crc32_u64(c, word);
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
