// PosixNetwork and PosixListener: socket setup, accept, connect. See posix_network.h.
#include "net-posix/posix_network.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "core/base/assert.h"
#include "net-posix/sockets.h"

namespace eddy {

using net_posix::net_error_from_errno;

// --- PosixListener ---

Result<std::unique_ptr<PosixListener>, NetError> PosixListener::adopt(IoWaiter& io, int fd) {
    ASSERT(fd >= 0);
    std::unique_ptr<PosixListener> l(new PosixListener(io, fd));
    const int err = io.watch(fd, l->watch_);
    if (err != 0) {
        l->fd_ = -1;
        ::close(fd);
        return fail(net_error_from_errno(err));
    }
    l->local_ = net_posix::local_address_of(fd);
    return l;
}

PosixListener::PosixListener(IoWaiter& io, int fd) : io_(io), fd_(fd), watch_(io.executor()) {}

PosixListener::~PosixListener() {
    ASSERT(!watch_.waiting(FdWatch::Direction::in),
           "listener destroyed while a fiber waits in accept(): close() it and let it return");
    close();
}

void PosixListener::close() {
    if (fd_ < 0) {
        return;
    }
    io_.unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
    watch_.wake_all();
}

Result<std::unique_ptr<Connection>, NetError> PosixListener::accept() {
    for (;;) {
        if (fd_ < 0) {
            return fail(NetError::closed);
        }
        const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            net_posix::set_no_delay(fd);
            TRY_ASSIGN(auto c, PosixConnection::adopt(io_, fd));
            return std::unique_ptr<Connection>(std::move(c));
        }
        const int err = errno;
        switch (err) {
            case EINTR:
            case ECONNABORTED:  // the peer gave up before we accepted: take the next one
            case EPROTO:
                continue;
            case EAGAIN: {
                const WakeReason r = watch_.wait(FdWatch::Direction::in);
                if (fd_ < 0) {
                    return fail(NetError::closed);
                }
                if (r != WakeReason::notified) {
                    return fail(NetError::cancelled);  // no deadline, so not a timeout
                }
                continue;
            }
            default:
                // EMFILE, ENFILE, ENOBUFS, ENOMEM: the caller decides whether to back off.
                return fail(net_error_from_errno(err));
        }
    }
}

// --- PosixNetwork ---

PosixNetwork::PosixNetwork(IoWaiter& io, Options options) : io_(io), options_(options) {
    ::signal(SIGPIPE, SIG_IGN);
}

Result<std::unique_ptr<Listener>, NetError> PosixNetwork::listen(const Address& address) {
    net_posix::AddrInfoList list;
    int rc = net_posix::resolve(address.host, address.port, true, true, list);
    if (rc == EAI_NONAME) {
        // Not numeric ("localhost"): a local name, resolved in place since listen() does not
        // suspend.
        rc = net_posix::resolve(address.host, address.port, true, false, list);
    }
    if (rc != 0) {
        return fail(NetError::unreachable);
    }
    NetError last = NetError::unreachable;
    for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
        const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                ai->ai_protocol);
        if (fd < 0) {
            last = net_error_from_errno(errno);
            continue;
        }
        const int one = 1;
        if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
            ::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
            ::listen(fd, options_.listen_backlog) != 0) {
            last = net_error_from_errno(errno);
            ::close(fd);
            continue;
        }
        TRY_ASSIGN(auto l, PosixListener::adopt(io_, fd));
        return std::unique_ptr<Listener>(std::move(l));
    }
    return fail(last);
}

Result<std::unique_ptr<Connection>, NetError> PosixNetwork::connect(const Address& address,
                                                                    Duration timeout) {
    const Instant deadline = io_.executor().now() + timeout;
    net_posix::AddrInfoList list;
    int rc = net_posix::resolve(address.host, address.port, false, true, list);
    if (rc == EAI_NONAME) {
        // A name: getaddrinfo may block on DNS, so it runs on the blocking pool.
        io_.run_blocking(
            [&] { rc = net_posix::resolve(address.host, address.port, false, false, list); });
    }
    if (rc != 0) {
        return fail(NetError::unreachable);
    }
    NetError last = NetError::unreachable;
    for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
        const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                ai->ai_protocol);
        if (fd < 0) {
            last = net_error_from_errno(errno);
            continue;
        }
        net_posix::set_no_delay(fd);
        TRY_ASSIGN(auto c, PosixConnection::adopt(io_, fd));
        auto r = c->connect_to(ai->ai_addr, ai->ai_addrlen, deadline);
        if (r.ok()) {
            return std::unique_ptr<Connection>(std::move(c));
        }
        last = r.error();
        if (last == NetError::timed_out || last == NetError::cancelled) {
            return fail(last);  // the deadline is shared by every address; cancellation is final
        }
    }
    return fail(last);
}

}  // namespace eddy
