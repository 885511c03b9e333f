// Fuzz target: the four decompressors under an output cap, and compress/decompress round trips.
//
// Byte 0 picks the codec (bits 0-1) and the cap (the rest); the remaining bytes are the input.
// Invariants: decompression never returns more than the cap; whatever decompresses re-compresses
// and decompresses to itself; compressing the raw input round-trips with a cap of exactly its size
// and is refused with a cap one byte smaller.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "core/base/assert.h"
#include "core/record/compression.h"

using namespace eddy;
using namespace eddy::record;

namespace {

constexpr Codec codecs[] = {Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd};
constexpr size_t caps[] = {0, 1, 100, 4096, 65536, size_t{1} << 20};

void round_trip(Codec codec, ByteSpan plain, CompressOptions options = {}) {
    auto c = compress(codec, plain, options);
    ASSERT(c.ok(), "compress failed");
    auto d = decompress(codec, *c, plain.size());
    ASSERT(d.ok(), "own output does not decompress");
    ASSERT(ByteSpan(*d).size() == plain.size() && std::equal(d->begin(), d->end(), plain.begin()),
           "round trip changed the data");
    if (!plain.empty()) {
        auto small = decompress(codec, *c, plain.size() - 1);
        ASSERT(!small.ok() && small.error() == CompressionError::output_too_large,
               "cap one byte short was not refused");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    Codec codec = codecs[data[0] & 3u];
    size_t cap = caps[(data[0] >> 2) % std::size(caps)];
    ByteSpan in(reinterpret_cast<const std::byte*>(data + 1), size - 1);

    auto d = decompress(codec, in, cap);
    if (d.ok()) {
        ASSERT(d->size() <= cap, "decompressed past the cap");
        round_trip(codec, *d);
    }
    round_trip(codec, in);
    if (codec == Codec::snappy) {
        round_trip(codec, in, {.snappy_framing = SnappyFraming::xerial});
    }
    return 0;
}
