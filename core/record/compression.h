// The four Kafka record compression codecs, as they appear inside RecordBatch v2 (attributes bits
// 0-2) and as the three target clients write them (CLIENTS.md §5):
//
//   gzip    an RFC 1952 stream (several concatenated members are accepted, as Java's reader does)
//   snappy  raw snappy (librdkafka) or xerial framing (Java, kafka-python): "\x82SNAPPY\0",
//           int32 version, int32 compatible-version, then [int32 length, raw snappy block]...
//           The framing is recognised by its 8-byte magic; anything else is raw.
//   lz4     the LZ4 frame format (lz4frame), with proper header checksums (magic 2 only; the
//           broken pre-0.10 checksum of magic-0 messages never reaches us)
//   zstd    standard zstd frames, decoded as a stream so the cap holds even when the frame does
//           not declare its content size
//
// Decompression bomb defence: every decompressor takes `output_max` and fails with
// `output_too_large` rather than hold more than that many output bytes. Memory the codecs allocate
// internally is bounded too (zstd's window, see compression.cpp). No codec starts a thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "core/record/limits.h"

namespace eddy::record {

// Attributes bits 0-2. Values 5-7 are not codecs; `codec_from_attributes` rejects them.
enum class Codec : uint8_t {
    none = 0,
    gzip = 1,
    snappy = 2,
    lz4 = 3,
    zstd = 4,
};

enum class CompressionError : uint8_t {
    unsupported_codec,  // attribute value 5-7
    corrupt,            // the codec rejected the input (bad header, checksum, truncation, ...)
    output_too_large,   // decompressed data would exceed the caller's cap
    input_too_large,    // compress: the codec cannot take this much input at once
};

std::string_view to_string(Codec codec);
std::string_view to_string(CompressionError error);

// Snappy has two wire forms; `compress` writes raw by default, as librdkafka does.
enum class SnappyFraming : uint8_t { raw, xerial };

struct CompressOptions {
    SnappyFraming snappy_framing = SnappyFraming::raw;
};

// Decompress `input` written with `codec` (not `none`). Fails rather than produce more than
// `output_max` bytes; output_max must not exceed limits::decompressed_bytes_max (ASSERTed).
Result<Bytes, CompressionError> decompress(Codec codec, ByteSpan input,
                                           size_t output_max = limits::decompressed_bytes_default);

// Compress `input` with `codec` (not `none`) at `level` (Kafka's compression.gzip/lz4/zstd.level,
// KIP-390), or the codec's default level below when nullopt. Precondition (ASSERTed by the codec):
// the level is within the codec's range (gzip -1..9, lz4 1..17, zstd -131072..22); snappy has no
// levels and ignores it.
Result<Bytes, CompressionError> compress(Codec codec, ByteSpan input, CompressOptions options = {},
                                         std::optional<int> level = std::nullopt);

namespace detail {
// Shortens `b` to its first `n` bytes. Spelled as erase rather than resize() because g++ 12 at -O3
// (with sanitizers) cannot see that such a resize only shrinks, and warns of a huge memset.
inline void truncate_to(Bytes& b, size_t n) {
    ASSERT(n <= b.size());
    b.erase(b.begin() + static_cast<std::ptrdiff_t>(n), b.end());
}

// Per-codec entry points (compression_*.cpp), called by decompress/compress.
Result<Bytes, CompressionError> gzip_decompress(ByteSpan input, size_t output_max);
Result<Bytes, CompressionError> gzip_compress(ByteSpan input, std::optional<int> level);
Result<Bytes, CompressionError> snappy_decompress(ByteSpan input, size_t output_max);
Result<Bytes, CompressionError> snappy_compress(ByteSpan input, SnappyFraming framing);
Result<Bytes, CompressionError> lz4_decompress(ByteSpan input, size_t output_max);
Result<Bytes, CompressionError> lz4_compress(ByteSpan input, std::optional<int> level);
Result<Bytes, CompressionError> zstd_decompress(ByteSpan input, size_t output_max);
Result<Bytes, CompressionError> zstd_compress(ByteSpan input, std::optional<int> level);

// An output buffer that grows geometrically up to `max + 1` bytes: codecs write into `free()`,
// `commit()` what they wrote, and report output_too_large once `exceeded()` (or when `free()` is
// empty while the codec still has output). Growth starts from a guess based on the input size.
class CappedOutput {
public:
    CappedOutput(size_t input_size, size_t max);
    // Writable space after the committed bytes; grows the buffer when it is full. Empty only
    // once more than `max` bytes have been committed.
    MutableByteSpan free();
    void commit(size_t n);
    size_t size() const { return size_; }
    bool exceeded() const { return size_ == max_; }
    // The committed bytes. Precondition: !exceeded().
    Bytes take() &&;

private:
    Bytes buf_;
    size_t size_ = 0;
    size_t max_;
};
}  // namespace detail

}  // namespace eddy::record
