// systemd's notification protocol (runtime/systemd_notify.h) between a SystemdNotifier and a
// NotifySocket in this process: datagrams arrive whole at abstract and path addresses, the
// watchdog interval is half of WATCHDOG_USEC and belongs to the process WATCHDOG_PID names,
// malformed addresses switch notification off with a reason, and a notifier without an address
// does nothing.
#include "runtime/systemd_notify.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

namespace eddy {
namespace {

std::string unique_abstract(const char* what) {
    return "@eddy-unit-" + std::to_string(::getpid()) + "-" + what;
}

TEST_CASE("notify: datagrams reach an abstract and a path address whole") {
    for (const std::string& address :
         {unique_abstract("abstract"), "/tmp/eddy-unit-notify-" + std::to_string(::getpid())}) {
        auto sock = NotifySocket::bind(address);
        REQUIRE(sock.ok());
        SystemdNotifier n(address, std::nullopt);
        REQUIRE(n.enabled());
        CHECK(n.error().empty());
        REQUIRE(n.notify("READY=1\nSTATUS=serving").ok());
        REQUIRE(n.notify("STOPPING=1").ok());
        CHECK((*sock)->receive() == "READY=1\nSTATUS=serving");
        CHECK((*sock)->receive() == "STOPPING=1");
        CHECK_FALSE((*sock)->receive().has_value());  // nothing more, and it does not block
    }
}

TEST_CASE("notify: a socket nobody listens on is an error, not a crash") {
    SystemdNotifier n(unique_abstract("nobody"), std::nullopt);
    auto r = n.notify("READY=1");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().starts_with("cannot notify @eddy-unit-"));
}

TEST_CASE("notify: bad addresses and no address") {
    SystemdNotifier relative("run/notify", std::nullopt);
    CHECK_FALSE(relative.enabled());
    CHECK(relative.error() ==
          "NOTIFY_SOCKET is neither a path nor an abstract address: "
          "'run/notify'");
    SystemdNotifier too_long("/" + std::string(200, 'x'), std::nullopt);
    CHECK_FALSE(too_long.enabled());
    SystemdNotifier none;
    CHECK_FALSE(none.enabled());
    CHECK(none.notify("READY=1").ok());  // outside systemd: nothing to do
}

TEST_CASE("notify: the watchdog from the environment") {
    const std::string address = unique_abstract("env");
    ::setenv("NOTIFY_SOCKET", address.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "30000000", 1);
    ::unsetenv("WATCHDOG_PID");
    CHECK(SystemdNotifier::from_environment().watchdog_interval() == Duration::seconds(15));
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    CHECK(SystemdNotifier::from_environment().watchdog_interval() == Duration::seconds(15));
    ::setenv("WATCHDOG_PID", "1", 1);  // another process's watchdog
    CHECK_FALSE(SystemdNotifier::from_environment().watchdog_interval().has_value());
    ::unsetenv("WATCHDOG_PID");
    ::setenv("WATCHDOG_USEC", "soon", 1);
    auto bad = SystemdNotifier::from_environment();
    CHECK(bad.enabled());
    CHECK_FALSE(bad.watchdog_interval().has_value());
    CHECK(bad.error() == "WATCHDOG_USEC is not a positive number: 'soon'");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("NOTIFY_SOCKET");
    CHECK_FALSE(SystemdNotifier::from_environment().enabled());
}

}  // namespace
}  // namespace eddy
