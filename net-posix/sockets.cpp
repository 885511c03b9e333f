// Socket helpers: errno mapping, addresses, getaddrinfo. See sockets.h.
#include "net-posix/sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace eddy::net_posix {

NetError net_error_from_errno(int err) {
    switch (err) {
        case ECONNREFUSED:
            return NetError::connection_refused;
        case ECONNRESET:
        case EPIPE:
        case ECONNABORTED:
        case ENOTCONN:
            return NetError::connection_reset;
        case ETIMEDOUT:
            return NetError::timed_out;
        case EADDRINUSE:
            return NetError::address_in_use;
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
        case EADDRNOTAVAIL:
        case EAFNOSUPPORT:
            return NetError::unreachable;
        default:
            return NetError::io_error;
    }
}

Address to_address(const sockaddr* sa) {
    char text[INET6_ADDRSTRLEN] = {};
    Address a;
    if (sa->sa_family == AF_INET) {
        sockaddr_in sin{};
        std::memcpy(&sin, sa, sizeof sin);
        inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text);
        a.host = text;
        a.port = ntohs(sin.sin_port);
    } else if (sa->sa_family == AF_INET6) {
        sockaddr_in6 sin6{};
        std::memcpy(&sin6, sa, sizeof sin6);
        inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof text);
        a.host = text;
        a.port = ntohs(sin6.sin6_port);
    }
    return a;
}

Address local_address_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return {};
    }
    return to_address(reinterpret_cast<const sockaddr*>(&ss));
}

Address peer_address_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return {};
    }
    return to_address(reinterpret_cast<const sockaddr*>(&ss));
}

int resolve(std::string_view host, uint16_t port, bool passive, bool numeric_only,
            AddrInfoList& out) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string node(host);
    char service[8];
    std::snprintf(service, sizeof service, "%u", static_cast<unsigned>(port));
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags =
        AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) | (numeric_only ? AI_NUMERICHOST : 0);
    // No AI_ADDRCONFIG: glibc ignores loopback addresses for it, so "localhost" would not resolve
    // on a host whose only interface is lo.
    addrinfo* list = nullptr;
    const int rc = ::getaddrinfo(node.empty() ? nullptr : node.c_str(), service, &hints, &list);
    if (rc == 0) {
        out.reset(list);
    }
    return rc;
}

void set_no_delay(int fd) {
    const int one = 1;
    // Best effort: failing only costs latency, and the socket still works.
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace eddy::net_posix
