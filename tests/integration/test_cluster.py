#!/usr/bin/python3
"""Three real `eddy broker` processes on loopback, each a broker and a controller, form one
cluster from the same controller.quorum.voters: kcat -L and librdkafka list the three brokers and
the active controller; SIGKILL of the active controller is followed by a new leader and a topic
creation through any broker succeeds; the killed node restarts and rejoins; a broker-only fourth
node joins as an observer and is listed too. Then the operator's view through `eddy cluster
quorum|info|health --bootstrap-server`: three voters and the observer, every broker live, and a
SIGKILLed broker named by `health` (exit 1) until it restarts (exit 0)."""
import json
import os
import time
import signal
import subprocess

from confluent_kafka.admin import AdminClient, NewTopic

import harness as h
from harness import check, check_eq


# Waits are generous: CI also runs this file against the sanitizer build on two busy cores.
WAIT = 90


class Cluster:
    nodes = []        # node.id -> h.Broker, ids 1..3 (controllers) and 4 (broker only)
    voters = ""


def node(i):
    return Cluster.nodes[i - 1]


def setup():
    nodes, voters = h.kraft_cluster("cluster", 3, {
        "default.replication.factor": "3",
        "offsets.topic.replication.factor": "3",
        "broker.session.timeout.ms": "4000",
        "broker.heartbeat.interval.ms": "500",
        "controller.quorum.election.timeout.ms": "1000",
        "controller.quorum.fetch.timeout.ms": "2000"})
    Cluster.nodes = nodes
    Cluster.voters = voters
    for n in nodes:
        n.launch()
    for n in nodes:
        n.wait_ready(60)
    return nodes[0]


def metadata(b):
    return json.loads(h.kcat(b, "-L", "-J").stdout)


def broker_ids(b):
    return sorted(x["id"] for x in metadata(b)["brokers"])


def live():
    return [n for n in Cluster.nodes if n.proc is not None]


def test_kcat_lists_three_brokers_from_every_node():
    for n in Cluster.nodes:
        h.wait_until(lambda n=n: broker_ids(n) == [1, 2, 3], WAIT, f"three brokers via {n.name}")
        md = metadata(n)
        check(md["controllerid"] in (1, 2, 3), f"a controller id: {md['controllerid']}")
        ports = sorted(int(x["name"].split(":")[1]) for x in md["brokers"])
        check_eq(ports, sorted(m.port for m in Cluster.nodes), "advertised client ports")


def test_librdkafka_lists_three_brokers_and_one_controller():
    a = AdminClient(h.confluent_conf(node(2)))
    md = a.list_topics(timeout=10)
    check_eq(sorted(md.brokers), [1, 2, 3], "librdkafka's brokers")
    ids = {metadata(n)["controllerid"] for n in Cluster.nodes}
    check_eq(len(ids), 1, "every node names the same active controller")


def create_topic(via, name, partitions=3, rf=3):
    a = AdminClient(h.confluent_conf(via))
    fs = a.create_topics([NewTopic(name, partitions, rf)], operation_timeout=20, request_timeout=30)
    fs[name].result(40)


def topic_everywhere(name, partitions):
    for n in live():
        md = metadata(n)
        ts = [t for t in md["topics"] if t["topic"] == name]
        if not ts or len(ts[0]["partitions"]) != partitions:
            return False
    return True


def test_topic_created_through_a_follower_is_placed_on_three_brokers():
    name = h.unique("cl-a")
    controller = metadata(node(1))["controllerid"]
    follower = next(n for i, n in enumerate(Cluster.nodes, 1) if i != controller)
    create_topic(follower, name, partitions=3, rf=3)
    h.wait_until(lambda: topic_everywhere(name, 3), WAIT, "the topic on every node")
    def partitions():
        md = metadata(node(1))
        return next(t for t in md["topics"] if t["topic"] == name)["partitions"]
    # A leader is listed once its broker has opened the partition (LEADER_NOT_AVAILABLE, -1,
    # for the moment between the metadata change and that).
    h.wait_until(lambda: all(p["leader"] > 0 for p in partitions()), WAIT, "every leader ready")
    t = {"partitions": partitions()}
    leaders = sorted(p["leader"] for p in t["partitions"])
    check_eq(leaders, [1, 2, 3], "one partition led by each broker")
    for p in t["partitions"]:
        check_eq(sorted(r["id"] for r in p["replicas"]), [1, 2, 3], "replicas of each partition")


def test_librdkafka_produces_to_each_partition_leader_and_reads_back():
    from confluent_kafka import Producer
    name = h.unique("cl-data")
    create_topic(node(3), name, partitions=3, rf=1)
    h.wait_until(lambda: topic_everywhere(name, 3), WAIT, "the topic on every node")
    p = Producer(h.confluent_conf(node(1), acks="all"))
    reports = []
    for i in range(30):
        p.produce(name, value=b"v%d" % i, partition=i % 3,
                  on_delivery=lambda e, m: reports.append((e, m)))
    p.flush(30)
    check_eq(len(reports), 30, "delivery reports")
    check(all(e is None for e, _ in reports), f"delivery errors: {[e for e, _ in reports if e]}")
    for part in range(3):
        got = h.consume_all(node(2), name, part, 0, 10)
        check_eq([m.value() for m in got], [b"v%d" % i for i in range(part, 30, 3)],
                 f"partition {part} read back through another broker's bootstrap")


def test_a_consumer_group_finds_its_coordinator_on_the_offsets_leader():
    """FindCoordinator names the leader of the group's __consumer_offsets partition (placed across
    the three brokers, replication capped and spread); the group consumes and commits there."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    name = h.unique("cl-group")
    create_topic(node(1), name, partitions=3, rf=1)
    h.wait_until(lambda: topic_everywhere(name, 3), WAIT, "the topic on every node")
    p = Producer(h.confluent_conf(node(2), acks="all"))
    for i in range(12):
        p.produce(name, value=b"g%d" % i, partition=i % 3)
    check_eq(p.flush(30), 0, "messages left unflushed")
    group = h.unique("cl-g")
    c = Consumer(h.confluent_conf(node(3), **{"group.id": group, "auto.offset.reset": "earliest",
                                             "enable.auto.commit": False}))
    c.subscribe([name])
    got = []
    try:
        deadline = time.monotonic() + 40
        while len(got) < 12 and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                got.append(m.value())
        check_eq(sorted(got), sorted(b"g%d" % i for i in range(12)), "the group read everything")
        c.commit(asynchronous=False)
        committed = c.committed([TopicPartition(name, i) for i in range(3)], timeout=10)
        check_eq([tp.offset for tp in committed], [4, 4, 4], "committed offsets")
    finally:
        c.close()
    offsets = next(t for t in metadata(node(1))["topics"] if t["topic"] == "__consumer_offsets")
    leaders = {pp["leader"] for pp in offsets["partitions"]}
    check(leaders <= {1, 2, 3} and len(leaders) > 1, f"__consumer_offsets leaders spread: {leaders}")


def test_replication_factor_above_the_brokers_is_refused():
    a = AdminClient(h.confluent_conf(node(1)))
    name = h.unique("cl-rf")
    fs = a.create_topics([NewTopic(name, 1, 4)], request_timeout=30)
    try:
        fs[name].result(40)
    except Exception as e:  # noqa: BLE001 - KafkaException with the broker's error
        check("INVALID_REPLICATION_FACTOR" in str(e), f"error names the cause: {e}")
        return
    raise h.TestFailure("a replication factor of 4 on three brokers was accepted")


def test_sigkill_of_the_active_controller_elects_another_and_creates_still_work():
    old = metadata(node(1))["controllerid"]
    victim = node(old)
    victim.stop(signal.SIGKILL)
    survivors = [n for n in Cluster.nodes if n is not victim]

    def new_controller():
        ids = {metadata(n)["controllerid"] for n in survivors}
        return len(ids) == 1 and ids.pop() not in (old, -1)
    h.wait_until(new_controller, WAIT, "a new active controller")
    for via in survivors:
        name = h.unique("cl-after")
        create_topic(via, name, partitions=2, rf=2)
        h.wait_until(lambda name=name: topic_everywhere(name, 2), WAIT, f"{name} everywhere")
    # The killed broker is fenced once its session expires: Metadata lists the two left.
    h.wait_until(lambda: broker_ids(survivors[0]) == sorted(
        i for i, n in enumerate(Cluster.nodes, 1) if n is not victim), WAIT, "the dead broker fenced")

    victim.start(60)
    h.wait_until(lambda: all(broker_ids(n) == [1, 2, 3] for n in Cluster.nodes), WAIT,
                 "the restarted node listed by everyone")
    name = h.unique("cl-rejoined")
    create_topic(victim, name, partitions=1, rf=3)
    h.wait_until(lambda: topic_everywhere(name, 1), WAIT, "created through the rejoined node")


def test_a_broker_only_node_joins_as_an_observer():
    b4 = h.Broker("cluster-4", {"node.id": "4", "controller.quorum.voters": Cluster.voters,
                                "process.roles": "broker",
                                "broker.heartbeat.interval.ms": "500"})
    b4.overrides["listeners"] = f"PLAINTEXT://127.0.0.1:{b4.port}"
    b4.overrides["controller.listener.names"] = "CONTROLLER"
    Cluster.nodes.append(b4)
    b4.start(60)
    h.wait_until(lambda: broker_ids(node(1)) == [1, 2, 3, 4], WAIT, "four brokers listed")
    h.wait_until(lambda: broker_ids(b4) == [1, 2, 3, 4], WAIT, "the observer serves metadata")
    name = h.unique("cl-four")
    create_topic(b4, name, partitions=4, rf=1)
    h.wait_until(lambda: topic_everywhere(name, 4), WAIT, "a topic created through the observer")
    md = metadata(b4)
    t = next(t for t in md["topics"] if t["topic"] == name)
    check_eq(sorted(p["leader"] for p in t["partitions"]), [1, 2, 3, 4], "leaders spread")


def eddy(*args, timeout=90):
    """Runs `eddy <args>`: (exit code, stdout, stderr)."""
    r = subprocess.run([h._args.eddy, *args], capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, h.clean_stderr(r.stderr)


def bootstrap(n):
    return ["--bootstrap-server", f"127.0.0.1:{n.port}"]


def quorum(via):
    """`eddy cluster quorum`: ({key: value}, [row cells]) or None when it fails."""
    code, out, err = eddy("cluster", "quorum", *bootstrap(via), "--timeout-ms", "10000")
    if code != 0:
        print(f"eddy cluster quorum: exit {code}: {err.strip()}")
        return None
    status, _, table = out.partition("\n\n")
    fields = {k: v.strip() for k, v in (line.split(":", 1) for line in status.splitlines())}
    return fields, [line.split() for line in table.splitlines()]


def broker_states(via):
    """`eddy cluster info`: {broker id: state} ("live"/"fenced"), or None when it fails."""
    code, out, err = eddy("cluster", "info", *bootstrap(via), "--timeout-ms", "10000")
    if code != 0:
        print(f"eddy cluster info: exit {code}: {err.strip()}")
        return None
    rows = out.split("BROKERS\n", 1)[1].splitlines()
    check_eq(rows[0].split(), ["ID", "ADDRESS", "STATE"], "eddy cluster info's broker header")
    return {int(r.split()[0]): r.split()[2] for r in rows[1:]}


def health(via):
    code, out, err = eddy("cluster", "health", *bootstrap(via), "--timeout-ms", "5000")
    return code, out + err


def test_cluster_quorum_lists_three_voters_and_the_observer():
    def settled():
        q = quorum(node(2))
        return q is not None and q[0]["CurrentObservers"] == "[4]" and q
    fields, rows = h.wait_until(settled, WAIT, "the observer in DescribeQuorum")
    check_eq(fields["ClusterId"], h.describe_cluster(node(2).port)["cluster_id"], "cluster id")
    check_eq(fields["CurrentVoters"], "[1,2,3]", "voters")
    leader = int(fields["LeaderId"])
    check(leader in (1, 2, 3), f"a voter leads: {fields}")
    check(int(fields["LeaderEpoch"]) >= 1 and int(fields["HighWatermark"]) > 0, f"{fields}")
    check_eq(rows[0], ["NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp",
                       "LastCaughtUpTimestamp", "Status"], "the replication table's header")
    status = {int(r[0]): r[-1] for r in rows[1:]}
    check_eq(status, {i: "Leader" if i == leader else "Follower" for i in (1, 2, 3)} | {
        4: "Observer"}, "each replica's status")
    for r in rows[1:]:
        check(int(r[1]) >= 0 and int(r[2]) >= 0, f"a log end offset and a lag: {r}")
        check(r[3:6] == [r[3], "ms", "ago"], f"last fetch as 'N ms ago': {r}")


def test_cluster_info_lists_every_broker_live():
    for via in (node(1), node(4)):
        h.wait_until(lambda via=via: broker_states(via) == {i: "live" for i in (1, 2, 3, 4)}, WAIT,
                     f"four live brokers via {via.name}", interval=0.5)
    # Healthy once the brokers restarted by earlier tests are back in every ISR.
    h.wait_until(lambda: health(node(3))[0] == 0, WAIT, "a healthy cluster", interval=0.5)
    code, out = health(node(3))
    check_eq(code, 0, f"eddy cluster health on a whole cluster: {out}")
    check(out.startswith("ok: quorum leader "), f"one ok line: {out!r}")


def test_cluster_health_names_a_killed_broker_until_it_restarts():
    leader = int(quorum(node(1))[0]["LeaderId"])
    victim_id = next(i for i in (3, 2) if i != leader)
    victim = node(victim_id)
    via = next(n for i, n in enumerate(Cluster.nodes, 1) if i != victim_id)
    victim.stop(signal.SIGKILL)
    # Unreachable at once (it is still registered and unfenced), fenced once its session expires.
    code, out = health(via)
    check_eq(code, 1, f"health with broker {victim_id} killed: {out}")
    check(f"broker {victim_id} is " in out, f"the killed broker named: {out!r}")
    def fenced_reported():
        # The fenced broker, and besides it only partitions it leaves short of replicas.
        code, out = health(via)
        lines = out.splitlines()
        fenced_reported.last = out
        return code == 1 and f"broker {victim_id} is fenced" in lines and all(
            line == f"broker {victim_id} is fenced" or line.startswith("partition ") or
            line.endswith(" more partitions with problems")
            for line in lines)
    fenced_reported.last = ""
    try:
        h.wait_until(fenced_reported, WAIT, f"broker {victim_id} reported fenced", interval=0.5)
    except h.TestFailure:
        print(f"eddy cluster health said last:\n{fenced_reported.last}")
        raise
    check_eq(broker_states(via), {i: "fenced" if i == victim_id else "live" for i in (1, 2, 3, 4)},
             "eddy cluster info lists the fenced broker")
    victim.start(60)
    h.wait_until(lambda: health(via)[0] == 0, WAIT, "healthy again after the restart",
                 interval=0.5)
    h.wait_until(lambda: health(victim)[0] == 0, WAIT, "healthy through the restarted node",
                 interval=0.5)


def test_a_voter_whose_metadata_log_rotted_sets_it_aside_and_catches_up():
    """Bit rot in a stopped voter's metadata segment: at restart it sets the log aside, copies it
    from the leader as a recovering voter, and serves and votes again once caught up."""
    leader = int(quorum(node(1))[0]["LeaderId"])
    victim_id = next(i for i in (3, 2) if i != leader)
    victim = node(victim_id)
    victim.stop(signal.SIGTERM)
    meta = os.path.join(victim.data_dir, "__cluster_metadata-0")
    segment = max((os.path.join(meta, f) for f in os.listdir(meta) if f.endswith(".log")),
                  key=os.path.getsize)
    with open(segment, "r+b") as f:
        f.seek(os.path.getsize(segment) // 2)
        b = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([b[0] ^ 0x08]))
    victim.start(60)
    aside = [d for d in os.listdir(victim.data_dir)
             if d.startswith("__cluster_metadata-0.") and d.endswith("-damaged")]
    check_eq(len(aside), 1, f"the damaged log kept aside: {os.listdir(victim.data_dir)}")
    logged = "".join(open(p, errors="replace").read() for p in victim.log_paths)
    check("was damaged" in logged and "votes only for candidates past the log it lost" in logged,
          "the node says what it found and what it does")

    def caught_up():
        q = quorum(node(leader))
        if q is None:
            return False
        rows = {r[0]: r for r in q[1][1:]}
        with open(os.path.join(meta, "quorum-state")) as f:
            state = json.loads(f.read())
        return (str(victim_id) in rows and rows[str(victim_id)][2] == "0" and
                "recoveringEpoch" not in state)
    h.wait_until(caught_up, WAIT, f"node {victim_id} caught up and no longer recovering")
    name = h.unique("cl-rot")
    create_topic(victim, name, partitions=1, rf=3)
    h.wait_until(lambda: topic_everywhere(name, 1), WAIT, "created through the recovered node")


def test_cluster_health_without_a_reachable_bootstrap():
    port = h.free_ports(1)[0]
    code, out, err = eddy("cluster", "health", "--bootstrap-server", f"127.0.0.1:{port}",
                          "--timeout-ms", "1000")
    check_eq(code, 1, "exit code")
    check(out.startswith("cannot reach the cluster: ") and out.count("\n") == 1, f"{out!r}")
    code, _, err = eddy("cluster", "health", "--bogus")
    check_eq(code, 2, f"a usage error: {err}")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
