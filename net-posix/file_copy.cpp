// copy_file_to(): see file_copy.h.
#include "net-posix/file_copy.h"

#include <algorithm>
#include <vector>

namespace eddy::net_posix {
namespace {

// The copy's buffer: large enough to amortise the calls, small enough per connection.
constexpr uint64_t copy_buffer_max = 64 * 1024;

}  // namespace

Result<void, NetError> copy_file_to(Connection& conn, File& file, uint64_t offset,
                                    uint64_t length) {
    std::vector<std::byte> buffer(static_cast<size_t>(std::min(length, copy_buffer_max)));
    uint64_t done = 0;
    while (done < length) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(length - done, buffer.size()));
        auto got = file.read_at(offset + done, MutableByteSpan(buffer.data(), want));
        if (!got.ok() || got.value() == 0) {
            return fail(NetError::io_error);  // a read error, or the file ends before the range
        }
        TRY_VOID(conn.write_all(ByteSpan(buffer.data(), got.value())));
        done += got.value();
    }
    return {};
}

}  // namespace eddy::net_posix
