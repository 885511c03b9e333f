// systemd's notification protocol, service side. See systemd_notify.h.
#include "runtime/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace eddy {
namespace {

std::optional<int64_t> parse_positive(std::string_view text) {
    int64_t v = 0;
    const auto* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || p != end || v <= 0) {
        return std::nullopt;
    }
    return v;
}

// `address` ("/path" or "@abstract", shorter than sun_path) as a sockaddr_un; returns its length.
socklen_t to_sockaddr(const std::string& address, sockaddr_un& addr) {
    addr = {};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, address.data(), address.size());
    const bool abstract = address.front() == '@';
    if (abstract) {
        addr.sun_path[0] = '\0';  // an abstract address: no trailing NUL is part of it
    }
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() +
                                  (abstract ? 0 : 1));
}

std::optional<std::string> address_problem(std::string_view address) {
    if (address.size() < 2 || (address.front() != '/' && address.front() != '@')) {
        return "neither a path nor an abstract address: '" + std::string(address) + "'";
    }
    if (address.size() >= sizeof(sockaddr_un::sun_path)) {
        return "longer than a unix socket address: '" + std::string(address) + "'";
    }
    return std::nullopt;
}

}  // namespace

SystemdNotifier SystemdNotifier::from_environment() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    if (socket == nullptr || *socket == '\0') {
        return {};
    }
    std::optional<Duration> watchdog;
    std::string error;
    if (const char* usec = std::getenv("WATCHDOG_USEC"); usec != nullptr) {
        // sd_watchdog_enabled(3): the watchdog is this process's only if WATCHDOG_PID is unset
        // or names it.
        const char* pid = std::getenv("WATCHDOG_PID");
        const auto period = parse_positive(usec);
        if (!period) {
            error = std::string("WATCHDOG_USEC is not a positive number: '") + usec + "'";
        } else if (pid == nullptr || parse_positive(pid) == static_cast<int64_t>(::getpid())) {
            watchdog = Duration::micros(*period);
        }
    }
    SystemdNotifier n(socket, watchdog);
    if (n.error_.empty()) {
        n.error_ = std::move(error);
    }
    return n;
}

SystemdNotifier::SystemdNotifier(std::string_view socket, std::optional<Duration> watchdog) {
    if (auto problem = address_problem(socket)) {
        error_ = "NOTIFY_SOCKET is " + *problem;
        return;
    }
    address_ = socket;
    if (watchdog) {
        watchdog_interval_ = Duration::nanos(watchdog->to_nanos() / 2);
    }
}

SystemdNotifier::~SystemdNotifier() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

SystemdNotifier::SystemdNotifier(SystemdNotifier&& other) noexcept
    : address_(std::move(other.address_)),
      watchdog_interval_(other.watchdog_interval_),
      error_(std::move(other.error_)),
      fd_(std::exchange(other.fd_, -1)) {
    other.address_.clear();
}

SystemdNotifier& SystemdNotifier::operator=(SystemdNotifier&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        address_ = std::exchange(other.address_, {});
        watchdog_interval_ = other.watchdog_interval_;
        error_ = std::move(other.error_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Result<void, std::string> SystemdNotifier::notify(std::string_view state) {
    if (!enabled()) {
        return {};
    }
    if (fd_ < 0) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) {
            return fail(std::string("cannot make the notification socket: ") +
                        std::strerror(errno));
        }
    }
    sockaddr_un addr;
    const socklen_t len = to_sockaddr(address_, addr);
    const ssize_t sent = ::sendto(fd_, state.data(), state.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr*>(&addr), len);
    if (sent < 0) {
        return fail("cannot notify " + address_ + ": " + std::strerror(errno));
    }
    return {};
}

FiberRef SystemdNotifier::spawn_watchdog(Scheduler& scheduler) {
    if (!enabled() || !watchdog_interval_) {
        return {};
    }
    return scheduler.spawn("systemd-watchdog", [this, &scheduler] {
        do {
            // A lost ping is made good by the next one, half a period later.
            (void)notify("WATCHDOG=1");
        } while (scheduler.sleep_for(*watchdog_interval_) != WakeReason::cancelled);
    });
}

Result<std::unique_ptr<NotifySocket>, std::string> NotifySocket::bind(const std::string& address) {
    if (auto problem = address_problem(address)) {
        return fail("notification socket address is " + *problem);
    }
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return fail(std::string("cannot make a notification socket: ") + std::strerror(errno));
    }
    sockaddr_un addr;
    const socklen_t len = to_sockaddr(address, addr);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
        const int err = errno;
        ::close(fd);
        return fail("cannot bind the notification socket " + address + ": " + std::strerror(err));
    }
    return std::unique_ptr<NotifySocket>(new NotifySocket(address, fd));
}

NotifySocket::~NotifySocket() {
    ::close(fd_);
    if (address_.front() == '/') {
        ::unlink(address_.c_str());
    }
}

std::optional<std::string> NotifySocket::receive() {
    char buf[4096];  // sd_notify states are short; a longer datagram is cut here
    ssize_t n = -1;
    do {
        n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return std::nullopt;
    }
    return std::string(buf, static_cast<size_t>(n));
}

}  // namespace eddy
