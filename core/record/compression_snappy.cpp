// Snappy, raw and xerial-framed (compression.h). Both forms declare every block's uncompressed
// length up front, so the cap is checked before anything is allocated: for xerial the chunk
// headers are walked once to add up the declared lengths, then the chunks are decoded.
//
// Xerial framing (snappy-java's SnappyOutputStream, kafka-python's snappy_encode):
//   magic "\x82SNAPPY\0" (8 bytes), int32 BE version (1), int32 BE compatible version (1),
//   then chunks: int32 BE compressed length, that many bytes of one raw snappy block.
// Like librdkafka we do not insist on particular version numbers.
#include <snappy.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "core/record/compression.h"

namespace eddy::record::detail {
namespace {

constexpr std::array<unsigned char, 8> xerial_magic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t xerial_header_bytes = 16;
constexpr uint32_t xerial_version = 1;
// Block size of snappy-java and kafka-python; any size decodes.
constexpr size_t xerial_block_bytes = 32 * 1024;

const char* chars(ByteSpan s) { return reinterpret_cast<const char*>(s.data()); }

bool is_xerial(ByteSpan input) {
    return input.size() >= xerial_header_bytes &&
           std::memcmp(input.data(), xerial_magic.data(), xerial_magic.size()) == 0;
}

// Declared uncompressed length of one raw block, or nullopt if its header is malformed.
std::optional<size_t> raw_length(ByteSpan block) {
    size_t n = 0;
    if (block.empty() || !snappy::GetUncompressedLength(chars(block), block.size(), &n)) {
        return std::nullopt;
    }
    return n;
}

// Splits the xerial body into its raw blocks, calling fn(block) for each; false if framing is bad.
template <typename Fn>
bool for_each_xerial_chunk(ByteSpan input, Fn&& fn) {
    ByteSpan rest = input.subspan(xerial_header_bytes);
    while (!rest.empty()) {
        if (rest.size() < 4) {
            return false;
        }
        uint32_t len = load_be<uint32_t>(rest.data());
        rest = rest.subspan(4);
        if (len == 0 || len > rest.size()) {
            return false;
        }
        if (!fn(rest.first(len))) {
            return false;
        }
        rest = rest.subspan(len);
    }
    return true;
}

}  // namespace

Result<Bytes, CompressionError> snappy_decompress(ByteSpan input, size_t output_max) {
    if (!is_xerial(input)) {
        std::optional<size_t> n = raw_length(input);
        if (!n) {
            return fail(CompressionError::corrupt);
        }
        if (*n > output_max) {
            return fail(CompressionError::output_too_large);
        }
        Bytes out(*n);
        if (!snappy::RawUncompress(chars(input), input.size(),
                                   reinterpret_cast<char*>(out.data()))) {
            return fail(CompressionError::corrupt);
        }
        return out;
    }

    size_t total = 0;
    bool too_large = false;
    bool framed = for_each_xerial_chunk(input, [&](ByteSpan block) {
        std::optional<size_t> n = raw_length(block);
        if (!n) {
            return false;
        }
        if (*n > output_max - total) {
            too_large = true;
            return false;
        }
        total += *n;
        return true;
    });
    if (too_large) {
        return fail(CompressionError::output_too_large);
    }
    if (!framed) {
        return fail(CompressionError::corrupt);
    }
    Bytes out(total);
    size_t at = 0;
    framed = for_each_xerial_chunk(input, [&](ByteSpan block) {
        size_t n = raw_length(block).value();  // checked by the first walk
        bool ok = snappy::RawUncompress(chars(block), block.size(),
                                        reinterpret_cast<char*>(out.data() + at));
        at += n;
        return ok;
    });
    if (!framed) {
        return fail(CompressionError::corrupt);
    }
    ASSERT(at == total);
    return out;
}

Result<Bytes, CompressionError> snappy_compress(ByteSpan input, SnappyFraming framing) {
    auto raw_block = [](Bytes& out, ByteSpan block) {
        size_t at = out.size();
        out.resize(at + snappy::MaxCompressedLength(block.size()));
        size_t n = 0;
        snappy::RawCompress(chars(block), block.size(), reinterpret_cast<char*>(out.data() + at),
                            &n);
        truncate_to(out, at + n);
        return n;
    };
    Bytes out;
    switch (framing) {
        case SnappyFraming::raw:
            raw_block(out, input);
            return out;
        case SnappyFraming::xerial: {
            out.resize(xerial_header_bytes);
            std::memcpy(out.data(), xerial_magic.data(), xerial_magic.size());
            store_be<uint32_t>(out.data() + 8, xerial_version);
            store_be<uint32_t>(out.data() + 12, xerial_version);
            for (size_t at = 0; at < input.size(); at += xerial_block_bytes) {
                ByteSpan block = input.subspan(at, std::min(xerial_block_bytes, input.size() - at));
                size_t len_at = out.size();
                out.resize(len_at + 4);
                size_t n = raw_block(out, block);
                store_be<uint32_t>(out.data() + len_at, static_cast<uint32_t>(n));
            }
            return out;
        }
    }
    UNREACHABLE("SnappyFraming");
}

}  // namespace eddy::record::detail
