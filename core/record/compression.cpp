// Codec dispatch and the capped output buffer the decompressors share. See compression.h.
#include "core/record/compression.h"

#include <algorithm>

namespace eddy::record {

std::string_view to_string(Codec codec) {
    switch (codec) {
        case Codec::none:
            return "none";
        case Codec::gzip:
            return "gzip";
        case Codec::snappy:
            return "snappy";
        case Codec::lz4:
            return "lz4";
        case Codec::zstd:
            return "zstd";
    }
    return "unknown";
}

std::string_view to_string(CompressionError error) {
    switch (error) {
        case CompressionError::unsupported_codec:
            return "unsupported compression codec";
        case CompressionError::corrupt:
            return "compressed data is corrupt";
        case CompressionError::output_too_large:
            return "decompressed data exceeds the size cap";
        case CompressionError::input_too_large:
            return "input too large to compress";
    }
    return "unknown compression error";
}

Result<Bytes, CompressionError> decompress(Codec codec, ByteSpan input, size_t output_max) {
    ASSERT(output_max <= limits::decompressed_bytes_max);
    // A compressed blob lives inside one batch, whose length is an int32.
    if (input.size() > size_t{INT32_MAX}) {
        return fail(CompressionError::corrupt);
    }
    switch (codec) {
        case Codec::none:
            UNREACHABLE("decompress(Codec::none)");
        case Codec::gzip:
            return detail::gzip_decompress(input, output_max);
        case Codec::snappy:
            return detail::snappy_decompress(input, output_max);
        case Codec::lz4:
            return detail::lz4_decompress(input, output_max);
        case Codec::zstd:
            return detail::zstd_decompress(input, output_max);
    }
    return fail(CompressionError::unsupported_codec);
}

Result<Bytes, CompressionError> compress(Codec codec, ByteSpan input, CompressOptions options,
                                         std::optional<int> level) {
    if (input.size() > limits::decompressed_bytes_max) {
        return fail(CompressionError::input_too_large);
    }
    switch (codec) {
        case Codec::none:
            UNREACHABLE("compress(Codec::none)");
        case Codec::gzip:
            return detail::gzip_compress(input, level);
        case Codec::snappy:
            return detail::snappy_compress(input, options.snappy_framing);
        case Codec::lz4:
            return detail::lz4_compress(input, level);
        case Codec::zstd:
            return detail::zstd_compress(input, level);
    }
    return fail(CompressionError::unsupported_codec);
}

namespace detail {

// The buffer may hold one byte more than the cap: a decompressor that manages to write that byte
// has proven the output too large without ever being handed the rest of a bomb.
CappedOutput::CappedOutput(size_t input_size, size_t max) : max_(max + 1) {
    constexpr size_t initial_min = 4096;
    size_t guess = input_size > max_ / 4 ? max_ : std::max(initial_min, input_size * 4);
    buf_.resize(std::min(guess, max_));
}

MutableByteSpan CappedOutput::free() {
    if (size_ == buf_.size() && buf_.size() < max_) {
        buf_.resize(buf_.size() > max_ / 2 ? max_ : buf_.size() * 2);
    }
    return MutableByteSpan(buf_).subspan(size_);
}

void CappedOutput::commit(size_t n) {
    ASSERT(n <= buf_.size() - size_);
    size_ += n;
}

Bytes CappedOutput::take() && {
    ASSERT(!exceeded());
    truncate_to(buf_, size_);
    return std::move(buf_);
}

}  // namespace detail
}  // namespace eddy::record
