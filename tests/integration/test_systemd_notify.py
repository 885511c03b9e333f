#!/usr/bin/python3
"""systemd's notification protocol spoken by a real `eddy broker` (runtime/systemd_notify.h),
with this script in systemd's place: a unix datagram socket passed as $NOTIFY_SOCKET, the
broker started as packaging/systemd/eddy.service starts it (--config with the shipped
server.properties; only ports and data directory overridden). Checks, in order:
  - STATUS=starting… is the first state; READY=1 comes once the node serves: at that moment it answers
    ApiVersions (no retry), and DescribeCluster lists it as a live (registered, unfenced) broker;
  - WATCHDOG=1 repeats while it runs ($WATCHDOG_USEC=400000: every 0.2 s);
  - SIGTERM brings STOPPING=1, then a clean exit;
  - both address forms: an abstract one ('@name') and a path; a restart on the same data says
    READY=1 again."""
import os
import signal
import socket
import time

import harness as h
from harness import check, check_eq

REPO_CONFIG = os.path.join(h.REPO, "packaging", "systemd", "server.properties")
WATCHDOG_USEC = 400000


class Manager:
    """The manager's end: a bound datagram socket collecting the broker's notifications."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.address = address
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.messages = []

    def receive(self, until, timeout, what):
        """Collects datagrams until until(self.messages) holds; fails at the deadline."""
        deadline = time.monotonic() + timeout
        while not until(self.messages):
            left = deadline - time.monotonic()
            check(left > 0, f"timed out after {timeout}s waiting for {what}; got {self.messages}")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            self.messages.append(data.decode())

    def index_of(self, line):
        return next((i for i, m in enumerate(self.messages) if line in m.split("\n")), None)

    def close(self):
        self.sock.close()
        if not self.address.startswith("@"):
            os.unlink(self.address)


def start(b, manager, watchdog=True):
    env = dict(os.environ, NOTIFY_SOCKET=manager.address)
    env.pop("WATCHDOG_PID", None)
    if watchdog:
        env["WATCHDOG_USEC"] = str(WATCHDOG_USEC)
    else:
        env.pop("WATCHDOG_USEC", None)
    b.env = env
    b.launch()


def check_ready_means_serving(b, manager):
    manager.receive(lambda ms: any("READY=1" in m.split("\n") for m in ms), 60, "READY=1")
    # The node serves the moment it says so: no retry.
    h.api_versions(b.port, timeout=5)
    # The controller has unfenced it (that ends start()); its own metadata image lists it once
    # it has applied that record, a moment later at most.
    cluster = h.wait_until(lambda: (lambda c: [x[0] for x in c["brokers"]] == [1] and c)(
        h.describe_cluster(b.port)), 10, "the node listing itself as a live broker")
    ready = manager.messages[manager.index_of("READY=1")]
    check(f"STATUS=serving: node 1, cluster.id {cluster['cluster_id']}" in ready.split("\n"),
          f"READY=1 carries the serving status: {ready!r}")
    # (The watchdog pings from the first moment.)
    first = next(m for m in manager.messages if m != "WATCHDOG=1")
    check(first.startswith("STATUS=starting"), f"the first state says starting: {first!r}")


def stop_and_check_stopping(b, manager):
    proc = b.proc
    b.proc = None
    proc.send_signal(signal.SIGTERM)
    manager.receive(lambda ms: any("STOPPING=1" in m.split("\n") for m in ms), 30, "STOPPING=1")
    check_eq(proc.wait(30), 0, "exit status after SIGTERM")
    stopping = manager.messages[manager.index_of("STOPPING=1")]
    check("STATUS=stopping (SIGTERM)" in stopping.split("\n"),
          f"STOPPING=1 says why: {stopping!r}")


class State:
    broker = None


def make_broker():
    b = h.Broker("sd-notify")
    b.args = ["--config", REPO_CONFIG]
    # The shipped file's voters and listeners name 9092/9093: the test's ports instead.
    b.overrides["controller.quorum.voters"] = f"1@127.0.0.1:{b.controller_port}"
    State.broker = b
    return b


def test_abstract_socket_ready_watchdog_stopping():
    b = make_broker()
    m = Manager(f"@eddy-test-notify-{os.getpid()}")
    try:
        start(b, m)
        check_ready_means_serving(b, m)
        ready_at = m.index_of("READY=1")
        m.receive(lambda ms: sum(x == "WATCHDOG=1" for x in ms[ready_at:]) >= 3, 30,
                  "three WATCHDOG=1 after READY=1")
        stop_and_check_stopping(b, m)
    finally:
        m.close()


def test_path_socket_and_a_restart_on_the_same_data():
    b = State.broker
    b.kill()  # in case the test before failed half-way
    path = os.path.join(b.workdir, "notify.sock")
    m = Manager(path)
    try:
        start(b, m, watchdog=False)
        check_ready_means_serving(b, m)
        check(not any(x == "WATCHDOG=1" for x in m.messages),
              f"no WATCHDOG=1 without $WATCHDOG_USEC: {m.messages}")
        stop_and_check_stopping(b, m)
    finally:
        m.close()


if __name__ == "__main__":
    raise SystemExit(h.main(globals()))
