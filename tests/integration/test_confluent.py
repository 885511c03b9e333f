#!/usr/bin/python3
"""python3-confluent-kafka 1.7.0 (librdkafka 2.0.2) against a real eddy broker: Producer (acks
0/1/all, every codec, keys, headers, NULLs, timestamps, per-partition order, oversized messages,
idempotence across a broker restart),
Consumer with assign() (no group subscription), watermarks, offsets_for_times, and AdminClient
(topics, partitions, configs, cluster). IncrementalAlterConfigs and DescribeCluster, which this
Debian version lacks, go over the harness's raw wire client. DeleteRecords is covered by kafkajs."""
import time

from confluent_kafka import KafkaError, Producer, TopicPartition, TIMESTAMP_CREATE_TIME
from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions, NewTopic,
                                   ConfigSource)

import harness as h
from harness import check, check_eq


def setup():
    return h.Broker("confluent").start()


def admin(b):
    # one AdminClient per broker, kept alive: a collected client fails its pending futures
    if getattr(b, "admin_client", None) is None:
        b.admin_client = AdminClient(h.confluent_conf(b))
    return b.admin_client


def create_topic(b, name, partitions=1, config=None):
    fs = admin(b).create_topics([NewTopic(name, partitions, 1, config=config or {})],
                                operation_timeout=10)
    fs[name].result(15)
    h.wait_until(lambda: len(admin(b).list_topics(name, timeout=5).topics[name].partitions) == partitions
                 and admin(b).list_topics(name, timeout=5).topics[name].error is None,
                 10, f"topic {name} with {partitions} partitions in metadata")


def kafka_error_of(future, timeout=15):
    """The KafkaError a failed admin future carries (fails the test if it succeeded)."""
    try:
        future.result(timeout)
    except Exception as e:  # noqa: BLE001
        check(e.args and isinstance(e.args[0], KafkaError), f"expected a KafkaError, got {e!r}")
        return e.args[0]
    raise h.TestFailure("operation expected to fail succeeded")


def describe(b, topic, timeout=15):
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return admin(b).describe_configs([res])[res].result(timeout)


# CLIENTS.md §7: the ranges the three clients need for what issue 4 covers.
NEEDED = {18: ("ApiVersions", 0, 3), 3: ("Metadata", 0, 8), 0: ("Produce", 3, 8),
          1: ("Fetch", 4, 11), 2: ("ListOffsets", 1, 5), 19: ("CreateTopics", 0, 4),
          20: ("DeleteTopics", 0, 3), 37: ("CreatePartitions", 0, 1),
          32: ("DescribeConfigs", 0, 2), 33: ("AlterConfigs", 0, 1),
          44: ("IncrementalAlterConfigs", 0, 0), 21: ("DeleteRecords", 0, 1),
          60: ("DescribeCluster", 0, 0), 35: ("DescribeLogDirs", 0, 0)}


def test_api_versions_cover_what_the_clients_use(b):
    av = h.api_versions(b.port)
    missing = []
    for key, (name, lo, hi) in NEEDED.items():
        if key not in av:
            missing.append(f"{name}({key}) not advertised")
        elif av[key][0] > lo or av[key][1] < hi:
            missing.append(f"{name}({key}) advertised {av[key][0]}-{av[key][1]}, clients need {lo}-{hi}")
    check(not missing, "; ".join(missing))


def test_every_acks_setting(b):
    t = h.unique("cf-acks")
    create_topic(b, t)
    expected = []
    for acks in ("0", "1", "all"):
        p = Producer(h.confluent_conf(b, acks=acks, **{"linger.ms": 5}))
        reports = []
        for i in range(5):
            v = f"acks={acks} #{i}".encode()
            expected.append(v)
            p.produce(t, value=v, partition=0, on_delivery=lambda e, m: reports.append((e, m)))
        check_eq(p.flush(15), 0, f"acks={acks}: messages left after flush")
        check_eq([e for e, _ in reports], [None] * 5, f"acks={acks}: delivery errors")
        offs = [m.offset() for _, m in reports]
        if acks == "0":
            check(all(o is None or o < 0 for o in offs), f"acks=0 cannot know offsets, got {offs}")
            # flush() returns once acks=0 requests are sent, not once they are appended: wait
            # until they are, or the next producer's writes may land between them.
            h.wait_until(lambda: _wm(b, t, 0)[1] == 5, 15, "the acks=0 writes appended")
        else:
            base = len(expected) - 5
            check_eq(offs, list(range(base, base + 5)), f"acks={acks}: offsets")
    got = h.consume_all(b, t, 0, 0, 15)
    check_eq([(m.offset(), m.value()) for m in got], list(enumerate(expected)), "read back")
    check_eq(h.wait_until(lambda: _wm(b, t, 0), 10, "watermarks"), (0, 15), "watermarks")


def _wm(b, t, p):
    from confluent_kafka import Consumer
    c = Consumer(h.confluent_conf(b, **{"group.id": "eddy-int-wm"}))
    try:
        return c.get_watermark_offsets(TopicPartition(t, p), timeout=5, cached=False)
    finally:
        c.close()


def test_every_codec(b):
    codecs = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
    h.each_case(codecs.items(), lambda case: _codec(b, *case))


def _codec(b, name, cid):
    t = h.unique(f"cf-{name}")
    create_topic(b, t)
    p = Producer(h.confluent_conf(b, **{"compression.type": name, "linger.ms": 50,
                                        "batch.num.messages": 1000}))
    values = [(f"{name}-{i}-" + "xyz" * (i % 40)).encode() for i in range(200)]
    reports = []
    for i, v in enumerate(values):
        p.produce(t, value=v, key=b"k%d" % i, partition=0,
                  on_delivery=lambda e, m: reports.append(e))
    check_eq(p.flush(15), 0, f"{name}: unflushed")
    check_eq(reports, [None] * 200, f"{name}: delivery errors")
    got = h.consume_all(b, t, 0, 0, 200)
    check_eq([(m.offset(), m.key(), m.value()) for m in got],
             [(i, b"k%d" % i, v) for i, v in enumerate(values)], f"{name}: read back")
    batches = h.log_batches(b.data_dir, t, 0)
    hint = (" (librdkafka 2.0.2 compresses lz4 only when Produce v0 and FindCoordinator v0 "
            "are advertised; see docs/broker.md)" if name == "lz4" else "")
    h.check_stored_codec(batches, cid, f"{name}: stored codec bits{hint}")
    check_eq(sum(x["count"] for x in batches), 200, f"{name}: records stored")
    check_eq(batches[-1]["last_offset"], 199, f"{name}: last stored offset")


def test_keys_headers_nulls_timestamps(b):
    t = h.unique("cf-khnt")
    create_topic(b, t)
    p = Producer(h.confluent_conf(b))
    ts0 = int(time.time() * 1000) - 3_600_000
    cases = [
        dict(key=b"key-a", value=b"value-a", headers=[("h", b"1"), ("empty", b""), ("nul", None)]),
        dict(key=None, value=b"no key", headers=[("dup", b"x"), ("dup", b"y")]),
        dict(key=b"tombstone", value=None),
        dict(key=b"", value=b"", headers=[("", b"empty name")]),
        dict(key=None, value=None),
        dict(key=b"bin\x00\xff", value=bytes(range(256)) * 4, headers=[("b", b"\x00\x01\xff")]),
    ]
    for i, c in enumerate(cases):
        m = h.produce_sync(p, t, partition=0, timestamp=ts0 + 10 * i, **c)
        check_eq(m.offset(), i, f"case {i}: offset")
    got = h.consume_all(b, t, 0, 0, len(cases))
    for i, (c, m) in enumerate(zip(cases, got)):
        check_eq(m.offset(), i, f"case {i}: offset")
        check_eq(m.key(), c["key"], f"case {i}: key")
        check_eq(m.value(), c["value"], f"case {i}: value")
        check_eq(m.headers(), c.get("headers"), f"case {i}: headers")
        check_eq(m.timestamp(), (TIMESTAMP_CREATE_TIME, ts0 + 10 * i), f"case {i}: timestamp")


def test_per_partition_order(b):
    t = h.unique("cf-order")
    create_topic(b, t, partitions=3)
    p = Producer(h.confluent_conf(b, **{"linger.ms": 2}))
    reports = []
    for i in range(600):
        p.produce(t, value=b"%d" % i, key=b"key-%d" % (i % 7),
                  on_delivery=lambda e, m: reports.append((e, m)))
        if i % 100 == 0:
            p.poll(0)
    check_eq(p.flush(15), 0, "unflushed")
    check_eq([e for e, _ in reports], [None] * 600, "delivery errors")
    sent = {0: [], 1: [], 2: []}
    for _, m in sorted(reports, key=lambda r: int(r[1].value())):
        sent[m.partition()].append((m.offset(), m.key(), m.value()))
    check(all(sent.values()), f"the default partitioner should spread 7 keys over 3 partitions: "
                              f"{ {k: len(v) for k, v in sent.items()} }")
    for part, msgs in sent.items():
        check_eq([o for o, _, _ in msgs], list(range(len(msgs))),
                 f"partition {part}: offsets in production order")
        got = h.consume_all(b, t, part, 0, len(msgs))
        check_eq([(m.offset(), m.key(), m.value()) for m in got], msgs, f"partition {part}: read back")
        keys = {k for _, k, _ in msgs}
        for other in sent:
            if other != part:
                check(not keys & {k for _, k, _ in sent[other]}, "a key went to two partitions")


def test_idempotent_producer_across_a_restart(b):
    """enable.idempotence=true (InitProducerId, sequence numbers): every message delivered once,
    in order; the stored batches carry one producer id per producer with gap-free sequences from
    0; a producer after a broker restart gets a new, larger id."""
    t = h.unique("cf-idem")
    create_topic(b, t, partitions=2)
    pids = []
    for rnd in range(2):
        if rnd == 1:
            b.restart()
        p = Producer(h.confluent_conf(b, **{"enable.idempotence": True, "linger.ms": 2,
                                            "batch.num.messages": 200}))
        reports = []
        for i in range(3000):
            p.produce(t, value=b"%d-%d" % (rnd, i), partition=i % 2,
                      on_delivery=lambda e, m: reports.append((e, m)))
            if i % 500 == 0:
                p.poll(0)
        check_eq(p.flush(20), 0, "unflushed")
        check_eq([e for e, _ in reports if e is not None], [], "delivery errors")
        del p
        for part in range(2):
            batches = [x for x in h.log_batches(b.data_dir, t, part)
                       if x["producer_id"] not in pids]
            ids = {x["producer_id"] for x in batches}
            check_eq(len(ids), 1, f"round {rnd} partition {part}: producer ids in the batches")
            seq = 0
            for x in batches:
                check_eq((x["producer_epoch"], x["base_sequence"]), (0, seq),
                         f"round {rnd} partition {part}: batch at {x['base_offset']}")
                seq += x["count"]
            check_eq(seq, 1500, f"round {rnd} partition {part}: records in sequence")
        pids.append(ids.pop())
    check(pids[0] >= 0 and pids[1] > pids[0], f"producer ids {pids}: a restart never reuses one")
    for part in range(2):
        got = h.consume_all(b, t, part, 0, 3000)
        check_eq([m.value() for m in got],
                 [b"%d-%d" % (rnd, i) for rnd in range(2) for i in range(part, 3000, 2)],
                 f"partition {part}: every message once, in order")


def test_watermarks_and_offsets_for_times(b):
    from confluent_kafka import Consumer
    t = h.unique("cf-oft")
    create_topic(b, t, partitions=2)
    p = Producer(h.confluent_conf(b))
    base = int(time.time() * 1000) - 50_000
    for i in range(10):
        h.produce_sync(p, t, partition=1, value=b"v%d" % i, timestamp=base + 1000 * i)
    c = Consumer(h.confluent_conf(b, **{"group.id": "eddy-int-oft", "enable.auto.commit": False}))
    try:
        check_eq(c.get_watermark_offsets(TopicPartition(t, 1), timeout=10, cached=False), (0, 10),
                 "watermarks of partition 1")
        check_eq(c.get_watermark_offsets(TopicPartition(t, 0), timeout=10, cached=False), (0, 0),
                 "watermarks of empty partition 0")
        for ts, want in [(base - 5, 0), (base, 0), (base + 1, 1), (base + 2500, 3),
                         (base + 9000, 9), (base + 9001, -1)]:
            r = c.offsets_for_times([TopicPartition(t, 1, ts)], timeout=10)
            check_eq((r[0].error, r[0].offset), (None, want), f"offsets_for_times({ts - base:+d} ms)")
        r = c.offsets_for_times([TopicPartition(t, 0, base)], timeout=10)
        check_eq((r[0].error, r[0].offset), (None, -1), "offsets_for_times on an empty partition")
    finally:
        c.close()


def test_consumer_seek_and_out_of_range(b):
    from confluent_kafka import Consumer
    t = h.unique("cf-seek")
    create_topic(b, t)
    p = Producer(h.confluent_conf(b))
    for i in range(8):
        h.produce_sync(p, t, partition=0, value=b"s%d" % i)
    got = h.consume_all(b, t, 0, 5, 3)
    check_eq([(m.offset(), m.value()) for m in got], [(5, b"s5"), (6, b"s6"), (7, b"s7")], "from 5")
    # Fetching past the end is OFFSET_OUT_OF_RANGE; with auto.offset.reset=error that surfaces.
    c = Consumer(h.confluent_conf(b, **{"group.id": "eddy-int-oor", "enable.auto.commit": False,
                                        "auto.offset.reset": "error"}))
    try:
        c.assign([TopicPartition(t, 0, 20)])
        def err():
            m = c.poll(0.5)
            return m.error() if m is not None and m.error() and m.topic() == t else None
        e = h.wait_until(err, 15, "an error fetching at offset 20 of 8")
        check(e.code() in (KafkaError.OFFSET_OUT_OF_RANGE, KafkaError._AUTO_OFFSET_RESET),
              f"expected offset out of range, got {e}")
    finally:
        c.close()


def test_auto_created_topic(b):
    t = h.unique("cf-auto")
    p = Producer(h.confluent_conf(b))
    m = h.produce_sync(p, t, value=b"first")
    check_eq((m.partition(), m.offset()), (0, 0), "first message to an auto-created topic")
    md = admin(b).list_topics(t, timeout=10).topics[t]
    check_eq((md.error, sorted(md.partitions)), (None, [0]), "auto-created topic has num.partitions=1")


def test_admin_create_delete_topics_and_partitions(b):
    a = admin(b)
    t = h.unique("cf-adm")
    create_topic(b, t, partitions=4, config={"retention.ms": "123456"})
    md = a.list_topics(timeout=10)
    check(t in md.topics, "created topic missing from list_topics")
    parts = md.topics[t].partitions
    check_eq(sorted(parts), [0, 1, 2, 3], "partitions")
    for pm in parts.values():
        check_eq((pm.leader, pm.replicas, pm.isrs, pm.error), (1, [1], [1], None), f"partition {pm.id}")

    e = kafka_error_of(a.create_topics([NewTopic(t, 1, 1)])[t])
    check_eq(e.code(), KafkaError.TOPIC_ALREADY_EXISTS, "creating it again")
    bad = h.unique("cf-bad")
    e = kafka_error_of(a.create_topics([NewTopic(bad, 1, 1, config={"cleanup.policy": "bogus"})])[bad])
    check_eq(e.code(), KafkaError.INVALID_CONFIG, "create with cleanup.policy=bogus")
    e = kafka_error_of(a.create_topics([NewTopic(bad, 1, 3)])[bad])
    check_eq(e.code(), KafkaError.INVALID_REPLICATION_FACTOR, "replication factor 3 on one broker")
    vo = h.unique("cf-validate")
    a.create_topics([NewTopic(vo, 2, 1)], validate_only=True)[vo].result(15)
    listed = a.list_topics(timeout=10).topics  # all topics: a metadata request that creates nothing
    for name in (bad, vo):
        check(name not in listed, f"{name} must not exist (failed or validate-only create)")

    a.create_partitions([NewPartitions(t, 6)])[t].result(15)
    h.wait_until(lambda: sorted(admin(b).list_topics(t, timeout=5).topics[t].partitions) == list(range(6)),
                 10, "6 partitions after create_partitions")
    p = Producer(h.confluent_conf(b))
    check_eq(h.produce_sync(p, t, partition=5, value=b"new partition").offset(), 0, "produce to partition 5")
    e = kafka_error_of(a.create_partitions([NewPartitions(t, 3)])[t])
    check_eq(e.code(), KafkaError.INVALID_PARTITIONS, "shrinking to 3 partitions")
    missing = h.unique("cf-missing")
    e = kafka_error_of(a.create_partitions([NewPartitions(missing, 3)])[missing])
    check_eq(e.code(), KafkaError.UNKNOWN_TOPIC_OR_PART, "create_partitions on a missing topic")

    a.delete_topics([t], operation_timeout=10)[t].result(15)
    h.wait_until(lambda: t not in admin(b).list_topics(timeout=5).topics, 10, "deleted topic gone")
    e = kafka_error_of(a.delete_topics([t])[t])
    check_eq(e.code(), KafkaError.UNKNOWN_TOPIC_OR_PART, "deleting it again")
    # the name can be reused, and the new topic starts empty
    create_topic(b, t, partitions=1)
    check_eq(h.produce_sync(p, t, partition=0, value=b"again").offset(), 0, "first offset of the re-created topic")


def _entries(cfg):
    return {k: (v.value, int(getattr(v.source, "value", v.source))) for k, v in cfg.items()}


def test_describe_and_alter_configs(b):
    t = h.unique("cf-cfg")
    create_topic(b, t, config={"retention.ms": "86400000", "cleanup.policy": "compact"})
    cfg = _entries(describe(b, t))
    dyn, dflt = ConfigSource.DYNAMIC_TOPIC_CONFIG.value, ConfigSource.DEFAULT_CONFIG.value
    check_eq(cfg.get("retention.ms"), ("86400000", dyn), "retention.ms after create")
    check_eq(cfg.get("cleanup.policy"), ("compact", dyn), "cleanup.policy after create")
    check_eq(cfg.get("segment.bytes"), ("1073741824", dflt), "segment.bytes (Kafka default)")
    check_eq(cfg.get("max.message.bytes"), ("1048588", dflt), "max.message.bytes (Kafka default)")

    # AlterConfigs replaces the topic's whole dynamic set (Kafka semantics).
    res = ConfigResource(ConfigResource.Type.TOPIC, t, set_config={"max.message.bytes": "2000"})
    admin(b).alter_configs([res])[res].result(15)
    cfg = _entries(describe(b, t))
    check_eq(cfg.get("max.message.bytes"), ("2000", dyn), "max.message.bytes after alter")
    check_eq(cfg.get("retention.ms"), ("604800000", dflt), "retention.ms back to default after a full alter")
    check_eq(cfg.get("cleanup.policy"), ("delete", dflt), "cleanup.policy back to default after a full alter")
    bad = ConfigResource(ConfigResource.Type.TOPIC, t, set_config={"retention.ms": "not-a-number"})
    e = kafka_error_of(admin(b).alter_configs([bad])[bad])
    check_eq(e.code(), KafkaError.INVALID_CONFIG, "alter with retention.ms=not-a-number")
    missing = h.unique("cf-nocfg")
    res = ConfigResource(ConfigResource.Type.TOPIC, missing)
    e = kafka_error_of(admin(b).describe_configs([res])[res])
    check_eq(e.code(), KafkaError.UNKNOWN_TOPIC_OR_PART, "describe_configs of a missing topic")

    # IncrementalAlterConfigs (raw v0): SET one key, DELETE another; the rest stays.
    r = h.incremental_alter_configs(b.port, [(2, t, [("retention.ms", 0, "1000"),
                                                     ("max.message.bytes", 1, None)])])
    check_eq([(x[0], x[2], x[3]) for x in r], [(0, 2, t)], f"IncrementalAlterConfigs result {r}")
    cfg = _entries(describe(b, t))
    check_eq(cfg.get("retention.ms"), ("1000", dyn), "retention.ms after incremental SET")
    check_eq(cfg.get("max.message.bytes"), ("1048588", dflt), "max.message.bytes after incremental DELETE")
    r = h.incremental_alter_configs(b.port, [(2, t, [("segment.bytes", 0, "1048576")])])
    check_eq(r[0][0], 0, "second incremental SET")
    cfg = _entries(describe(b, t))
    check_eq(cfg.get("retention.ms"), ("1000", dyn), "retention.ms kept by a later incremental SET")
    check_eq(cfg.get("segment.bytes"), ("1048576", dyn), "segment.bytes after incremental SET")
    r = h.incremental_alter_configs(b.port, [(2, t, [("cleanup.policy", 0, "compact")])], validate_only=True)
    check_eq(r[0][0], 0, "validate-only incremental SET")
    check_eq(_entries(describe(b, t)).get("cleanup.policy"), ("delete", dflt), "validate-only changed nothing")
    r = h.incremental_alter_configs(b.port, [(2, missing, [("retention.ms", 0, "1")])])
    check_eq(r[0][0], KafkaError.UNKNOWN_TOPIC_OR_PART, "incremental alter of a missing topic")

    # the broker resource describes too
    res = ConfigResource(ConfigResource.Type.BROKER, "1")
    bcfg = admin(b).describe_configs([res])[res].result(15)
    check("num.partitions" in bcfg and bcfg["num.partitions"].value == "1",
          f"broker config num.partitions=1 expected, got {bcfg.get('num.partitions')}")


def test_oversized_messages_refused(b):
    # topic limit
    t = h.unique("cf-big")
    create_topic(b, t, config={"max.message.bytes": "10000"})
    p = Producer(h.confluent_conf(b, **{"message.max.bytes": 8_000_000}))
    try:
        h.produce_sync(p, t, partition=0, value=b"x" * 50_000)
        raise h.TestFailure("a 50000-byte message to a topic with max.message.bytes=10000 was accepted")
    except h.DeliveryError as e:
        check_eq(e.err.code(), KafkaError.MSG_SIZE_TOO_LARGE, f"error for the oversized message ({e.err})")
    check_eq(h.produce_sync(p, t, partition=0, value=b"y" * 5000).offset(), 0,
             "a message under the limit after the refused one")
    # the broker default (message.max.bytes 1048588)
    t2 = h.unique("cf-big2")
    create_topic(b, t2)
    try:
        h.produce_sync(p, t2, partition=0, value=b"z" * 2_000_000)
        raise h.TestFailure("a 2 MB message was accepted with the default message.max.bytes")
    except h.DeliveryError as e:
        check_eq(e.err.code(), KafkaError.MSG_SIZE_TOO_LARGE, f"error for the 2 MB message ({e.err})")
    check_eq(h.produce_sync(p, t2, partition=0, value=b"z" * 900_000).offset(), 0,
             "a 900 kB message is under the default limit")
    got = h.consume_all(b, t2, 0, 0, 1, **{"fetch.message.max.bytes": 2_000_000})
    check_eq(got[0].value(), b"z" * 900_000, "the 900 kB message read back")


def test_describe_cluster_and_list_topics(b):
    md = admin(b).list_topics(timeout=10)
    check_eq({k: (v.host, v.port) for k, v in md.brokers.items()}, {1: ("127.0.0.1", b.port)}, "brokers")
    check_eq(md.controller_id, 1, "controller id")
    check(md.cluster_id, "cluster id empty")
    dc = h.describe_cluster(b.port)
    check_eq(dc["error"], 0, "DescribeCluster error")
    check_eq(dc["cluster_id"], md.cluster_id, "DescribeCluster cluster id vs Metadata")
    check_eq(dc["controller_id"], 1, "DescribeCluster controller id")
    check_eq([x[:3] for x in dc["brokers"]], [(1, "127.0.0.1", b.port)], "DescribeCluster brokers")


# Issue #9 point 5: the topic keys that tools managing topics as code set (Terraform providers,
# JulieOps, kafka-gitops) are accepted with Kafka 3.x's meaning and described back.
TOPIC_AS_CODE = {
    "compression.type": "zstd", "min.compaction.lag.ms": "60000",
    "max.compaction.lag.ms": "86400000", "message.timestamp.type": "CreateTime",
    "message.timestamp.difference.max.ms": "86400000",
    "message.timestamp.before.max.ms": "86400000", "message.timestamp.after.max.ms": "3600000",
    "unclean.leader.election.enable": "false", "segment.index.bytes": "10485760",
    "preallocate": "false", "file.delete.delay.ms": "60000",
    "message.downconversion.enable": "true", "message.format.version": "3.0-IV1",
    "min.cleanable.dirty.ratio": "0.5", "segment.jitter.ms": "0",
}


def test_topic_configs_as_code(b):
    t = h.unique("cf-ascode")
    create_topic(b, t, config=TOPIC_AS_CODE)
    cfg = _entries(describe(b, t))
    dyn = ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    for k, v in TOPIC_AS_CODE.items():
        check_eq(cfg.get(k), (v, dyn), f"{k} after create")
    # the broker keeps the batches as zstd whatever the producer sent
    p = Producer(h.confluent_conf(b, **{"compression.type": "none", "linger.ms": 0}))
    check_eq(h.produce_sync(p, t, partition=0, value=b"a" * 1000).offset(), 0, "produce to zstd topic")
    got = h.consume_all(b, t, 0, 0, 1)
    check_eq(got[0].value(), b"a" * 1000, "the recompressed message read back")
    # timestamps outside message.timestamp.before.max.ms are refused (INVALID_TIMESTAMP)
    old_ms = int(time.time() * 1000) - 3 * 86400000
    try:
        h.produce_sync(p, t, partition=0, value=b"old", timestamp=old_ms)
        raise h.TestFailure("a record three days old was accepted with before.max.ms = one day")
    except h.DeliveryError as e:
        check_eq(e.err.code(), KafkaError.INVALID_TIMESTAMP, f"error for the old record ({e.err})")
    bad = h.unique("cf-badcfg")
    e = kafka_error_of(admin(b).create_topics([NewTopic(bad, 1, 1, config={"compression.type": "brotli"})])[bad])
    check_eq(e.code(), KafkaError.INVALID_CONFIG, "compression.type=brotli")


def test_internal_topics_refuse_clients(b):
    p = Producer(h.confluent_conf(b, **{"message.send.max.retries": 0}))
    try:
        h.produce_sync(p, "__consumer_offsets", partition=0, value=b"x")
        raise h.TestFailure("a produce to __consumer_offsets was accepted")
    except h.DeliveryError as e:
        check_eq(e.err.code(), KafkaError.TOPIC_EXCEPTION, f"produce to __consumer_offsets ({e.err})")
    # created by the metadata request as the groups need it, not as a plain topic
    md = admin(b).list_topics("__consumer_offsets", timeout=10).topics["__consumer_offsets"]
    check_eq(len(md.partitions), 50, "__consumer_offsets partitions")
    e = kafka_error_of(admin(b).delete_topics(["__consumer_offsets"])["__consumer_offsets"])
    check_eq(e.code(), KafkaError.TOPIC_EXCEPTION, "delete __consumer_offsets")
    fs = admin(b).create_partitions([NewPartitions("__consumer_offsets", 60)])
    e = kafka_error_of(fs["__consumer_offsets"])
    check_eq(e.code(), KafkaError.TOPIC_EXCEPTION, "grow __consumer_offsets")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
