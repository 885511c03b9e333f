// SystemdNotifier: the service side of systemd's notification protocol (sd_notify(3)), spoken
// directly so that Eddy needs no libsystemd. A unit with Type=notify starts the process with
// $NOTIFY_SOCKET, the address of a unix datagram socket (a path, or an abstract address written
// with a leading '@'); the service sends it datagrams of newline-separated assignments:
//
//   READY=1       start-up is finished: the broker is registered, unfenced and serving
//   STATUS=…      a one-line state for `systemctl status`
//   WATCHDOG=1    "still alive", at least every $WATCHDOG_USEC (systemd kills it otherwise)
//   STOPPING=1    a graceful shutdown has begun
//
// Without $NOTIFY_SOCKET every call is a no-op, so `eddy broker` behaves the same outside
// systemd. `eddy dev` uses the same protocol to learn when each of its nodes serves.
//
// Sending never blocks (MSG_DONTWAIT): a datagram the manager's full queue cannot take is lost,
// which the protocol tolerates (the next WATCHDOG=1 comes half a period later). The socket is
// opened once, close-on-exec.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/result.h"
#include "core/base/time.h"
#include "core/env/scheduler.h"

namespace eddy {

class SystemdNotifier {
public:
    // From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID. A malformed value is reported by
    // error() and leaves the notifier (or its watchdog) off.
    static SystemdNotifier from_environment();
    // For a given socket address ("/run/x.sock" or "@abstract") and watchdog period (the unit's
    // WatchdogSec, what $WATCHDOG_USEC says; nullopt: none). For tests.
    SystemdNotifier(std::string_view socket, std::optional<Duration> watchdog);
    SystemdNotifier() = default;
    ~SystemdNotifier();
    SystemdNotifier(SystemdNotifier&& other) noexcept;
    SystemdNotifier& operator=(SystemdNotifier&& other) noexcept;
    SystemdNotifier(const SystemdNotifier&) = delete;
    SystemdNotifier& operator=(const SystemdNotifier&) = delete;

    // A socket address was given.
    bool enabled() const { return !address_.empty(); }
    // Why the environment could not be used (empty: it could, or there was nothing to use).
    const std::string& error() const { return error_; }

    // Sends one datagram, e.g. "READY=1\nSTATUS=serving". Does not block. A no-op when not
    // enabled. Errors: the socket cannot be made, or the manager's socket refuses the datagram.
    Result<void, std::string> notify(std::string_view state);

    // How often to send WATCHDOG=1: half of $WATCHDOG_USEC, as sd_watchdog_enabled(3) advises;
    // nullopt when the unit has no watchdog or $WATCHDOG_PID names another process.
    std::optional<Duration> watchdog_interval() const { return watchdog_interval_; }

    // Spawns a fiber that sends WATCHDOG=1 at once, then every watchdog_interval(), until it is
    // cancelled; an invalid FiberRef when there is no watchdog. It runs on the reactor, so a
    // reactor that stops turning stops the pings, and systemd restarts the service: that is the
    // point. The notifier must outlive the fiber. Does not suspend.
    FiberRef spawn_watchdog(Scheduler& scheduler);

private:
    std::string address_;  // as given: a path, or '@' and an abstract name
    std::optional<Duration> watchdog_interval_;
    std::string error_;
    int fd_ = -1;
};

// The manager's side of the protocol, as `eddy dev` plays it for its nodes (and the tests): a
// bound, non-blocking unix datagram socket, close-on-exec.
class NotifySocket {
public:
    // Binds `address` ("@name": an abstract address; else a path). One line on failure.
    static Result<std::unique_ptr<NotifySocket>, std::string> bind(const std::string& address);
    ~NotifySocket();
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    int fd() const { return fd_; }  // readable when a datagram waits (poll)
    const std::string& address() const { return address_; }
    // The next datagram, if one is waiting. Does not block.
    std::optional<std::string> receive();

private:
    NotifySocket(std::string address, int fd) : address_(std::move(address)), fd_(fd) {}

    std::string address_;
    int fd_;
};

}  // namespace eddy
