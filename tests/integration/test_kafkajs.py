#!/usr/bin/python3
"""kafkajs 2.2.4 (npm, tests/integration/js) against a real eddy broker: js/kafkajs_check.js runs
the admin calls, a gzip producer and an idempotent producer and asserts their answers; this script then reads what it
produced back with librdkafka (no consumer group) and checks the stored batches are gzip.
js/kafkajs_reassign.js checks admin.alterPartitionReassignments / listPartitionReassignments on the
one broker (a no-op move, nothing listed, INVALID_REPLICA_ASSIGNMENT, UNKNOWN_TOPIC_OR_PARTITION)."""
import json
import os
import subprocess
import time

import harness as h
from harness import check, check_eq

JS = h.JS
node_js = h.node_js


def setup():
    return h.Broker("kafkajs").start()


def test_kafkajs_admin_and_gzip_producer(b):
    node = node_js()
    t, other = h.unique("kjs"), h.unique("kjs-other")
    base = int(time.time() * 1000) - 60_000
    p = subprocess.run([node, os.path.join(JS, "kafkajs_check.js"), b.bootstrap, t, other, str(base)],
                       capture_output=True, timeout=90, cwd=JS)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    check_eq(p.returncode, 0, f"kafkajs_check.js exit code\nstdout:\n{out[-3000:]}\nstderr:\n{err[-5000:]}")
    produced = json.loads(out.strip().splitlines()[-1])["produced"]
    check_eq(len(produced), 20, "records kafkajs reports as produced")

    # DeleteRecords moved partition 0's log start to 3: librdkafka reads 3..19 exactly
    got = h.consume_all(b, t, 0, 3, 17)
    for i, m in enumerate(got):
        want = produced[i + 3]
        check_eq(m.offset(), i + 3, "offset")
        check_eq(m.key(), want["key"].encode(), f"offset {i + 3}: key")
        check_eq(m.value(), want["value"].encode(), f"offset {i + 3}: value")
        check_eq(m.headers(), [("h", want["headers"]["h"].encode()), ("empty", b"")], f"offset {i + 3}: headers")
        check_eq(m.timestamp()[1], int(want["timestamp"]), f"offset {i + 3}: timestamp")
    got = h.consume_all(b, t, 1, 0, 1)
    check_eq((got[0].key(), got[0].value()), (None, b"p1 plain"), "partition 1 record")

    from confluent_kafka import Consumer, TopicPartition
    c = Consumer(h.confluent_conf(b, **{"group.id": "eddy-int-kjs"}))
    try:
        check_eq(c.get_watermark_offsets(TopicPartition(t, 0), timeout=10, cached=False), (3, 20),
                 "watermarks of partition 0 after DeleteRecords")
    finally:
        c.close()
    # kafkajs sent two gzip batches of 10 (the first may since be deleted only logically)
    batches = [x for x in h.log_batches(b.data_dir, t, 0) if x["last_offset"] >= 3]
    check_eq([(x["base_offset"], x["last_offset"], x["codec"]) for x in batches],
             [(0, 9, 1), (10, 19, 1)], "stored batches of partition 0 (gzip = codec 1)")
    check_eq([x["producer_id"] for x in batches], [-1, -1], "partition 0: not idempotent")
    # the idempotent producer's three batches: one producer id, epoch 0, sequences 0, 5, 10
    idem = h.log_batches(b.data_dir, t, 2)
    check_eq([(x["base_offset"], x["producer_epoch"], x["base_sequence"]) for x in idem],
             [(0, 0, 0), (5, 0, 5), (10, 0, 10)], "partition 2: the idempotent batches")
    check(idem[0]["producer_id"] >= 0 and len({x["producer_id"] for x in idem}) == 1,
          f"partition 2: one producer id {[x['producer_id'] for x in idem]}")
    check_eq([m.value() for m in h.consume_all(b, t, 2, 0, 15)],
             [f"idem {i}".encode() for i in range(15)], "partition 2 read back")


def test_kafkajs_partition_reassignments(b):
    p = subprocess.run([node_js(), os.path.join(JS, "kafkajs_reassign.js"), b.bootstrap,
                        h.unique("kjs-reassign")], capture_output=True, timeout=90, cwd=JS)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    check_eq(p.returncode, 0, f"kafkajs_reassign.js exit code\nstdout:\n{out[-3000:]}\n"
                              f"stderr:\n{err[-5000:]}")
    check_eq(json.loads(out.strip().splitlines()[-1]), {"ok": True}, "kafkajs_reassign.js")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
