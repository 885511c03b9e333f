// PosixConnection: try the syscall, park on EAGAIN, retry. See posix_connection.h.
#include "net-posix/posix_connection.h"

#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/base/assert.h"
#include "net-posix/file_copy.h"
#include "net-posix/sockets.h"

namespace eddy {
namespace {

using net_posix::net_error_from_errno;

// sendfile(2) moves at most this much per call (the kernel's own cap is 0x7ffff000).
constexpr uint64_t sendfile_chunk_max = uint64_t{1} << 30;

NetError wake_error(WakeReason r) {
    ASSERT(r != WakeReason::notified);
    return r == WakeReason::timeout ? NetError::timed_out : NetError::cancelled;
}

}  // namespace

Result<std::unique_ptr<PosixConnection>, NetError> PosixConnection::adopt(IoWaiter& io, int fd) {
    ASSERT(fd >= 0);
    std::unique_ptr<PosixConnection> c(new PosixConnection(io, fd));
    const int err = io.watch(fd, c->watch_);
    if (err != 0) {
        c->fd_ = -1;
        ::close(fd);
        return fail(net_error_from_errno(err));
    }
    c->peer_ = net_posix::peer_address_of(fd);
    return c;
}

PosixConnection::PosixConnection(IoWaiter& io, int fd) : io_(io), fd_(fd), watch_(io.executor()) {}

PosixConnection::~PosixConnection() {
    ASSERT(!watch_.waiting(FdWatch::Direction::in) && !watch_.waiting(FdWatch::Direction::out),
           "connection destroyed while a fiber waits in it: close() it and let the waiter return");
    close();
}

void PosixConnection::close() {
    if (fd_ < 0) {
        return;
    }
    io_.unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
    watch_.wake_all();
}

Result<size_t, NetError> PosixConnection::read_some(MutableByteSpan buf) {
    ASSERT(!buf.empty(), "read_some into an empty buffer");
    for (;;) {
        if (fd_ < 0) {
            return fail(NetError::closed);
        }
        if (watch_.in_maybe_ready()) {
            const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
            if (n > 0) {
                if (static_cast<size_t>(n) < buf.size()) {
                    // A short read drained the receive queue: park at once next time.
                    watch_.mark_in_drained();
                }
                return static_cast<size_t>(n);
            }
            if (n == 0) {
                return size_t{0};  // end of stream (stays "ready": every later read says so too)
            }
            const int err = errno;
            if (err == EINTR) {
                continue;
            }
            if (err != EAGAIN && err != EWOULDBLOCK) {
                return fail(net_error_from_errno(err));
            }
            watch_.mark_in_drained();
        }
        const WakeReason r = watch_.wait(FdWatch::Direction::in);
        if (fd_ < 0) {
            return fail(NetError::closed);
        }
        if (r != WakeReason::notified) {
            return fail(wake_error(r));
        }
    }
}

Result<void, NetError> PosixConnection::wait_writable(Instant deadline) {
    const WakeReason r = watch_.wait(FdWatch::Direction::out, deadline);
    if (fd_ < 0) {
        return fail(NetError::closed);
    }
    if (r != WakeReason::notified) {
        return fail(wake_error(r));
    }
    return {};
}

Result<void, NetError> PosixConnection::write_all(ByteSpan data) {
    size_t done = 0;
    while (done < data.size()) {
        if (fd_ < 0) {
            return fail(NetError::closed);
        }
        const size_t want = data.size() - done;
        const ssize_t n = ::send(fd_, data.data() + done, want, MSG_NOSIGNAL);
        if (n >= 0) {
            done += static_cast<size_t>(n);
            if (static_cast<size_t>(n) < want) {
                // A short write on a non-blocking socket means the send buffer is full: the next
                // send would fail with EAGAIN, so wait for space right away.
                TRY_VOID(wait_writable());
            }
            continue;
        }
        const int err = errno;
        if (err == EINTR) {
            continue;
        }
        if (err != EAGAIN && err != EWOULDBLOCK) {
            return fail(net_error_from_errno(err));
        }
        TRY_VOID(wait_writable());
    }
    return {};
}

Result<void, NetError> PosixConnection::send_file(File& file, uint64_t offset, uint64_t length) {
    const int in_fd = file.native_handle();
    if (in_fd < 0) {
        return send_file_copy(file, offset, length);
    }
    off_t pos = static_cast<off_t>(offset);
    uint64_t remaining = length;
    while (remaining > 0) {
        if (fd_ < 0) {
            return fail(NetError::closed);
        }
        const size_t want = static_cast<size_t>(std::min(remaining, sendfile_chunk_max));
        const ssize_t n = ::sendfile(fd_, in_fd, &pos, want);
        if (n > 0) {
            remaining -= static_cast<uint64_t>(n);
            continue;
        }
        if (n == 0) {
            return fail(NetError::io_error);  // the file ends before offset + length
        }
        const int err = errno;
        if (err == EINTR) {
            continue;
        }
        if (err != EAGAIN && err != EWOULDBLOCK) {
            // EPIPE/ECONNRESET are the socket's; EIO and the like are the file's.
            return fail(net_error_from_errno(err));
        }
        TRY_VOID(wait_writable());
    }
    return {};
}

Result<void, NetError> PosixConnection::send_file_copy(File& file, uint64_t offset,
                                                       uint64_t length) {
    return net_posix::copy_file_to(*this, file, offset, length);
}

Result<void, NetError> PosixConnection::write_now(ByteSpan data) {
    if (fd_ < 0) {
        return fail(NetError::closed);
    }
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 || static_cast<size_t>(n) < data.size()) {
        return fail(n < 0 ? net_error_from_errno(errno) : NetError::io_error);
    }
    return {};
}

Result<void, NetError> PosixConnection::connect_to(const sockaddr* to, socklen_t to_len,
                                                   Instant deadline) {
    ASSERT(fd_ >= 0);
    if (::connect(fd_, to, to_len) == 0) {
        peer_ = net_posix::peer_address_of(fd_);
        return {};
    }
    const int err = errno;
    if (err != EINPROGRESS && err != EINTR) {
        return fail(net_error_from_errno(err));
    }
    for (;;) {
        TRY_VOID(wait_writable(deadline));
        int so_error = 0;
        socklen_t len = sizeof so_error;
        if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
            return fail(net_error_from_errno(errno));
        }
        if (so_error != 0) {
            return fail(net_error_from_errno(so_error));
        }
        peer_ = net_posix::peer_address_of(fd_);
        if (peer_.port != 0) {
            return {};
        }
        // Woken without a verdict (no error, not yet connected): wait for the next edge.
    }
}

}  // namespace eddy
