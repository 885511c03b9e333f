#!/usr/bin/python3
"""`eddy dev` (runtime/main/dev_cmd.cpp): a local three-node cluster in one command.
  - `eddy dev -n 3 --dir D --base-port P --admin-base-port A` starts three broker+controller
    processes, says "ready", prints the bootstrap servers and the admin URLs (each answers
    /v1/ready with 200);
  - librdkafka (confluent-kafka) sees three brokers, creates a topic with replication factor 3
    (three replicas, three in sync), produces with acks=all and reads every message back;
  - SIGINT stops every node (each "stopped (exit 0)"), eddy dev exits 0, no node process is
    left and their ports are free;
  - `eddy dev --dir D` again starts the same cluster from D/eddy-dev.properties (ports and admin
    ports) on the same data: the topic and its messages are there; SIGTERM stops it too;
  - refusals, exit 2 and one line: another -n for D, an --override of a key eddy dev owns, an
    invalid --override value."""
import os
import random
import signal
import socket
import subprocess
import tempfile
import shutil
import threading
import time
import urllib.request

from confluent_kafka.admin import AdminClient, NewTopic

import harness as h
from harness import check, check_eq

NODES = 3
MESSAGES = 300


class Dev:
    """One `eddy dev` process, its stdout collected line by line."""

    def __init__(self, args):
        self.cmd = [h._args.eddy, "dev"] + args
        self.lines = []
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     preexec_fn=h._set_pdeathsig)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_line(self, prefix, timeout=60):
        """The first line that starts with `prefix`; fails if eddy dev exits or the deadline
        passes first."""
        deadline = time.monotonic() + timeout
        while True:
            exited = self.proc.poll() is not None
            if exited:
                self.reader.join(10)  # every line it wrote
            line = next((x for x in self.lines if x.startswith(prefix)), None)
            if line is not None:
                return line
            check(not exited, f"eddy dev exited ({self.proc.returncode}) before '{prefix}':\n"
                              + self.output())
            check(time.monotonic() < deadline,
                  f"no '{prefix}' from eddy dev within {timeout}s:\n" + self.output())
            time.sleep(0.05)

    def stop(self, sig, timeout=60):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout)
        self.reader.join(10)
        return rc

    def output(self):
        return "\n".join(self.lines)

    def pids(self):
        # "eddy dev: node 1 started: pid 4242, client 127.0.0.1:P, controller 127.0.0.1:Q"
        return [int(x.split("pid ")[1].split(",")[0]) for x in self.lines if " started: pid " in x]


class State:
    dir = None
    base = None
    admin_base = None
    dev = None
    topic = None
    values = None


def free_range(count, low=20000, high=32000):
    """`count` consecutive free TCP ports on 127.0.0.1, below the ephemeral range."""
    for _ in range(200):
        base = random.randrange(low, high - count)
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise h.TestFailure(f"no {count} consecutive free ports")


def conf():
    bootstrap = ",".join(f"127.0.0.1:{State.base + i}" for i in range(NODES))
    return {"bootstrap.servers": bootstrap, "broker.address.family": "v4",
            "socket.timeout.ms": 10000}


def test_dev_starts_three_nodes_and_prints_the_bootstrap_servers():
    State.dir = tempfile.mkdtemp(prefix="eddy-int-dev-")
    State.base = free_range(2 * NODES)
    State.admin_base = free_range(NODES + 1)
    State.dev = Dev(["-n", str(NODES), "--dir", State.dir, "--base-port", str(State.base),
                     "--admin-base-port", str(State.admin_base)])
    State.dev.wait_line("eddy dev: ready", 90)
    check_eq(len(State.dev.pids()), NODES, "node processes started")
    bootstrap = State.dev.wait_line("eddy dev: bootstrap servers: ")
    check_eq(bootstrap.split(": ")[-1], conf()["bootstrap.servers"], "bootstrap servers")
    check_admin_urls(State.dev)
    for i in range(1, NODES + 1):
        check(os.path.isfile(os.path.join(State.dir, f"node-{i}", "data", "meta.properties")),
              f"node {i}'s data under {State.dir}/node-{i}/data")


def check_admin_urls(dev):
    """The admin line names node i's admin API at ADMIN_BASE+i, and each says it is ready."""
    urls = dev.wait_line("eddy dev: admin: ").split(": ")[-1].split()
    check_eq(urls, [f"http://127.0.0.1:{State.admin_base + i}" for i in range(1, NODES + 1)],
             "admin URLs")
    for url in urls:
        with urllib.request.urlopen(url + "/v1/ready", timeout=10) as r:
            check_eq(r.status, 200, f"{url}/v1/ready")


def test_librdkafka_produces_and_consumes_with_replication_factor_3():
    admin = AdminClient(conf())
    h.wait_until(lambda: sorted(admin.list_topics(timeout=10).brokers) == [1, 2, 3], 30,
                 "three brokers in librdkafka's metadata")
    State.topic = h.unique("dev-rf3")
    fs = admin.create_topics([NewTopic(State.topic, 1, NODES)], operation_timeout=20)
    fs[State.topic].result(30)

    def partition():
        p = admin.list_topics(State.topic, timeout=10).topics[State.topic].partitions[0]
        return p if p.leader > 0 and len(p.isrs) == NODES else None
    p = h.wait_until(partition, 30, "a leader and three in-sync replicas")
    check_eq(sorted(p.replicas), [1, 2, 3], "replicas")
    State.values = [f"m{i}" for i in range(MESSAGES)]
    h.produce_values(conf(), State.topic, State.values, what="acks=all produce")
    got = h.consume_values(conf(), State.topic, MESSAGES)
    check_eq(got, State.values, "messages read back")


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def check_stopped(dev, rc):
    check_eq(rc, 0, "eddy dev's exit status\n" + dev.output())
    for i in range(1, NODES + 1):
        check(f"eddy dev: node {i} stopped (exit 0)" in dev.lines,
              f"node {i} stopped cleanly:\n" + dev.output())
    check(all(gone(pid) for pid in dev.pids()), f"node processes left: {dev.pids()}")
    for port in range(State.base, State.base + 2 * NODES):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))  # free again


def test_sigint_stops_every_node():
    dev = State.dev
    rc = dev.stop(signal.SIGINT)
    check_stopped(dev, rc)


def test_restart_on_the_same_directory_reuses_the_data():
    # No -n, no --base-port, no --admin-base-port: eddy-dev.properties has them.
    dev = Dev(["--dir", State.dir])
    State.dev = dev
    dev.wait_line("eddy dev: ready", 90)
    check_admin_urls(dev)
    got = h.consume_values(conf(), State.topic, MESSAGES, skip_errors=True)
    check_eq(got, State.values, "the messages after the restart")
    check_stopped(dev, dev.stop(signal.SIGTERM))


def refused(args, expected):
    p = subprocess.run([h._args.eddy, "dev"] + args, capture_output=True, text=True, timeout=30)
    check_eq(p.returncode, 2, f"exit status of eddy dev {' '.join(args)}")
    check_eq(h.clean_stderr(p.stderr), expected + "\n", "stderr")


def test_refusals():
    refused(["--dir", State.dir, "-n", "2"],
            f"eddy dev: {State.dir} holds a 3-node cluster on ports from {State.base} "
            "(eddy-dev.properties): start it without -n and --base-port, or use another --dir")
    other = os.path.join(State.dir, "refused")  # removed with the rest
    refused(["--dir", other, "--override", "node.id=7"],
            "eddy dev: --override node.id=7: eddy dev sets node.id for each node (see --help)")
    refused(["--dir", other, "--override", "num.partitions=zero"],
            "eddy dev: --override: num.partitions: expected an integer, got 'zero'")
    refused(["--dir", other, "--log-level", "info,raft=loud"],
            "eddy dev: --override: log level 'info,raft=loud': 'loud' is not debug, info, warn, "
            "error or off")


def cleanup(keep):
    if State.dev is not None and State.dev.proc.poll() is None:
        State.dev.proc.kill()  # its nodes get SIGTERM (PR_SET_PDEATHSIG)
        State.dev.proc.wait(10)
    if State.dir is not None and not keep:
        shutil.rmtree(State.dir, ignore_errors=True)


if __name__ == "__main__":
    rc = 1
    try:
        rc = h.main(globals())
        if rc != 0 and State.dev is not None:
            print("===== eddy dev output =====\n" + State.dev.output())
            for i in range(1, NODES + 1):
                path = os.path.join(State.dir or "", f"node-{i}", "broker.log")
                if os.path.exists(path):
                    with open(path, errors="replace") as f:
                        print(f"===== {path} (last 60 lines) =====\n" +
                              "\n".join(f.read().splitlines()[-60:]))
    finally:
        cleanup(keep=rc != 0)
    raise SystemExit(rc)
