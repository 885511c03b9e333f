// Socket helpers shared by the listener, the connection and the network: errno → NetError, socket
// addresses → Address, and name resolution through getaddrinfo. Internal to net-posix.
//
// Resolution never blocks the fiber thread by accident: resolve_numeric() does no I/O (numeric
// hosts only); resolve() may read /etc/hosts or ask DNS, so connect() runs it on the I/O pool.
#pragma once

#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <string_view>

#include "core/env/network.h"

namespace eddy::net_posix {

// The one mapping from socket errno values to NetError.
NetError net_error_from_errno(int err);

// Numeric host and port of a socket address (IPv4 or IPv6).
Address to_address(const sockaddr* sa);
// getsockname / getpeername as an Address; an empty Address if the call fails.
Address local_address_of(int fd);
Address peer_address_of(int fd);

struct AddrInfoDeleter {
    void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

// getaddrinfo for TCP. `passive` is for listen() ("" means every local address). With
// numeric_only, a host that is not a numeric address fails at once, without I/O. Returns 0 or
// the getaddrinfo error (EAI_*); a host in brackets ("[::1]") is accepted.
int resolve(std::string_view host, uint16_t port, bool passive, bool numeric_only,
            AddrInfoList& out);

// Disables Nagle: Kafka requests and responses are latency-sensitive and already batched.
void set_no_delay(int fd);

}  // namespace eddy::net_posix
