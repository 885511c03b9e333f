// LZ4 frame format through lz4frame. Kafka (Java, librdkafka, kafka-python) writes frames with
// independent 64 KiB blocks and no content size; any valid frame decodes, and concatenated frames
// are decoded one after another. The decoder's own buffers are bounded by the frame's maximum
// block size (at most 4 MiB, so about 8 MiB), whatever the input claims.
#include <lz4frame.h>

#include "core/record/compression.h"

namespace eddy::record::detail {
namespace {

struct Dctx {
    LZ4F_dctx* ctx = nullptr;
    Dctx() {
        ASSERT(!LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)),
               "LZ4F_createDecompressionContext");
    }
    ~Dctx() { LZ4F_freeDecompressionContext(ctx); }
    Dctx(const Dctx&) = delete;
    Dctx& operator=(const Dctx&) = delete;
};

}  // namespace

Result<Bytes, CompressionError> lz4_decompress(ByteSpan input, size_t output_max) {
    Dctx d;
    CappedOutput out(input.size(), output_max);
    ByteSpan rest = input;
    for (;;) {
        MutableByteSpan space = out.free();
        if (space.empty()) {
            return fail(CompressionError::output_too_large);
        }
        size_t dst_size = space.size();
        size_t src_size = rest.size();
        size_t hint = LZ4F_decompress(d.ctx, space.data(), &dst_size, rest.data(), &src_size,
                                      /*dOptPtr=*/nullptr);
        if (LZ4F_isError(hint)) {
            return fail(CompressionError::corrupt);
        }
        out.commit(dst_size);
        rest = rest.subspan(src_size);
        if (hint == 0) {
            // A frame ended (the context is ready for the next one).
            if (rest.empty()) {
                break;
            }
            continue;
        }
        // The frame wants more input, but there is none and it is not waiting for output space;
        // or (defensively) the decoder moved neither input nor output.
        if ((rest.empty() && dst_size < space.size()) || (src_size == 0 && dst_size == 0)) {
            return fail(CompressionError::corrupt);
        }
    }
    if (out.exceeded()) {
        return fail(CompressionError::output_too_large);
    }
    return std::move(out).take();
}

Result<Bytes, CompressionError> lz4_compress(ByteSpan input, std::optional<int> level) {
    ASSERT(!level || (*level >= 1 && *level <= 17), "lz4 level");
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    prefs.frameInfo.frameType = LZ4F_frame;
    prefs.frameInfo.contentSize = 0;  // not written, as Java's KafkaLZ4BlockOutputStream
    prefs.compressionLevel = level.value_or(0);  // 0: fast; above 12 lz4 uses 12
    Bytes out(LZ4F_compressFrameBound(input.size(), &prefs));
    size_t n = LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), &prefs);
    ASSERT(!LZ4F_isError(n), "LZ4F_compressFrame into a bound-sized buffer");
    truncate_to(out, n);
    return out;
}

}  // namespace eddy::record::detail
