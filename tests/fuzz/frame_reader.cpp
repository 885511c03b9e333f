// Fuzz target: the size-prefixed frame reader every connection of the broker goes through
// (services/net read_frame), over a byte stream that hands out the input in pieces of arbitrary
// sizes (short reads) and may end or reset anywhere.
//
// The input: byte 0 picks the frame size limit (small limits make "too large" reachable), byte 1
// seeds the read sizes, the rest is the stream. Checked: every frame returned has exactly the
// length its prefix announced and at most the limit; the frames and their prefixes account for
// exactly the bytes consumed; an oversized or negative length fails before anything is allocated
// for it (the reader never asks for more than the limit); a stream that ends inside a frame is
// reported as a reset, at a frame boundary as closed. A failure aborts (ASSERT).
#include <cstddef>
#include <algorithm>
#include <cstdint>

#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "services/net/frame_server.h"

using namespace eddy;

namespace {

// A Connection reading from a fixed buffer, in read sizes drawn from a small deterministic
// sequence. Never suspends, so read_frame can run outside a fiber.
class StreamConnection final : public Connection {
public:
    StreamConnection(ByteSpan data, uint8_t seed) : data_(data), state_(seed | 1U) {}

    Result<size_t, NetError> read_some(MutableByteSpan buf) override {
        if (pos_ == data_.size() || buf.empty()) {
            return size_t{0};
        }
        state_ = state_ * 1103515245U + 12345U;
        const size_t want = 1 + (state_ >> 16) % 64;
        const size_t n = std::min({want, buf.size(), data_.size() - pos_});
        std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(pos_), n, buf.begin());
        pos_ += n;
        return n;
    }
    Result<void, NetError> write_all(ByteSpan) override { return fail(NetError::closed); }
    Result<void, NetError> send_file(File&, uint64_t, uint64_t) override {
        return fail(NetError::closed);
    }
    void close() override {}
    const Address& peer() const override { return peer_; }

    size_t consumed() const { return pos_; }

private:
    ByteSpan data_;
    size_t pos_ = 0;
    uint32_t state_;
    Address peer_{"fuzz", 0};
};

uint32_t announced_length(ByteSpan stream, size_t at) {
    return load_be<uint32_t>(stream.data() + at);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    const size_t limit = size_t{data[0]} * 16;
    ByteSpan stream(reinterpret_cast<const std::byte*>(data) + 2, size - 2);
    StreamConnection c(stream, data[1]);
    size_t accounted = 0;
    while (true) {
        auto frame = net::read_frame(c, limit);
        if (!frame.ok()) {
            const size_t left = stream.size() - accounted;
            switch (frame.error()) {
                case NetError::closed:
                    ASSERT(left == 0, "closed only at a frame boundary");
                    break;
                case NetError::connection_reset:
                    ASSERT(left > 0 && c.consumed() == stream.size(),
                           "a reset only when the stream ends inside a frame");
                    break;
                case NetError::io_error: {
                    ASSERT(left >= 4, "a length was read");
                    const auto length = static_cast<int32_t>(announced_length(stream, accounted));
                    ASSERT(length < 0 || static_cast<size_t>(length) > limit,
                           "only a bad length is an error");
                    ASSERT(c.consumed() == accounted + 4, "no body byte read for a bad length");
                    break;
                }
                case NetError::connection_refused:
                case NetError::timed_out:
                case NetError::address_in_use:
                case NetError::unreachable:
                case NetError::cancelled:
                    UNREACHABLE("read_frame fails only with closed, reset or io_error");
            }
            return 0;
        }
        ASSERT(frame->size() <= limit, "a frame within the limit");
        ASSERT(announced_length(stream, accounted) == frame->size(), "the announced length");
        accounted += 4 + frame->size();
        ASSERT(c.consumed() == accounted, "frames account for every byte read");
    }
}
