// PosixNetwork: core's Network over non-blocking TCP sockets (IPv4 and IPv6), with fibers parked
// on an IoWaiter (runtime/'s Reactor) instead of threads blocked in the kernel.
//
// - listen(): numeric hosts ("0.0.0.0", "::", "127.0.0.1"; "" = any) or names resolved
//   synchronously (listen does not suspend); SO_REUSEADDR; port 0 picks a free port, which
//   local_address() reports.
// - connect(): numeric hosts without I/O; names through getaddrinfo on the IoWaiter's blocking
//   pool (DNS may be slow and must not stall the fibers); each resolved address is tried in turn
//   until one connects or the timeout passes. TCP_NODELAY on every connection.
// - SIGPIPE is ignored process-wide by the constructor: a write to a reset socket must come back
//   as connection_reset (send() uses MSG_NOSIGNAL, but sendfile(2) has no such flag).
//
// Invariant: one fiber accepts at a time per listener; close() wakes it with closed, and the
// listener must outlive that call.
#pragma once

#include <memory>

#include "core/env/network.h"
#include "net-posix/io_waiter.h"
#include "net-posix/posix_connection.h"

namespace eddy {

class PosixListener final : public Listener {
public:
    // Adopts a listening non-blocking socket and registers it with `io`.
    static Result<std::unique_ptr<PosixListener>, NetError> adopt(IoWaiter& io, int fd);
    ~PosixListener() override;
    PosixListener(const PosixListener&) = delete;
    PosixListener& operator=(const PosixListener&) = delete;

    // Suspends until a peer connects, close() (closed) or cancellation (cancelled).
    Result<std::unique_ptr<Connection>, NetError> accept() override;
    Address local_address() const override { return local_; }
    // Does not suspend.
    void close() override;

private:
    PosixListener(IoWaiter& io, int fd);

    IoWaiter& io_;
    int fd_;
    FdWatch watch_;
    Address local_;
};

class PosixNetwork final : public Network {
public:
    struct Options {
        int listen_backlog = 4096;
    };

    explicit PosixNetwork(IoWaiter& io) : PosixNetwork(io, Options{}) {}
    PosixNetwork(IoWaiter& io, Options options);

    // Does not suspend.
    Result<std::unique_ptr<Listener>, NetError> listen(const Address& address) override;
    // Suspends until connected, refused, cancelled or the timeout passes (timed_out).
    Result<std::unique_ptr<Connection>, NetError> connect(const Address& address,
                                                          Duration timeout) override;

private:
    IoWaiter& io_;
    Options options_;
};

}  // namespace eddy
