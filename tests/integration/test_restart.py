#!/usr/bin/python3
"""Restarts of a real eddy broker on the same data directory: everything acknowledged with
acks=all survives SIGTERM and SIGKILL, in order, at the same offsets; topics, partitions and
configs survive; deleted topics stay deleted. This broker runs with auto.create.topics.enable=false."""
import signal

from confluent_kafka import KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ConfigSource

import harness as h
from harness import check, check_eq

N = 400  # acknowledged messages per round


def setup():
    return h.Broker("restart", {"auto.create.topics.enable": "false"}).start()


class State:
    topic = h.unique("rs-data")
    gone = h.unique("rs-gone")
    acked = {0: [], 1: []}  # partition -> [(offset, key, value)]


def admin(b):
    # one AdminClient per broker, kept alive: a collected client fails its pending futures
    if getattr(b, "admin_client", None) is None:
        b.admin_client = AdminClient(h.confluent_conf(b))
    return b.admin_client


def produce_round(b, label):
    p = Producer(h.confluent_conf(b, acks="all", **{"linger.ms": 2}))
    reports = []
    for i in range(N):
        p.produce(State.topic, key=b"%s-%d" % (label.encode(), i % 5),
                  value=b"%s #%d" % (label.encode(), i), partition=i % 2,
                  on_delivery=lambda e, m: reports.append((e, m)))
        if i % 50 == 0:
            p.poll(0)
    check_eq(p.flush(20), 0, f"{label}: unflushed messages")
    check_eq([e for e, _ in reports if e is not None], [], f"{label}: delivery errors")
    by_part = {0: [], 1: []}
    for _, m in reports:
        by_part[m.partition()].append((m.offset(), m.key(), m.value()))
    for part, msgs in by_part.items():
        msgs.sort(key=lambda x: int(x[2].split(b"#")[1]))
        start = len(State.acked[part])
        check_eq([o for o, _, _ in msgs], list(range(start, start + len(msgs))),
                 f"{label}: partition {part} offsets follow on from the previous round")
        State.acked[part].extend(msgs)


def verify_everything(b, label):
    for part, msgs in State.acked.items():
        got = h.consume_all(b, State.topic, part, 0, len(msgs))
        check_eq([(m.offset(), m.key(), m.value()) for m in got], msgs,
                 f"{label}: partition {part} contents")
    from confluent_kafka import Consumer
    c = Consumer(h.confluent_conf(b, **{"group.id": "eddy-int-restart"}))
    try:
        for part, msgs in State.acked.items():
            check_eq(c.get_watermark_offsets(TopicPartition(State.topic, part), timeout=10, cached=False),
                     (0, len(msgs)), f"{label}: partition {part} watermarks")
    finally:
        c.close()
    md = admin(b).list_topics(timeout=10)
    check(State.topic in md.topics, f"{label}: topic lost")
    check_eq(sorted(md.topics[State.topic].partitions), [0, 1], f"{label}: partitions")
    check(State.gone not in md.topics, f"{label}: the deleted topic came back")
    res = ConfigResource(ConfigResource.Type.TOPIC, State.topic)
    cfg = admin(b).describe_configs([res])[res].result(15)
    src = cfg["retention.ms"].source
    check_eq((cfg["retention.ms"].value, int(getattr(src, "value", src))),
             ("7777777", ConfigSource.DYNAMIC_TOPIC_CONFIG.value), f"{label}: retention.ms config")
    check_eq(cfg["segment.bytes"].value, "1048576", f"{label}: segment.bytes config")


def test_auto_create_disabled(b):
    t = h.unique("rs-nope")
    md = admin(b).list_topics(t, timeout=10).topics[t]
    check_eq(md.error.code() if md.error else None, KafkaError.UNKNOWN_TOPIC_OR_PART,
             "metadata for an unknown topic with auto.create.topics.enable=false")
    check(t not in admin(b).list_topics(timeout=10).topics, "topic was created anyway")


def test_setup_topics(b):
    fs = admin(b).create_topics([
        NewTopic(State.topic, 2, 1, config={"retention.ms": "7777777", "segment.bytes": "1048576"}),
        NewTopic(State.gone, 1, 1)], operation_timeout=10)
    for f in fs.values():
        f.result(15)
    h.wait_until(lambda: State.topic in admin(b).list_topics(timeout=5).topics, 10, "topic created")
    produce_round(b, "before")
    admin(b).delete_topics([State.gone], operation_timeout=10)[State.gone].result(15)
    h.wait_until(lambda: State.gone not in admin(b).list_topics(timeout=5).topics, 10, "topic deleted")
    verify_everything(b, "before any restart")


def test_sigterm_restart(b):
    rc = b.stop(signal.SIGTERM)
    check_eq(rc, 0, "exit code after SIGTERM (graceful shutdown)")
    b.start()
    verify_everything(b, "after SIGTERM restart")
    produce_round(b, "after-term")
    verify_everything(b, "after SIGTERM restart and more produce")


def test_sigkill_restart(b):
    produce_round(b, "before-kill")
    rc = b.stop(signal.SIGKILL)
    check_eq(rc, -signal.SIGKILL, "exit by SIGKILL")
    b.start()
    verify_everything(b, "after SIGKILL restart")
    produce_round(b, "after-kill")
    verify_everything(b, "after SIGKILL restart and more produce")


def test_sigkill_twice_in_a_row(b):
    b.stop(signal.SIGKILL)
    b.start()
    b.stop(signal.SIGKILL)
    b.start()
    verify_everything(b, "after two SIGKILLs")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
