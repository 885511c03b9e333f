// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of RecordBatch v2.
//
// Two implementations compute the same function: a portable slicing-by-8 table walk and the
// SSE4.2 `crc32` instruction (three interleaved streams, combined; crc32c_sse42.cpp). `crc32c()`
// picks the hardware one when the CPU has it (cpuid, checked once); both stay callable so tests can
// compare them on any machine that has SSE4.2.
//
// Seed convention: the seed is the CRC of the bytes that came before, so
// crc32c(b, crc32c(a)) == crc32c(a ++ b) and crc32c(x) == crc32c(x, 0).
#pragma once

#include <cstdint>

#include "core/base/bytes.h"

namespace eddy::record {

uint32_t crc32c(ByteSpan data, uint32_t seed = 0);

// The table path: any CPU.
uint32_t crc32c_table(ByteSpan data, uint32_t seed = 0);

// The SSE4.2 path. Precondition (ASSERTed): crc32c_hw_available().
uint32_t crc32c_hw(ByteSpan data, uint32_t seed = 0);
bool crc32c_hw_available();

namespace detail {
// Implemented in crc32c_sse42.cpp, the one file compiled with -msse4.2. It takes plain pointers
// and includes no library headers, so no inline function gets an SSE4.2 copy that the linker
// could pick for callers on CPUs without it. `crc` is the raw register (already inverted).
uint32_t crc32c_sse42_update(uint32_t crc, const unsigned char* data, size_t size);
}  // namespace detail

}  // namespace eddy::record
