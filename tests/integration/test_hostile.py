#!/usr/bin/python3
"""Hostile clients against a real eddy broker (issue #9, point 3): request frames built to hurt it
are sent over raw sockets, then real clients must still produce and consume.

The frames come from eddy_hostile_frames (tests/fuzz/hostile/write_frames.cpp; ctest passes it in
$EDDY_HOSTILE_FRAMES, else <dir of eddy>/tests/eddy_hostile_frames): first the four examples of
the issue, which must be answered (DescribeConfigs v4 for a 32,760-byte topic name, JoinGroup with
a 32,767-byte client id, Fetch naming one partition 5000 times with max_bytes 2^31-1, a plain
Produce into __consumer_offsets), then a sample of generated requests of every advertised API and
version with extreme field values and lying headers, each of which must be answered (with the
request's correlation id) or have its connection closed. After every frame the broker process
must be alive and answer ApiVersions. Last, SIGTERM must stop the broker while a hostile long poll
waits."""
import os
import socket
import struct
import subprocess
import tempfile
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

import harness as h
from harness import check, check_eq

SEED = 20261204
SAMPLE = 120                 # generated frames besides the named examples
BUDGET_MAX = 256 << 10       # bytes per generated request, at most
REPLY_WAIT = 3.0             # seconds; a long poll or an acks=0 produce stays silent


def setup():
    b = h.Broker("hostile", {"offsets.topic.num.partitions": "1"}).start()
    # The state the frames name: topic "t" with records in both partitions, the offsets topic.
    a = AdminClient(h.confluent_conf(b))
    a.create_topics([NewTopic("t", 2, 1)])["t"].result(15)
    p = Producer(h.confluent_conf(b, acks="all"))
    for part in (0, 1):
        h.produce_sync(p, "t", value=b"session", partition=part)
    p.flush(10)
    h.wait_until(lambda: _find_coordinator_ok(b), 20, "the group coordinator")
    return b


def _find_coordinator_ok(b):
    """FindCoordinator v1 for group "g" answers with no error (the offsets topic exists)."""
    r = h.kafka_request(b.port, 10, 1, struct.pack(">h", 1) + b"g" + b"\x00")
    r.i32()  # throttle
    return r.i16() == 0


def frames_tool():
    tool = os.environ.get("EDDY_HOSTILE_FRAMES")
    if not tool:
        tool = os.path.join(os.path.dirname(h._args.eddy), "tests", "eddy_hostile_frames")
    check(os.access(tool, os.X_OK), f"eddy_hostile_frames not found at {tool}")
    return tool


class Frames:
    rows = None  # [(path, api_key, version, correlation, must_answer, label)]


def frames():
    if Frames.rows is None:
        out = tempfile.mkdtemp(prefix="eddy-hostile-frames-")
        subprocess.run([frames_tool(), out, str(SEED), str(SAMPLE), str(BUDGET_MAX)], check=True,
                       timeout=120)
        rows = []
        with open(os.path.join(out, "index.tsv")) as f:
            for line in f:
                name, key, version, corr, must, label = line.rstrip("\n").split("\t", 5)
                rows.append((os.path.join(out, name), int(key), int(version), int(corr),
                             must == "1", label))
        Frames.rows = rows
    return Frames.rows


def send_frame(b, path, correlation):
    """Sends one frame on a fresh connection: 'answered', 'closed' or 'silent' (no answer within
    REPLY_WAIT); fails on an answer with another correlation id."""
    with open(path, "rb") as f:
        data = f.read()
    with socket.create_connection(("127.0.0.1", b.port), timeout=REPLY_WAIT) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            return "closed"
        try:
            head = h._recv_exact(s, 4)
        except socket.timeout:
            return "silent"
        except (ConnectionError, OSError):
            return "closed"
        size = struct.unpack(">i", head)[0]
        check(4 <= size < 256 << 20, f"absurd response size {size}")
        s.settimeout(30)
        body = h._recv_exact(s, size)
        check_eq(struct.unpack(">i", body[:4])[0], correlation, "response correlation id")
        return "answered"


def check_alive(b, label):
    check(b.proc is not None and b.proc.poll() is None,
          f"after {label}: the broker process exited (code {b.proc and b.proc.poll()})")
    try:
        h.api_versions(b.port, timeout=5.0)
    except Exception as e:  # noqa: BLE001
        # A dying broker refuses connections before it has exited: let it finish, so that the
        # harness sees the exit and restarts it for the tests after this one.
        try:
            b.proc.wait(10)
        except Exception:  # noqa: BLE001 - still running: hung, not dead
            pass
        raise h.TestFailure(f"after {label}: ApiVersions not answered: {e} "
                            f"(exit code {b.proc.poll()})")


def test_named_examples_are_answered(b):
    examples = [row for row in frames() if row[4]]
    check_eq(len(examples), 5, "named example frames")  # JoinGroup comes in v5 and v9

    def one(row):
        path, _, _, corr, _, label = row
        check_eq(send_frame(b, path, corr), "answered", label)
        check_alive(b, label)

    h.each_case(examples, one)


def test_generated_frames_are_answered_or_closed(b):
    generated = [row for row in frames() if not row[4]]
    check(len(generated) >= SAMPLE, f"only {len(generated)} generated frames")
    seen = {"answered": 0, "closed": 0, "silent": 0}
    for path, _, _, corr, _, label in generated:
        outcome = send_frame(b, path, corr)
        seen[outcome] += 1
        check_alive(b, label)
    print(f"[hostile] {len(generated)} generated frames: {seen}")
    check(seen["answered"] > 0 and seen["closed"] > 0, f"implausible outcomes {seen}")


def test_real_clients_still_produce_and_consume(b):
    topic = h.unique("after-hostile")
    admin = AdminClient(h.confluent_conf(b))  # kept alive: a collected client fails its futures
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(15)
    p = Producer(h.confluent_conf(b, acks="all"))
    sent = [b"after-%d" % i for i in range(20)]
    for v in sent:
        h.produce_sync(p, topic, value=v, partition=0)
    got = h.consume_all(b, topic, 0, 0, len(sent))
    check_eq([m.value() for m in got], sent, "consumed values")
    # A group consumer: the coordinator (__consumer_offsets took a hostile Produce) still works.
    c = Consumer(h.confluent_conf(b, **{"group.id": h.unique("after-hostile-group"),
                                        "auto.offset.reset": "earliest",
                                        "enable.auto.commit": False}))
    try:
        c.subscribe([topic])
        values = []
        deadline = time.monotonic() + 30
        while len(values) < len(sent):
            check(time.monotonic() < deadline, f"group consumer read {len(values)} messages")
            m = c.poll(1.0)
            if m is None or m.error():
                continue
            values.append(m.value())
        check_eq(values, sent, "group consumer values")
        committed = c.commit(asynchronous=False)
        check_eq([tp.offset for tp in committed], [len(sent)], "committed offset")
    finally:
        c.close()


def test_sigterm_stops_the_broker_under_a_pending_long_poll(b):
    """A Fetch asking to wait 2^31-1 ms for 2^31-1 bytes must not hold up a graceful shutdown."""
    topic = h.unique("long-poll")
    admin = AdminClient(h.confluent_conf(b))
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(15)
    body = (struct.pack(">iiiib", -1, 2**31 - 1, 2**31 - 1, 2**31 - 1, 0)  # Fetch v4
            + struct.pack(">i", 1) + h._str(topic) + struct.pack(">i", 1)
            + struct.pack(">iqi", 0, 0, 1 << 20))  # partition 0 from offset 0: empty, so it waits
    msg = struct.pack(">hhi", 1, 4, 77) + h._str("hostile") + body
    with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        time.sleep(0.5)  # the fetch is parked in its long poll
        check_eq(b.stop(timeout=20), 0, "exit code after SIGTERM")
    b.start()
    check_alive(b, "the restart")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
