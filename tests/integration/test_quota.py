#!/usr/bin/python3
"""Client quotas on a real eddy broker (issue 13 point 5): `eddy quota set|list|remove` write and
read them (AlterClientQuotas / DescribeClientQuotas through the metadata log); a producer over
producer_byte_rate is throttled — librdkafka (Produce v7: the broker answers with
throttle_time_ms and mutes the connection, KIP-219) and kafka-python (an older Produce version:
the broker holds the answer back) — a consumer over consumer_byte_rate likewise, with no record
lost; an ip's connection_creation_rate closes the connections that come faster; bad quotas are
refused with INVALID_REQUEST. The rate checks are upper bounds over several seconds (a slow
machine cannot make a client exceed its quota); bench/quota.py measures the ±15% band."""
import json
import socket
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

import harness as h
from harness import check, check_eq


def setup():
    return h.Broker("quota").start()


def eddy_quota(b, *args, check_rc=True):
    return h.eddy_cli(b, "quota", *args, check_rc=check_rc)


def quota_rows(b, *filter_args):
    out, _ = eddy_quota(b, "list", *filter_args)
    lines = out.splitlines()
    check_eq(lines[0].split(), ["ENTITY", "QUOTA", "VALUE"], "eddy quota list header")
    return [tuple(line.split()) for line in lines[1:]]


def test_set_list_remove(b):
    out, _ = eddy_quota(b, "set", "--user", "alice", "producer_byte_rate=1048576",
                        "consumer_byte_rate=2097152")
    check("set 2 quota(s)" in out, out)
    eddy_quota(b, "set", "--user-default", "--client-id", "app", "request_percentage=12.5")
    eddy_quota(b, "set", "--ip-default", "connection_creation_rate=100")
    rows = quota_rows(b)
    for row in (("user=alice", "consumer_byte_rate", "2097152"),
                ("user=alice", "producer_byte_rate", "1048576"),
                ("user=<default>,client-id=app", "request_percentage", "12.5"),
                ("ip=<default>", "connection_creation_rate", "100")):
        check(row in rows, f"{row} missing from {rows}")
    check_eq(sorted(quota_rows(b, "--user", "alice")),
             [("user=alice", "consumer_byte_rate", "2097152"),
              ("user=alice", "producer_byte_rate", "1048576")], "quotas of alice")
    eddy_quota(b, "remove", "--user", "alice", "consumer_byte_rate")
    check_eq(quota_rows(b, "--user", "alice"),
             [("user=alice", "producer_byte_rate", "1048576")], "after the removal")
    for args in (("--user", "alice", "producer_byte_rate"),
                 ("--user-default", "--client-id", "app", "request_percentage"),
                 ("--ip-default", "connection_creation_rate")):
        eddy_quota(b, "remove", *args)
    check_eq(quota_rows(b), [], "every quota removed")


def test_bad_quotas_are_refused(b):
    for args, expect in ((("--user", "alice", "producer_byte_rate=-5"), "positive"),
                         (("--user", "alice", "producer_byte_rate=1.5"), "whole number"),
                         (("--user", "alice", "bogus_rate=5"), "Invalid configuration key"),
                         (("--ip", "10.0.0.1", "producer_byte_rate=5"), "cannot be set"),
                         (("--ip", "not-an-ip", "connection_creation_rate=5"), "valid IP"),
                         (("--user", "alice", "--ip", "10.0.0.1", "connection_creation_rate=5"),
                          "cannot be combined")):
        _, err = eddy_quota(b, "set", *args, check_rc=False)
        check("INVALID_REQUEST" in err and expect in err, f"{args}: {err!r}")
    _, err = eddy_quota(b, "set", "producer_byte_rate=5", check_rc=False)
    check("name an entity" in err, err)
    check_eq(quota_rows(b), [], "nothing was stored")


def check_bound(sent, rate, elapsed, in_flight, what):
    """Bytes through under a quota stay within rate x (elapsed + one window) + what was in
    flight; and the quota was really what held the client back (at least half of it, or the
    client was throttled for something else)."""
    bound = rate * (elapsed + 1.0) + in_flight
    check(sent <= bound, f"{what}: {sent:,} bytes in {elapsed:.1f} s under {rate:,} B/s "
                         f"(bound {bound:,.0f})")
    check(sent >= rate * elapsed * 0.5, f"{what}: only {sent:,} bytes in {elapsed:.1f} s "
                                        f"under {rate:,} B/s")


def produce_for(b, topic, client_id, seconds, size=10_000):
    """Produces as fast as librdkafka lets it for `seconds`; returns (bytes acked, elapsed,
    the largest broker throttle librdkafka reported)."""
    throttles = []
    acked = []

    def stats(js):
        for broker in json.loads(js).get("brokers", {}).values():
            throttles.append(broker.get("throttle", {}).get("max", 0))

    # librdkafka does not throttle itself (no KIP-219 client side): the broker paces it by
    # holding each request until the debt of the one before is paid, so batches are kept at
    # 64 KB and five in flight, as a producer under a 200 KB/s quota would be configured.
    p = Producer(h.confluent_conf(b, **{"client.id": client_id, "linger.ms": 5,
                                        "batch.size": 65536,
                                        "max.in.flight.requests.per.connection": 5,
                                        "statistics.interval.ms": 500, "stats_cb": stats,
                                        "queue.buffering.max.messages": 20}))
    payload = b"x" * size
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            p.produce(topic, payload,
                      on_delivery=lambda e, m: acked.append(len(m.value())) if e is None else None)
        except BufferError:
            p.poll(0.05)
        p.poll(0)
    p.flush(30)
    elapsed = time.monotonic() - start
    return sum(acked), elapsed, max(throttles or [0])


def test_producer_byte_rate_throttles_librdkafka(b):
    h.create_topics(b, "q-produce")
    rate = 200_000
    eddy_quota(b, "set", "--client-id", "slow-producer", f"producer_byte_rate={rate}")
    sent, elapsed, throttle = produce_for(b, "q-produce", "slow-producer", 6)
    observed = sent / elapsed
    print(f"librdkafka producer: {observed:,.0f} B/s against a quota of {rate:,} "
          f"(max throttle {throttle} ms)")
    # The bound a token bucket allows: the quota for the time taken, one window's burst (1 s of
    # quota), and the requests in flight whose debt was not yet paid when it stopped (5 x 64 KB).
    check_bound(sent, rate, elapsed, 5 * 65536, "librdkafka producer")
    check(throttle > 0, "librdkafka never saw a throttle_time_ms")
    # Another client id is not throttled by it.
    free_sent, free_elapsed, free_throttle = produce_for(b, "q-produce", "free-producer", 2)
    check_eq(free_throttle, 0, "throttle of a client without a quota")
    print(f"unthrottled producer: {free_sent / free_elapsed:,.0f} B/s")


def test_consumer_byte_rate_throttles_and_loses_nothing(b):
    h.create_topics(b, "q-fetch")
    count, size = 300, 20_000
    # Batches of 64 KB, so that a fetch response holds at most max.partition.fetch.bytes (a
    # first batch larger than it would be returned whole).
    p = Producer(h.confluent_conf(b, **{"linger.ms": 5, "batch.size": 65536}))
    for i in range(count):
        p.produce("q-fetch", (b"%06d" % i) + b"y" * (size - 6))
    check_eq(p.flush(30), 0, "records left unsent")
    rate = 1_000_000
    eddy_quota(b, "set", "--client-id", "slow-consumer", f"consumer_byte_rate={rate}")
    c = Consumer(h.confluent_conf(b, **{"group.id": "q", "client.id": "slow-consumer",
                                        "enable.auto.commit": False,
                                        "max.partition.fetch.bytes": 262144,
                                        "auto.offset.reset": "earliest"}))
    got = []
    start = time.monotonic()
    try:
        c.assign([TopicPartition("q-fetch", 0, 0)])
        while len(got) < count and time.monotonic() - start < 40:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got.append(int(m.value()[:6]))
    finally:
        c.close()
    elapsed = time.monotonic() - start
    check_eq(got, list(range(count)), "records read under a consumer quota")
    observed = count * size / elapsed
    print(f"librdkafka consumer: {observed:,.0f} B/s against a quota of {rate:,} "
          f"({elapsed:.1f} s for {count * size:,} bytes)")
    # A second's burst and the last response (256 KB) whose debt was not yet paid; one more for
    # the granularity of librdkafka's fetch cycle.
    check_bound(count * size, rate, elapsed, 2 * 262144, "librdkafka consumer")


def test_kafka_python_is_throttled_by_a_late_answer(b):
    from kafka import KafkaProducer
    h.create_topics(b, "q-kp")
    rate = 100_000
    eddy_quota(b, "set", "--client-id", "kp-producer", f"producer_byte_rate={rate}")
    p = KafkaProducer(bootstrap_servers=b.bootstrap, client_id="kp-producer", linger_ms=5,
                      api_version_auto_timeout_ms=10000)
    futures = []
    start = time.monotonic()
    while time.monotonic() - start < 5:
        futures.append(p.send("q-kp", b"z" * 5_000))
        if len(futures) > 8:
            futures[-9].get(timeout=30)  # at most 8 records waiting, as a paced sender would
    for f in futures:
        f.get(timeout=30)
    elapsed = time.monotonic() - start
    p.close()
    observed = len(futures) * 5_000 / elapsed
    print(f"kafka-python producer: {observed:,.0f} B/s against a quota of {rate:,}")
    # kafka-python's batches are 16 KB at most, five in flight.
    check_bound(len(futures) * 5_000, rate, elapsed, 5 * 16384, "kafka-python producer")


def test_controller_mutation_rate_refuses_topic_changes_over_quota(b):
    # KIP-599 with Eddy's own client (CreateTopics v7, a strict version; client id "eddy-cli").
    eddy_quota(b, "set", "--client-id", "eddy-cli", "controller_mutation_rate=2")
    try:
        out, _ = h.eddy_cli(b, "topic", "create", "q-mut-1", "-p", "10")
        check("created topic q-mut-1" in out, out)  # within quota when sent: admitted
        # Now 8 partitions in debt (4 s at 2/s): the next creation is refused, and the client's
        # retries within one second cannot outlast the throttle.
        _, err = h.eddy_cli(b, "topic", "create", "q-mut-2", "-p", "1", "--timeout-ms", "1000",
                            check_rc=False)
        check(err != "", "a topic created while over the mutation quota")
        check(not any(t == "q-mut-2" for t in topic_names(b)), "q-mut-2 exists")
        # With time to wait out the throttle, the client's retries get it through.
        out, _ = h.eddy_cli(b, "topic", "create", "q-mut-2", "-p", "1", "--timeout-ms", "15000")
        check("created topic q-mut-2" in out, out)
    finally:
        eddy_quota(b, "remove", "--client-id", "eddy-cli", "controller_mutation_rate")


def test_storage_quota_refuses_produce_past_it(b):
    # Eddy's storage.quota.bytes: librdkafka's produce past it fails with POLICY_VIOLATION;
    # a larger quota (IncrementalAlterConfigs: eddy topic alter-config) makes room.
    h.eddy_cli(b, "topic", "create", "q-capped", "-p", "1", "-c", "storage.quota.bytes=20000")
    p = Producer(h.confluent_conf(b, **{"linger.ms": 0, "message.timeout.ms": 10000}))
    results = []
    for i in range(5):
        p.produce("q-capped", b"x" * 10_000,
                  on_delivery=lambda e, m: results.append(e.code() if e else None))
        p.flush(15)
    check_eq(results[:2], [None, None], "the first 20 KB under the quota")
    check(all(r == KafkaError.POLICY_VIOLATION for r in results[2:]),
          f"produce past storage.quota.bytes: {results}")
    h.eddy_cli(b, "topic", "alter-config", "q-capped", "--set", "storage.quota.bytes=10000000")
    results.clear()
    p.produce("q-capped", b"y", on_delivery=lambda e, m: results.append(e.code() if e else None))
    p.flush(15)
    check_eq(results, [None], "produce after the quota was raised")


def topic_names(b):
    return set(AdminClient(h.confluent_conf(b)).list_topics(timeout=10).topics)


def test_ip_connection_creation_rate_closes_the_excess(b):
    eddy_quota(b, "set", "--ip", "127.0.0.1", "connection_creation_rate=5")
    try:
        outcomes = []
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", b.port), timeout=5)
            s.settimeout(2)
            try:
                # ApiVersions v0; a closed connection answers nothing.
                s.sendall(b"\x00\x00\x00\x0e\x00\x12\x00\x00\x00\x00\x00\x01\x00\x04test")
                outcomes.append(len(s.recv(4)) == 4)
            except OSError:
                outcomes.append(False)
            finally:
                s.close()
        served = sum(outcomes)
        print(f"20 connections at once under connection_creation_rate=5: {served} served")
        check(1 <= served <= 8, f"{served} of 20 connections served at a rate of 5/s")
    finally:
        eddy_quota(b, "remove", "--ip", "127.0.0.1", "connection_creation_rate")
    time.sleep(1.5)
    # The address is served normally again.
    check(h.api_versions(b.port) is not None, "ApiVersions after the quota was removed")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
