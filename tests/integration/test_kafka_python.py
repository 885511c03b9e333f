#!/usr/bin/python3
"""python3-kafka (kafka-python 2.0.2) against a real eddy broker, with the version it detects
itself (ApiVersions v0 + Metadata v0 probe) and with api_version=(2,5,0): KafkaProducer (keys,
headers incl. empty and null values, timestamps, codecs), KafkaConsumer with assign + seek (no
group), offsets lookups, oversized messages, KafkaAdminClient create/delete topics."""
import importlib
import time

import kafka.errors as KE
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewPartitions, NewTopic

import harness as h
from harness import check, check_eq

VERSIONS = {"auto": None, "2.5.0": (2, 5, 0)}


def setup():
    return h.Broker("kafka-python").start()


def kw(b, version, **extra):
    d = {"bootstrap_servers": b.bootstrap, "request_timeout_ms": 15000}
    if version is not None:
        d["api_version"] = version
    d.update(extra)
    return d


def read(b, version, topic, partition, start, count, timeout=20.0):
    c = KafkaConsumer(**kw(b, version, group_id=None, enable_auto_commit=False,
                           consumer_timeout_ms=1000, auto_offset_reset="none"))
    try:
        tp = TopicPartition(topic, partition)
        c.assign([tp])
        c.seek(tp, start)
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            check(time.monotonic() < deadline,
                  f"read {len(got)} of {count} records of {topic}[{partition}] from {start}")
            for recs in c.poll(timeout_ms=500).values():
                got.extend(recs)
        check_eq(len(got), count, "records read (no more than asked for are expected)")
        return got
    finally:
        c.close()


def _produce_read_back(b, label, version):
    t = h.unique(f"kp-{label}")
    p = KafkaProducer(**kw(b, version, acks="all", linger_ms=5))
    if version is None:
        detected = p.config["api_version"]
        print(f"kafka-python detected broker version {detected}")
        check(detected >= (0, 11), f"detected version {detected} < (0,11): no record batch v2, no headers")
    ts0 = int(time.time() * 1000) - 7_200_000
    sent = []
    for i in range(20):
        key = None if i == 3 else b"key-%d" % i
        value = None if i == 4 else b"value-%d" % i
        headers = [("h", b"%d" % i), ("empty", b"")] if i % 2 == 0 else []
        md = p.send(t, key=key, value=value, headers=headers, partition=0,
                    timestamp_ms=ts0 + i).get(timeout=20)
        check_eq((md.topic, md.partition, md.offset), (t, 0, i), f"record {i} metadata")
        sent.append((i, key, value, headers, ts0 + i))
    p.close()
    got = read(b, version, t, 0, 0, 20)
    check_eq([(r.offset, r.key, r.value, list(r.headers), r.timestamp) for r in got], sent,
             "records read back (offset, key, value, headers, timestamp)")
    check(all(r.timestamp_type == 0 for r in got), "timestamp type should be CreateTime")
    # seek into the middle
    got = read(b, version, t, 0, 15, 5)
    check_eq([r.offset for r in got], [15, 16, 17, 18, 19], "records after seek(15)")
    return t


def test_auto_version_produce_consume(b):
    _produce_read_back(b, "auto", None)


def test_version_2_5_produce_consume(b):
    _produce_read_back(b, "v25", (2, 5, 0))


def test_codecs(b):
    codecs = {"gzip": (1, None), "snappy": (2, "snappy"), "lz4": (3, "lz4.frame"),
              "zstd": (4, "zstandard")}
    for version_label, version in VERSIONS.items():
        for name, (cid, module) in codecs.items():
            if module:
                importlib.import_module(module)  # python3-snappy / -lz4 / -zstandard (install-deps.sh)
            t = h.unique(f"kp-{name}")
            p = KafkaProducer(**kw(b, version, compression_type=name, linger_ms=50))
            values = [(f"{name} {i} " + "q" * (i % 64)).encode() for i in range(100)]
            futs = [p.send(t, value=v, partition=0) for v in values]
            offs = [f.get(timeout=20).offset for f in futs]
            p.close()
            check_eq(offs, list(range(100)), f"{version_label}/{name}: offsets")
            got = read(b, version, t, 0, 0, 100)
            check_eq([(r.offset, r.value) for r in got], list(enumerate(values)),
                     f"{version_label}/{name}: read back")
            batches = h.log_batches(b.data_dir, t, 0)
            check_eq(sorted({x["codec"] for x in batches}), [cid], f"{version_label}/{name}: stored codec")


def test_offsets_lookups(b):
    t = h.unique("kp-offs")
    p = KafkaProducer(**kw(b, None))
    base = int(time.time() * 1000) - 30_000
    for i in range(6):
        p.send(t, value=b"%d" % i, partition=0, timestamp_ms=base + 100 * i).get(timeout=20)
    p.close()
    for label, version in VERSIONS.items():
        c = KafkaConsumer(**kw(b, version, group_id=None, enable_auto_commit=False))
        try:
            tp = TopicPartition(t, 0)
            check_eq(c.beginning_offsets([tp]), {tp: 0}, f"{label}: beginning_offsets")
            check_eq(c.end_offsets([tp]), {tp: 6}, f"{label}: end_offsets")
            r = c.offsets_for_times({tp: base + 250})
            check_eq((r[tp].offset, r[tp].timestamp), (3, base + 300), f"{label}: offsets_for_times")
            check_eq(c.offsets_for_times({tp: base + 10_000}), {tp: None}, f"{label}: offsets_for_times past the end")
            c.assign([tp])
            c.seek_to_end(tp)
            check_eq(c.position(tp), 6, f"{label}: position after seek_to_end")
            c.seek_to_beginning(tp)
            check_eq(c.position(tp), 0, f"{label}: position after seek_to_beginning")
        finally:
            c.close()


def test_auto_created_topic(b):
    # kafka-python producers rely on auto-creation (Metadata v1 asks for it implicitly)
    t = h.unique("kp-auto")
    p = KafkaProducer(**kw(b, None))
    md = p.send(t, value=b"hello").get(timeout=20)
    p.close()
    check_eq((md.partition, md.offset), (0, 0), "first record of the auto-created topic")
    check_eq([r.value for r in read(b, None, t, 0, 0, 1)], [b"hello"], "read back")


def test_oversized_message_refused(b):
    t = h.unique("kp-big")
    for label, version in VERSIONS.items():
        p = KafkaProducer(**kw(b, version, max_request_size=8_000_000, retries=0))
        try:
            p.send(t, value=b"x" * 2_000_000, partition=0).get(timeout=20)
            raise h.TestFailure(f"{label}: a 2 MB record was accepted with the default message.max.bytes")
        except KE.MessageSizeTooLargeError:
            pass
        check_eq(p.send(t, value=b"ok", partition=0).get(timeout=20).offset, 0,
                 f"{label}: a small record after the refused one")
        p.close()
        t = h.unique("kp-big")


def test_admin_create_delete(b):
    for label, version in VERSIONS.items():
        a = KafkaAdminClient(**kw(b, version))
        try:
            t = h.unique(f"kp-adm-{label}")
            a.create_topics([NewTopic(t, 3, 1, topic_configs={"retention.ms": "3600000"})], timeout_ms=10000)
            h.wait_until(lambda: t in a.list_topics(), 10, f"{label}: {t} listed")
            desc = a.describe_topics([t])
            check_eq([(d["topic"], d["error_code"], sorted(p["partition"] for p in d["partitions"]))
                      for d in desc], [(t, 0, [0, 1, 2])], f"{label}: describe_topics")
            try:
                a.create_topics([NewTopic(t, 1, 1)], timeout_ms=10000)
                raise h.TestFailure(f"{label}: creating an existing topic succeeded")
            except KE.TopicAlreadyExistsError:
                pass
            a.create_partitions({t: NewPartitions(5)}, timeout_ms=10000)
            h.wait_until(lambda: len(a.describe_topics([t])[0]["partitions"]) == 5, 10,
                         f"{label}: 5 partitions")
            a.delete_topics([t], timeout_ms=10000)
            h.wait_until(lambda: t not in a.list_topics(), 10, f"{label}: {t} gone")
            try:
                a.delete_topics([t], timeout_ms=10000)
                raise h.TestFailure(f"{label}: deleting a missing topic succeeded")
            except KE.UnknownTopicOrPartitionError:
                pass
            cl = a.describe_cluster()
            check_eq([(x["node_id"], x["host"], x["port"]) for x in cl["brokers"]],
                     [(1, "127.0.0.1", b.port)], f"{label}: describe_cluster brokers")
        finally:
            a.close()


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
