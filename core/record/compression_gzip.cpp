// gzip (RFC 1952) through zlib. Kafka's gzip codec is the gzip container, not a bare zlib or
// deflate stream, so inflate is opened for gzip only (windowBits 16 + 15). Concatenated members
// are decoded one after another; bytes after the last member must form another member.
#include <zlib.h>

#include <climits>

#include "core/record/compression.h"

namespace eddy::record::detail {
namespace {

constexpr int gzip_window_bits = 16 + MAX_WBITS;  // 16: gzip header and trailer instead of zlib's

// zlib counts in uInt; batch data is far below 4 GiB (limits.h), so these casts never truncate.
static_assert(limits::decompressed_bytes_max + 1 <= UINT_MAX);

Bytef* in_ptr(ByteSpan s) {
    // zlib's next_in is not const-qualified but is never written through.
    return reinterpret_cast<Bytef*>(const_cast<std::byte*>(s.data()));
}

struct Inflater {
    z_stream zs{};
    Inflater() { ASSERT(inflateInit2(&zs, gzip_window_bits) == Z_OK, "zlib inflateInit2"); }
    ~Inflater() { inflateEnd(&zs); }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
};

struct Deflater {
    z_stream zs{};
    explicit Deflater(int level) {
        int rc = deflateInit2(&zs, level, Z_DEFLATED, gzip_window_bits,
                              /*memLevel=*/8, Z_DEFAULT_STRATEGY);
        ASSERT(rc == Z_OK, "zlib deflateInit2");
    }
    ~Deflater() { deflateEnd(&zs); }
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;
};

}  // namespace

Result<Bytes, CompressionError> gzip_decompress(ByteSpan input, size_t output_max) {
    Inflater inf;
    CappedOutput out(input.size(), output_max);
    inf.zs.next_in = in_ptr(input);
    inf.zs.avail_in = static_cast<uInt>(input.size());
    for (;;) {
        MutableByteSpan space = out.free();
        if (space.empty()) {
            return fail(CompressionError::output_too_large);
        }
        inf.zs.next_out = reinterpret_cast<Bytef*>(space.data());
        inf.zs.avail_out = static_cast<uInt>(space.size());
        uInt in_before = inf.zs.avail_in;
        int rc = inflate(&inf.zs, Z_NO_FLUSH);
        size_t produced = space.size() - inf.zs.avail_out;
        out.commit(produced);
        if (rc == Z_STREAM_END) {
            if (inf.zs.avail_in == 0) {
                break;
            }
            // Another member follows.
            ASSERT(inflateReset(&inf.zs) == Z_OK);
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return fail(CompressionError::corrupt);  // Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR
        }
        // No progress with output space left: the input ended inside a member.
        if (produced == 0 && inf.zs.avail_in == in_before && inf.zs.avail_out > 0) {
            return fail(CompressionError::corrupt);
        }
    }
    if (out.exceeded()) {
        return fail(CompressionError::output_too_large);
    }
    return std::move(out).take();
}

Result<Bytes, CompressionError> gzip_compress(ByteSpan input, std::optional<int> level) {
    ASSERT(!level || (*level >= -1 && *level <= 9), "gzip level");
    Deflater def(level.value_or(Z_DEFAULT_COMPRESSION));
    Bytes out(deflateBound(&def.zs, static_cast<uLong>(input.size())));
    def.zs.next_in = in_ptr(input);
    def.zs.avail_in = static_cast<uInt>(input.size());
    def.zs.next_out = reinterpret_cast<Bytef*>(out.data());
    def.zs.avail_out = static_cast<uInt>(out.size());
    // deflateBound makes one Z_FINISH call sufficient.
    int rc = deflate(&def.zs, Z_FINISH);
    ASSERT(rc == Z_STREAM_END, "deflate into a deflateBound-sized buffer");
    truncate_to(out, out.size() - def.zs.avail_out);
    return out;
}

}  // namespace eddy::record::detail
