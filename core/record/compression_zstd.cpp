// zstd through the streaming decoder, in "stable output buffer" mode.
//
// Why this mode: a zstd frame may omit its content size (Java's ZstdOutputStream always does) and
// may declare a window of up to 2^31 bytes. The ordinary streaming decoder allocates that window
// before producing a byte, so a ten-byte frame could make us allocate gigabytes. With a stable
// output buffer the decoder keeps no window of its own: back-references read from our output,
// which we allocate once at min(declared total, cap) — or cap when a size is missing — without
// initialising it, so only pages actually written are touched. The decoder then fails with
// dstSize_tooSmall rather than write past the cap. Its remaining buffer is one block (≤128 KiB).
// ZSTD_d_stableOutBuffer is in zstd's experimental API (stable since 1.4.4, present in 1.5.x).
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include <cstring>
#include <memory>

#include "core/record/compression.h"

namespace eddy::record::detail {
namespace {

struct Dctx {
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    Dctx() { ASSERT(ctx != nullptr, "ZSTD_createDCtx"); }
    ~Dctx() { ZSTD_freeDCtx(ctx); }
    Dctx(const Dctx&) = delete;
    Dctx& operator=(const Dctx&) = delete;
};

struct Cctx {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    Cctx() { ASSERT(ctx != nullptr, "ZSTD_createCCtx"); }
    ~Cctx() { ZSTD_freeCCtx(ctx); }
    Cctx(const Cctx&) = delete;
    Cctx& operator=(const Cctx&) = delete;
};

void check_param(size_t rc) { ASSERT(!ZSTD_isError(rc), "zstd parameter"); }

// Kafka's default zstd level (compression.zstd.level, KIP-390).
constexpr int zstd_level_default = 3;

}  // namespace

Result<Bytes, CompressionError> zstd_decompress(ByteSpan input, size_t output_max) {
    unsigned long long declared = ZSTD_findDecompressedSize(input.data(), input.size());
    if (declared == ZSTD_CONTENTSIZE_ERROR) {
        return fail(CompressionError::corrupt);
    }
    size_t capacity = output_max;
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN) {
        if (declared > output_max) {
            return fail(CompressionError::output_too_large);
        }
        capacity = static_cast<size_t>(declared);
    }

    Dctx d;
    check_param(ZSTD_DCtx_setParameter(d.ctx, ZSTD_d_stableOutBuffer, 1));
    // No window is allocated in this mode, so any window the format allows is harmless.
    check_param(ZSTD_DCtx_setParameter(d.ctx, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_MAX));

    // Uninitialised on purpose (see the file comment); at least one byte so data() is not null.
    std::unique_ptr<std::byte[]> buf(new std::byte[capacity == 0 ? 1 : capacity]);
    ZSTD_outBuffer out{buf.get(), capacity, 0};
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
        size_t in_before = in.pos;
        size_t out_before = out.pos;
        size_t rc = ZSTD_decompressStream(d.ctx, &out, &in);
        if (ZSTD_isError(rc)) {
            bool at_cap = capacity == output_max;
            return fail(ZSTD_getErrorCode(rc) == ZSTD_error_dstSize_tooSmall && at_cap
                            ? CompressionError::output_too_large
                            : CompressionError::corrupt);
        }
        if (rc == 0 && in.pos == in.size) {
            break;  // the last frame is complete and flushed
        }
        if (in.pos == in_before && out.pos == out_before) {
            // No progress: input ended inside a frame, or output is full mid-frame.
            bool full = out.pos == out.size;
            return fail(full && capacity == output_max ? CompressionError::output_too_large
                                                       : CompressionError::corrupt);
        }
    }
    Bytes result(out.pos);
    if (out.pos > 0) {
        std::memcpy(result.data(), buf.get(), out.pos);
    }
    return result;
}

Result<Bytes, CompressionError> zstd_compress(ByteSpan input, std::optional<int> level) {
    ASSERT(!level || (*level >= -131072 && *level <= 22), "zstd level");
    Cctx c;
    check_param(
        ZSTD_CCtx_setParameter(c.ctx, ZSTD_c_compressionLevel, level.value_or(zstd_level_default)));
    check_param(ZSTD_CCtx_setParameter(c.ctx, ZSTD_c_nbWorkers, 0));  // core/ starts no threads
    Bytes out(ZSTD_compressBound(input.size()));
    size_t n = ZSTD_compress2(c.ctx, out.data(), out.size(), input.data(), input.size());
    ASSERT(!ZSTD_isError(n), "ZSTD_compress2 into a bound-sized buffer");
    truncate_to(out, n);
    return out;
}

}  // namespace eddy::record::detail
