// PosixConnection: a core Connection over one non-blocking TCP socket.
//
// Every operation first tries its syscall and parks the fiber on the socket's FdWatch only on
// EAGAIN, or when the socket is known to be drained/full: after a short read (the receive queue
// was emptied; the next read parks until the next readiness edge) or a short write (the send
// buffer is full). No epoll_ctl, no allocation and no wasted syscall per read or write. The
// socket is registered with the IoWaiter once, edge-triggered, for its whole life.
//
// Invariants:
// - One fiber reads and one fiber writes at a time (FdWatch allows one waiter per direction).
// - After close(), fd_ is -1, nothing is registered, and every call fails with closed; fibers
//   parked in a call are woken and return closed. The object must outlive the calls in flight:
//   destroy it only after its readers and writers have returned.
// - The peer address is the numeric one the socket is connected to.
//
// TLS: tls::TlsConnection (tls_connection.h) wraps a PosixConnection; OpenSSL works on memory
// buffers and this class moves the ciphertext, so the waiting above is TLS's too.
#pragma once

#include <sys/socket.h>

#include <memory>

#include "core/env/network.h"
#include "net-posix/io_waiter.h"

namespace eddy {

class PosixConnection final : public Connection {
public:
    // Adopts a non-blocking socket and registers it with `io`. On failure the socket is closed.
    static Result<std::unique_ptr<PosixConnection>, NetError> adopt(IoWaiter& io, int fd);

    ~PosixConnection() override;
    PosixConnection(const PosixConnection&) = delete;
    PosixConnection& operator=(const PosixConnection&) = delete;

    // Suspends until at least one byte, end of stream (0) or an error. buf must not be empty.
    Result<size_t, NetError> read_some(MutableByteSpan buf) override;
    // Suspends until every byte is in the kernel's send buffer.
    Result<void, NetError> write_all(ByteSpan data) override;
    // sendfile(2) when the file has a native handle, else a read/write copy. Suspends.
    Result<void, NetError> send_file(File& file, uint64_t offset, uint64_t length) override;
    // Does not suspend.
    void close() override;
    const Address& peer() const override { return peer_; }

    // Connects the (fresh) socket to `to`, suspending until connected, refused, the deadline
    // (timed_out) or cancellation. Used by PosixNetwork::connect().
    Result<void, NetError> connect_to(const sockaddr* to, socklen_t to_len, Instant deadline);
    int fd() const { return fd_; }
    // Sends all of `data` at once without waiting, or fails (the send buffer is full: io_error).
    // For a last word before close() (TLS close_notify), which must not suspend. Does not suspend.
    Result<void, NetError> write_now(ByteSpan data);

private:
    PosixConnection(IoWaiter& io, int fd);
    Result<void, NetError> send_file_copy(File& file, uint64_t offset, uint64_t length);
    // Parks until the socket may be writable; maps the wake to an error if it is not a retry.
    Result<void, NetError> wait_writable(Instant deadline = Instant::max());

    IoWaiter& io_;
    int fd_;
    FdWatch watch_;
    Address peer_;
};

}  // namespace eddy
