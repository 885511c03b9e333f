#!/usr/bin/python3
"""Consumer groups against a real eddy broker (issue #5): python3-confluent-kafka (librdkafka
2.0.2) consumers splitting a 6-partition topic and rebalancing when one closes, a committed
offset surviving a consumer and broker restart, static membership (group.instance.id) keeping
its partitions across a quick restart, kafka-python's group consumer, a kafkajs consumer group
with eachMessage (js/kafkajs_group.js), kcat's balanced consumer (`kcat -G`) committing and
resuming, `eddy group` list/describe plus the admin operations reset-offsets, delete-offsets and
delete, and `eddy consume -g` sharing a group with a librdkafka consumer and following through a
broker restart. Synchronisation is by polling, with deadlines, for an observable fact (an
assignment, a record, a group state, a committed offset as the broker answers it), not by
sleeping; the one fixed window is the static-member test's two seconds of watching for a
rebalance that must not come."""
import json
import os
import subprocess
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import harness as h
from harness import check, check_eq

JS = h.JS


def setup():
    return h.Broker("groups", {"group.initial.rebalance.delay.ms": "0"}).start()


def create_topic(b, name, partitions, messages_per_partition=0):
    a = AdminClient(h.confluent_conf(b))
    a.create_topics([NewTopic(name, partitions, 1)], operation_timeout=10)[name].result(15)
    h.wait_until(lambda: len(a.list_topics(name, timeout=5).topics[name].partitions) == partitions,
                 10, f"topic {name} in metadata")
    if messages_per_partition:
        p = Producer(h.confluent_conf(b))
        for part in range(partitions):
            for i in range(messages_per_partition):
                p.produce(name, value=f"{part}-{i}".encode(), partition=part)
        check_eq(p.flush(15), 0, "messages left unflushed")


def consumer(b, group, **extra):
    conf = h.confluent_conf(b, **{"group.id": group, "session.timeout.ms": 6000,
                                  "heartbeat.interval.ms": 300, "auto.offset.reset": "earliest",
                                  "enable.auto.commit": False, "enable.partition.eof": False})
    conf.update(extra)
    return Consumer(conf)


def assigned(c):
    return {(tp.topic, tp.partition) for tp in c.assignment()}


def committed(b, group, topic, partitions):
    """The group's committed offsets for partitions 0..partitions-1 of topic, as the broker
    answers them (OffsetFetch from a consumer that does not join the group); -1001: none."""
    r = consumer(b, group)
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        return [x.offset for x in r.committed(tps, timeout=10)]
    finally:
        r.close()


def wait_committed(b, group, topic, offsets, what, timeout=30):
    """Waits until the broker answers exactly `offsets` as the group's committed offsets (on a
    timeout the failure shows its last answer)."""
    def landed():
        check_eq(committed(b, group, topic, len(offsets)), offsets, "committed offsets")
        return True
    h.wait_until(landed, timeout, what, interval=0.1)


def poll_all(consumers, received, rounds=1):
    for _ in range(rounds):
        for c in consumers:
            m = c.poll(0.05)
            if m is not None and not m.error():
                received.append((m.partition(), m.offset(), m.value()))


def wait_split(consumers, topic, partitions, received, timeout=30):
    """Polls every consumer until their assignments are non-empty, disjoint and cover the topic."""
    want = {(topic, p) for p in range(partitions)}

    def split():
        poll_all(consumers, received)
        sets = [assigned(c) for c in consumers]
        return (all(sets) and sum(len(s) for s in sets) == partitions
                and set().union(*sets) == want) and sets
    return h.wait_until(split, timeout, f"{len(consumers)} consumers splitting {topic}", interval=0)


def test_confluent_consumers_split_and_rebalance(b):
    t, g = h.unique("grp-split"), h.unique("g-split")
    create_topic(b, t, 6, messages_per_partition=5)
    cs = [consumer(b, g) for _ in range(3)]
    try:
        for c in cs:
            c.subscribe([t])
        received = []
        sets = wait_split(cs, t, 6, received)
        print(f"  assignments: {[sorted(p for _, p in s) for s in sets]}")
        h.wait_until(lambda: (poll_all(cs, received), len(set(received)) >= 30)[1], 20,
                     "all 30 messages consumed")
        check_eq(len(received), 30, "messages consumed (each exactly once)")
        # Closing one member (LeaveGroup) moves its partitions to the other two.
        cs[0].close()
        closed = cs.pop(0)
        sets = wait_split(cs, t, 6, received)
        print(f"  after one closed: {[sorted(p for _, p in s) for s in sets]}")
        del closed
    finally:
        for c in cs:
            c.close()


def test_committed_offset_resumes_after_consumer_and_broker_restart(b):
    t, g = h.unique("grp-resume"), h.unique("g-resume")
    create_topic(b, t, 1, messages_per_partition=10)
    c = consumer(b, g)
    c.subscribe([t])
    got = []
    h.wait_until(lambda: (poll_all([c], got), len(got) >= 4)[1], 20, "4 messages")
    last = got[3]
    c.commit(offsets=[TopicPartition(t, 0, last[1] + 1)], asynchronous=False)
    check_eq(c.committed([TopicPartition(t, 0)], timeout=10)[0].offset, 4, "committed offset")
    c.close()
    b.restart()
    c = consumer(b, g)
    try:
        check_eq(c.committed([TopicPartition(t, 0)], timeout=10)[0].offset, 4,
                 "committed offset after the broker restart")
        c.subscribe([t])
        again = []
        h.wait_until(lambda: (poll_all([c], again), again)[1], 30, "a message after the restart")
        check_eq(again[0][:2], (0, 4), "first (partition, offset) consumed after the restart")
        print(f"  resumed at offset {again[0][1]}: {again[0][2]!r}")
    finally:
        c.close()


def test_static_member_keeps_partitions_across_quick_restart(b):
    t, g = h.unique("grp-static"), h.unique("g-static")
    create_topic(b, t, 6)
    a = consumer(b, g, **{"group.instance.id": "static-a", "session.timeout.ms": 20000})
    o = consumer(b, g, **{"group.instance.id": "static-b", "session.timeout.ms": 20000})
    events = []  # the other member's rebalance callbacks
    try:
        a.subscribe([t])
        o.subscribe([t], on_assign=lambda c, ps: events.append("assign"),
                    on_revoke=lambda c, ps: events.append("revoke"))
        before = wait_split([a, o], t, 6, [])
        print(f"  before: {[sorted(p for _, p in s) for s in before]}, other member: {events}")
        seen = len(events)
        a.close()  # a static member does not leave the group on close
        a = consumer(b, g, **{"group.instance.id": "static-a", "session.timeout.ms": 20000})
        a.subscribe([t])
        after = wait_split([a, o], t, 6, [])
        check_eq(after, before, "assignments after the static member came back")
        # No rebalance happened: the other member got no revocation or new assignment (polled a
        # while longer: it would learn of a rebalance from its heartbeats every 300 ms).
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            poll_all([a, o], [])
        check_eq(events[seen:], [], "rebalance callbacks of the other member after the restart")
        check_eq([assigned(a), assigned(o)], before, "assignments a little later")
    finally:
        a.close()
        o.close()


def test_kafka_python_group_consumer_commits(b):
    from kafka import KafkaConsumer
    from kafka.structs import TopicPartition as KTP
    t, g = h.unique("grp-kpy"), h.unique("g-kpy")
    create_topic(b, t, 2, messages_per_partition=5)
    c = KafkaConsumer(t, bootstrap_servers=b.bootstrap, group_id=g, auto_offset_reset="earliest",
                      enable_auto_commit=False, consumer_timeout_ms=20000,
                      session_timeout_ms=10000, heartbeat_interval_ms=500)
    try:
        got = []
        for m in c:
            got.append((m.partition, m.offset))
            if len(got) == 10:
                break
        check_eq(sorted(got), [(p, o) for p in range(2) for o in range(5)], "kafka-python consumed")
        c.commit()
        check_eq([c.committed(KTP(t, p)) for p in range(2)], [5, 5], "kafka-python committed")
    finally:
        c.close()
    # librdkafka sees the same committed offsets.
    r = consumer(b, g)
    try:
        offs = r.committed([TopicPartition(t, 0), TopicPartition(t, 1)], timeout=10)
        check_eq([x.offset for x in offs], [5, 5], "committed offsets as librdkafka reads them")
    finally:
        r.close()


def test_kafkajs_consumer_group_each_message(b):
    node = h.node_js()
    t, g = h.unique("grp-kjs"), h.unique("g-kjs")
    p = subprocess.run([node, os.path.join(JS, "kafkajs_group.js"), b.bootstrap, t, g, "20"],
                       capture_output=True, timeout=80, cwd=JS)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    check_eq(p.returncode, 0, f"kafkajs_group.js exit code\nstdout:\n{out[-3000:]}\nstderr:\n{err[-5000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    check_eq(sorted((x[0], x[1]) for x in res["consumed"]),
             [(p, o) for p in range(2) for o in range(10)], "kafkajs consumed each record once")
    print(f"  kafkajs committed {res['committed']}")
    r = consumer(b, g)
    try:
        offs = r.committed([TopicPartition(t, 0), TopicPartition(t, 1)], timeout=10)
        check_eq([x.offset for x in offs], [10, 10], "kafkajs's commits as librdkafka reads them")
    finally:
        r.close()


def kcat_group(b, group, topic, count):
    """`kcat -G GROUP TOPIC -c COUNT`: kcat 1.7.1's balanced consumer joins the group, reads COUNT
    records and exits, committing what it read (auto commit, on close). Returns
    [(partition, offset, payload)] sorted."""
    p = h.kcat(b, "-G", group, "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000",
               "-c", str(count), "-J", "-q", topic, timeout=60)
    msgs = [json.loads(x) for x in p.stdout.decode().splitlines() if x.strip()]
    return sorted((m["partition"], m["offset"], m["payload"]) for m in msgs)


def test_kcat_balanced_consumer_commits_and_resumes(b):
    """kcat -G: the group's committed offsets, as the broker answers them, are where kcat stopped;
    the group is Empty once it left; a second kcat -G of the group resumes from those offsets."""
    t, g = h.unique("grp-kcat"), h.unique("g-kcat")
    create_topic(b, t, 2, messages_per_partition=5)
    got = kcat_group(b, g, t, 10)
    check_eq(got, [(part, off, f"{part}-{off}") for part in range(2) for off in range(5)],
             "kcat -G read every record once")
    wait_committed(b, g, t, [5, 5], "kcat -G's commit on exit")
    h.wait_until(lambda: {r[0]: r[1] for r in eddy_rows(b, "list", quiet=True)[1:]}.get(g)
                 == "Empty", 20, f"{g} Empty after kcat -G left")
    p = Producer(h.confluent_conf(b))
    for part in range(2):
        for i in range(5, 7):
            p.produce(t, value=f"{part}-{i}".encode(), partition=part)
    check_eq(p.flush(15), 0, "messages left unflushed")
    got = kcat_group(b, g, t, 4)
    check_eq(got, [(part, off, f"{part}-{off}") for part in range(2) for off in range(5, 7)],
             "the second kcat -G resumed at the committed offsets")
    wait_committed(b, g, t, [7, 7], "the second kcat -G's commit on exit")


def test_eddy_group_list_and_describe(b):
    t, g = h.unique("grp-cli"), h.unique("g-cli")
    create_topic(b, t, 2, messages_per_partition=5)
    c = consumer(b, g, **{"client.id": "cli-consumer"})
    try:
        c.subscribe([t])
        got = []
        h.wait_until(lambda: (poll_all([c], got), len(got) >= 8)[1], 20, "8 messages")
        c.commit(offsets=[TopicPartition(t, 0, 5), TopicPartition(t, 1, 3)], asynchronous=False)
        env = dict(os.environ, EDDY_BROKERS=b.bootstrap)
        out = subprocess.run([h._args.eddy, "group", "list"], capture_output=True, env=env,
                             timeout=30, text=True)
        check_eq(out.returncode, 0, f"eddy group list exit code ({out.stderr})")
        print("  $ eddy group list\n" + "\n".join("    " + x for x in out.stdout.splitlines()))
        rows = [x.split() for x in out.stdout.splitlines()]
        check_eq(rows[0], ["GROUP", "STATE", "PROTOCOL-TYPE"], "list header")
        check([g, "Stable", "consumer"] in rows, f"{g} Stable in the list")
        out = subprocess.run([h._args.eddy, "group", "describe", g], capture_output=True, env=env,
                             timeout=30, text=True)
        check_eq(out.returncode, 0, f"eddy group describe exit code ({out.stderr})")
        print(f"  $ eddy group describe {g}\n" +
              "\n".join("    " + x for x in out.stdout.splitlines()))
        rows = [x.split() for x in out.stdout.splitlines()]
        check_eq(rows[1], ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                           "CONSUMER-ID", "HOST", "CLIENT-ID"], "describe header")
        check_eq([r[:6] for r in rows[2:]], [[g, t, "0", "5", "5", "0"], [g, t, "1", "3", "5", "2"]],
                 "offsets, log end and lag per partition")
        member = rows[2][6]
        check(member.startswith("cli-consumer-"), f"consumer id {member!r}")
        check_eq([r[6:] for r in rows[2:]], [[member, "127.0.0.1", "cli-consumer"]] * 2,
                 "owner columns")
        out = subprocess.run([h._args.eddy, "group", "describe", "no-such-group"],
                             capture_output=True, env=env, timeout=30, text=True)
        check_eq((out.returncode, h.clean_stderr(out.stderr).strip()),
                 (1, "eddy group describe: group 'no-such-group' does not exist"), "unknown group")
    finally:
        c.close()


def eddy(b, *args):
    env = dict(os.environ, EDDY_BROKERS=b.bootstrap)
    out = subprocess.run([h._args.eddy, "group", *args], capture_output=True, env=env,
                         timeout=60, text=True)
    out.stderr = h.clean_stderr(out.stderr)
    return out


def eddy_rows(b, *args, quiet=False):
    """Runs `eddy group ARGS`, which must succeed; its stdout as rows of words."""
    out = eddy(b, *args)
    check_eq(out.returncode, 0, f"eddy group {' '.join(args)} exit code ({out.stderr.strip()})")
    if not quiet:
        print(f"  $ eddy group {' '.join(args)}\n" +
          "\n".join("    " + x for x in out.stdout.splitlines()))
    return [x.split() for x in out.stdout.splitlines()]


def eddy_fails(b, args, stderr, what):
    out = eddy(b, *args)
    check_eq((out.returncode, out.stderr.strip(), out.stdout), (1, stderr, ""), what)


def test_eddy_group_reset_delete_offsets_and_delete(b):
    t, g = h.unique("grp-reset"), h.unique("g-reset")
    create_topic(b, t, 2)
    # Five records a partition, one second apart from 2024-05-01T12:00:00Z (CreateTime), so that
    # --to-datetime and --by-duration have fixed answers.
    base = 1714564800000
    p = Producer(h.confluent_conf(b))
    for part in range(2):
        for i in range(5):
            p.produce(t, value=f"{part}-{i}".encode(), partition=part, timestamp=base + 1000 * i)
    check_eq(p.flush(15), 0, "messages left unflushed")

    def current_offsets():
        rows = eddy_rows(b, "describe", g, quiet=True)
        return [(r[2], r[3]) for r in rows[2:]]

    def state():
        return {r[0]: r[1] for r in eddy_rows(b, "list", quiet=True)[1:]}.get(g)

    def table(offsets):
        return [["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]] + \
            [[g, t, str(part), str(o)] for part, o in enumerate(offsets)]

    dry = ["(dry", "run:", "add", "--execute", "to", "commit", "these", "offsets)"]
    reset = ["reset-offsets", g, "--topic", t]

    # An active member: every admin operation is refused.
    c = consumer(b, g)
    try:
        c.subscribe([t])
        got = []
        h.wait_until(lambda: (poll_all([c], got), len(got) >= 10)[1], 20, "10 messages")
        c.commit(offsets=[TopicPartition(t, 0, 5), TopicPartition(t, 1, 5)], asynchronous=False)
        h.wait_until(lambda: state() == "Stable", 20, f"{g} Stable")
        eddy_fails(b, reset + ["--to-earliest", "--execute"],
                   f"eddy group reset-offsets: group '{g}' is active (state Stable): "
                   "stop its consumers first", "reset-offsets of an active group")
        eddy_fails(b, ["delete-offsets", g, "--topic", t],
                   f"eddy group delete-offsets: group '{g}' is subscribed to topic '{t}': "
                   "stop its consumers first (GROUP_SUBSCRIBED_TO_TOPIC)",
                   "delete-offsets of a consumed topic")
        eddy_fails(b, ["delete", g], f"eddy group delete: group '{g}' is not empty: "
                   "stop its consumers first (NON_EMPTY_GROUP)", "delete of an active group")
    finally:
        c.close()
    h.wait_until(lambda: state() == "Empty", 20, f"{g} Empty after its consumer closed")
    check_eq(current_offsets(), [("0", "5"), ("1", "5")], "offsets after the refusals")

    # Dry runs print the new offsets and change nothing.
    check_eq(eddy_rows(b, *reset, "--to-earliest"), table([0, 0]) + [dry], "dry run --to-earliest")
    check_eq(eddy_rows(b, "reset-offsets", g, "--all-topics", "--shift-by", "-10"),
             table([0, 0]) + [dry], "dry run --all-topics --shift-by -10 (clamped to the start)")
    check_eq(current_offsets(), [("0", "5"), ("1", "5")], "offsets after the dry runs")

    # --execute --to-earliest: a consumer of the group resumes from 0 (not from 5, and not by
    # auto.offset.reset, which is latest here).
    check_eq(eddy_rows(b, *reset, "--to-earliest", "--execute"), table([0, 0]),
             "--to-earliest --execute")
    check_eq(current_offsets(), [("0", "0"), ("1", "0")], "offsets after --to-earliest")
    c = consumer(b, g, **{"auto.offset.reset": "latest"})
    try:
        c.subscribe([t])
        got = []
        h.wait_until(lambda: (poll_all([c], got), {x[0] for x in got} == {0, 1})[1], 30,
                     "a message from each partition")
        first = {}
        for part, off, _ in got:
            first.setdefault(part, off)
        check_eq(first, {0: 0, 1: 0}, "first offset consumed per partition after the reset")
    finally:
        c.close()
    h.wait_until(lambda: state() == "Empty", 20, f"{g} Empty after the second consumer")

    # Out-of-range offsets clamp to the log; shifts start from the committed offset.
    check_eq(eddy_rows(b, *reset, "--to-offset", "99", "--execute"), table([5, 5]),
             "--to-offset 99 (clamped to the log end)")
    check_eq(eddy_rows(b, *reset, "--shift-by", "-2", "--execute"), table([3, 3]),
             "--shift-by -2")
    check_eq(current_offsets(), [("0", "3"), ("1", "3")], "offsets after --shift-by -2")
    check_eq(eddy_rows(b, "reset-offsets", g, "--topic", f"{t}:1", "--to-datetime",
                       "2024-05-01T12:00:02.000", "--execute"),
             [table([0])[0], [g, t, "1", "2"]], "--to-datetime on partition 1")
    check_eq(current_offsets(), [("0", "3"), ("1", "2")], "offsets after --to-datetime")
    # Every record is from 2024: none in the last hour, so the new offset is the log end.
    check_eq(eddy_rows(b, *reset, "--by-duration", "PT1H"), table([5, 5]) + [dry],
             "dry run --by-duration PT1H")
    check_eq(eddy_rows(b, *reset, "--by-duration", "P5000DT1H"), table([0, 0]) + [dry],
             "dry run --by-duration P5000DT1H")

    # delete-offsets, then delete.
    check_eq(eddy_rows(b, "delete-offsets", g, "--topic", f"{t}:0"),
             [["deleted", "offsets", "of", "group", g, "for", f"{t}:0"]], "delete-offsets")
    check_eq(current_offsets(), [("1", "2")], "offsets after delete-offsets")
    check_eq(eddy_rows(b, "delete", g), [["deleted", "group", g]], "delete")
    eddy_fails(b, ["describe", g], f"eddy group describe: group '{g}' does not exist",
               "describe after delete")
    eddy_fails(b, ["delete", g], f"eddy group delete: group '{g}' does not exist "
               "(GROUP_ID_NOT_FOUND)", "delete of a deleted group")


class EddyConsumer:
    """`eddy consume TOPIC -g GROUP -F -f '%p %o %v'` in the background; its output lines as
    (partition, offset, value) tuples, read by a thread."""

    def __init__(self, b, topic, group):
        import threading
        env = dict(os.environ, EDDY_BROKERS=b.bootstrap)
        self.proc = subprocess.Popen(
            [h._args.eddy, "consume", topic, "-g", group, "-F", "--session-timeout-ms", "6000",
             "-f", "%p %o %v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            text=True, preexec_fn=h._set_pdeathsig)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            part, off, value = line.split()
            self.lines.append((int(part), int(off), value))

    def stop(self, outage=False):
        """SIGTERM: it commits, leaves the group and exits 0. After a broker outage its stderr may
        say, once per outage, that it is retrying; nothing else."""
        self.proc.terminate()
        rc = self.proc.wait(30)
        self.reader.join(10)
        err = h.clean_stderr(self.proc.stderr.read()).strip()
        if outage:
            err = "\n".join(x for x in err.splitlines() if not x.endswith("; retrying"))
        check_eq((rc, err), (0, ""), "eddy consume -g exit code and stderr after SIGTERM")


def test_eddy_consume_group_shares_a_group_with_librdkafka(b):
    """`eddy consume -g` (Eddy's GroupMember) and a librdkafka consumer in one group: each side
    is the leader once (so each reads the other's subscription and assignment bytes), they split
    the partitions, and each resumes from the offsets the other committed."""
    t, g = h.unique("grp-cli"), h.unique("g-cli")
    create_topic(b, t, 4, messages_per_partition=5)
    p = Producer(h.confluent_conf(b))

    def produce_round(value):
        for part in range(4):
            p.produce(t, value=value.encode(), partition=part)
        check_eq(p.flush(15), 0, "messages left unflushed")

    e1 = EddyConsumer(b, t, g)
    c = None
    try:
        h.wait_until(lambda: len(e1.lines) >= 20, 30, "eddy consume -g reading all 20 records")
        check_eq(sorted((x[0], x[1]) for x in e1.lines),
                 [(part, off) for part in range(4) for off in range(5)], "eddy's first 20 records")
        # A librdkafka member joins; the eddy member, the leader, assigns it half the partitions.
        c = consumer(b, g)
        c.subscribe([t])
        got = []
        h.wait_until(lambda: (poll_all([c], got), len(assigned(c)) == 2)[1], 30,
                     "the librdkafka member assigned 2 of the 4 partitions")
        mine = {part for _, part in assigned(c)}
        check_eq(got, [], "records the librdkafka member got before new ones were produced "
                 "(it must start from eddy's commits)")
        produce_round("r2")
        h.wait_until(lambda: (poll_all([c], got), len(got) >= 2 and len(e1.lines) >= 22)[1], 30,
                     "the second round split between both members")
        poll_all([c], got, rounds=10)
        check_eq(sorted((x[0], x[1]) for x in got), sorted((part, 5) for part in mine),
                 "what the librdkafka member read")
        check_eq(sorted((x[0], x[1]) for x in e1.lines[20:]),
                 sorted((part, 5) for part in range(4) if part not in mine),
                 "what the eddy member read")
        c.commit(asynchronous=False)  # else the next rebalance hands it its own records again
        # SIGTERM: eddy commits and leaves; librdkafka takes every partition and resumes after
        # what eddy read.
        e1.stop()
        h.wait_until(lambda: (poll_all([c], got), len(assigned(c)) == 4)[1], 30,
                     "the librdkafka member taking all 4 partitions")
        produce_round("r3")
        h.wait_until(lambda: (poll_all([c], got), len(got) >= 6)[1], 30, "the third round")
        poll_all([c], got, rounds=10)
        check_eq(sorted((x[0], x[1]) for x in got[2:]), [(part, 6) for part in range(4)],
                 "the librdkafka member after eddy left (no redelivery of eddy's records)")
        c.commit(asynchronous=False)
        # A second eddy member joins; now librdkafka leads and assigns eddy its half.
        e2 = EddyConsumer(b, t, g)
        try:
            h.wait_until(lambda: (poll_all([c], got), len(assigned(c)) == 2)[1], 30,
                         "the librdkafka member down to 2 partitions")
            mine = {part for _, part in assigned(c)}
            produce_round("r4")
            h.wait_until(lambda: (poll_all([c], got), len(got) >= 8 and len(e2.lines) >= 2)[1],
                         30, "the fourth round split between both members")
            check_eq(sorted((x[0], x[1]) for x in e2.lines),
                     sorted((part, 7) for part in range(4) if part not in mine),
                     "the second eddy member starts at librdkafka's commits")
        finally:
            e2.stop()
    finally:
        if e1.proc.poll() is None:
            e1.proc.kill()
        if c is not None:
            c.close()


def test_eddy_consume_group_follows_through_a_broker_restart(b):
    """`eddy consume -g G -F` keeps its place across a broker restart: it rejoins the group and
    goes on from where it was, without repeating or skipping a record."""
    t, g = h.unique("grp-cli-restart"), h.unique("g-cli-restart")
    create_topic(b, t, 2, messages_per_partition=3)
    e = EddyConsumer(b, t, g)
    try:
        h.wait_until(lambda: len(e.lines) >= 6, 30, "the first 6 records")
        # Its periodic commit has landed: the broker answers offset 3 for both partitions.
        wait_committed(b, g, t, [3, 3], "eddy consume -g's commit of the first 6 records")
        b.restart()
        p = Producer(h.confluent_conf(b))
        for part in range(2):
            p.produce(t, value=b"after", partition=part)
        check_eq(p.flush(15), 0, "messages left unflushed")
        h.wait_until(lambda: len(e.lines) >= 8, 60, "the records produced after the restart")
        wait_committed(b, g, t, [4, 4], "eddy consume -g's commit after the restart")
        # Stopped before the check, so that everything it ever printed is in e.lines.
        e.stop(outage=True)
        check_eq(sorted((x[0], x[1]) for x in e.lines),
                 [(part, off) for part in range(2) for off in range(4)],
                 "every record once, across the restart")
    finally:
        if e.proc.poll() is None:
            e.stop(outage=True)


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
