#!/usr/bin/python3
"""ACL authorization of a real eddy broker (issue 13 point 4): authorizer.class.name set, an mTLS
listener whose clients are named by their certificate (CN=alice → User:CN=alice; certificates
made with the openssl CLI) and a PLAINTEXT listener for the admin (User:ANONYMOUS, in
super.users, which also covers the PLAINTEXT controller listener). ACLs are managed with
`eddy acl add|list|remove`; alice drives python3-confluent-kafka (librdkafka): WRITE lets her
produce, a missing READ gives TOPIC_AUTHORIZATION_FAILED, a DENY wins over an ALLOW, prefixed
ACLs apply, Metadata lists only the topics she may describe, removing an ACL takes effect."""
import os
import subprocess
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

import harness as h
from harness import check, check_eq

PKI = h.Pki("acl")
path = PKI.path


def make_pki():
    PKI.make_ca("ca", "/CN=eddy-acl-test-ca")
    PKI.make_leaf("server", "/CN=broker-1", "ca", "IP:127.0.0.1,DNS:localhost")
    PKI.make_leaf("alice", "/CN=alice", "ca")
    PKI.keystore("server", path("keystore.pem"))


def setup():
    make_pki()
    (mtls_port,) = h.free_ports(1)
    b = h.Broker("acl")
    b.mtls_port = mtls_port
    b.overrides.update({
        "listeners": (f"PLAINTEXT://127.0.0.1:{b.port},MTLS://127.0.0.1:{mtls_port},"
                      f"CONTROLLER://127.0.0.1:{b.controller_port}"),
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,MTLS:SSL,CONTROLLER:PLAINTEXT",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": path("keystore.pem"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": path("ca.pem"),
        "ssl.client.auth": "required",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:ANONYMOUS",
        "audit.log.file": "audit.log",
    })
    return b.start()


def alice_conf(b, **extra):
    conf = {"bootstrap.servers": f"127.0.0.1:{b.mtls_port}", "broker.address.family": "v4",
            "socket.timeout.ms": 10000, "security.protocol": "SSL",
            "ssl.ca.location": path("ca.pem"),
            "ssl.certificate.location": path("alice.pem"), "ssl.key.location": path("alice.key")}
    conf.update(extra)
    return conf


def eddy_acl(b, *args, check_rc=True):
    return h.eddy_cli(b, "acl", *args, check_rc=check_rc)


def produce_errors(b, topic, values, timeout=15):
    """Delivery error codes (None for delivered) of producing `values` as alice."""
    p = Producer(alice_conf(b, acks="all", **{"message.timeout.ms": timeout * 1000}))
    results = []
    for v in values:
        p.produce(topic, v.encode(),
                  on_delivery=lambda e, m: results.append(e.code() if e else None))
    p.flush(timeout + 5)
    return results


def consume_as_alice(b, topic, count, timeout=15.0):
    """(values, error codes) of reading `topic` partition 0 from the start as alice."""
    c = Consumer(alice_conf(b, **{"group.id": "alice-reader", "enable.auto.commit": False,
                                  "auto.offset.reset": "earliest"}))
    got, errors = [], []
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                errors.append(m.error().code())
                if m.error().code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                    break
                continue
            got.append(m.value().decode())
    finally:
        c.close()
    return got, errors


def test_write_acl_lets_alice_produce_and_missing_read_refuses_her(b):
    h.create_topics(b, "t")
    # Nothing granted: refused.
    check_eq(produce_errors(b, "t", ["early"], timeout=5),
             [KafkaError.TOPIC_AUTHORIZATION_FAILED], "produce before any ACL")
    out, _ = eddy_acl(b, "add", "--allow-principal", "User:CN=alice", "--operation", "Write",
                      "--topic", "t")
    check("added ACL: Allow User:CN=alice Write on Topic Literal 't' from *" in out, out)
    check_eq(produce_errors(b, "t", ["a", "b"]), [None, None], "produce with WRITE")
    got, errors = consume_as_alice(b, "t", 2, timeout=10)
    check_eq(got, [], "records read without READ")
    check(KafkaError.TOPIC_AUTHORIZATION_FAILED in errors, f"consume errors {errors}")


def test_metadata_lists_only_describable_topics(b):
    h.create_topics(b, "hidden-topic")
    md = AdminClient(alice_conf(b)).list_topics(timeout=10)
    names = sorted(md.topics)
    check("t" in names and "hidden-topic" not in names, f"alice sees {names}")
    admin_names = AdminClient(h.confluent_conf(b)).list_topics(timeout=10).topics
    check("hidden-topic" in admin_names, "the super user sees every topic")


def test_prefixed_acls_and_deny_wins(b):
    h.create_topics(b, "logs-x", "logs-y")
    eddy_acl(b, "add", "--allow-principal", "User:CN=alice", "--operation", "Write",
             "--operation", "Read", "--topic", "logs-", "--resource-pattern-type", "prefixed")
    eddy_acl(b, "add", "--allow-principal", "User:CN=alice", "--operation", "Read",
             "--group", "alice-reader")
    check_eq(produce_errors(b, "logs-x", ["x1"]), [None], "produce under a prefixed ALLOW")
    got, errors = consume_as_alice(b, "logs-x", 1)
    check_eq(got, ["x1"], f"read under a prefixed ALLOW (errors {errors})")
    eddy_acl(b, "add", "--deny-principal", "User:CN=alice", "--operation", "Write",
             "--topic", "logs-x")
    check_eq(produce_errors(b, "logs-x", ["x2"], timeout=5),
             [KafkaError.TOPIC_AUTHORIZATION_FAILED], "a DENY wins over the prefixed ALLOW")
    check_eq(produce_errors(b, "logs-y", ["y1"]), [None], "the DENY names logs-x only")


def test_list_and_remove(b):
    out, _ = eddy_acl(b, "list")
    lines = out.splitlines()
    check(lines[0].split() == ["RESOURCE-TYPE", "NAME", "PATTERN", "PRINCIPAL", "HOST",
                               "OPERATION", "PERMISSION"], out)
    rows = [tuple(line.split()) for line in lines[1:]]
    for row in (("Topic", "t", "Literal", "User:CN=alice", "*", "Write", "Allow"),
                ("Topic", "logs-", "Prefixed", "User:CN=alice", "*", "Read", "Allow"),
                ("Topic", "logs-x", "Literal", "User:CN=alice", "*", "Write", "Deny"),
                ("Group", "alice-reader", "Literal", "User:CN=alice", "*", "Read", "Allow")):
        check(row in rows, f"{row} missing from\n{out}")
    out, _ = eddy_acl(b, "list", "--topic", "t")
    check_eq(len(out.splitlines()), 2, f"ACLs of topic t:\n{out}")
    out, _ = eddy_acl(b, "list", "--principal", "User:CN=nobody")
    check_eq(len(out.splitlines()), 1, f"ACLs of nobody:\n{out}")
    out, _ = eddy_acl(b, "remove", "--allow-principal", "User:CN=alice", "--operation", "Write",
                      "--topic", "t")
    check("removed ACL: Allow User:CN=alice Write on Topic Literal 't' from *" in out, out)
    check_eq(produce_errors(b, "t", ["late"], timeout=5),
             [KafkaError.TOPIC_AUTHORIZATION_FAILED], "produce after the ACL was removed")
    out, _ = eddy_acl(b, "remove", "--topic", "t")
    check("no ACL matched" in out, out)


def test_alice_cannot_manage_acls_and_bad_input_is_refused(b):
    # alice over mTLS via --command-config: no ALTER on the cluster.
    cfg = path("alice.properties")
    with open(cfg, "w") as f:
        f.write(f"security.protocol=SSL\nssl.ca.location={path('ca.pem')}\n"
                f"ssl.certificate.location={path('alice.pem')}\n"
                f"ssl.key.location={path('alice.key')}\n")
    cmd = [h._args.eddy, "acl", "add", "--allow-principal", "User:CN=alice", "--operation",
           "All", "--cluster", "-b", f"127.0.0.1:{b.mtls_port}", "--command-config", cfg,
           "--timeout-ms", "10000"]
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    check(p.returncode != 0 and "CLUSTER_AUTHORIZATION_FAILED" in p.stderr.decode(),
          f"alice adding ACLs: rc {p.returncode} {p.stderr.decode()!r}")
    # Nor may she set quotas (ALTER_CONFIGS on the cluster) or credentials (ALTER).
    for admin in (["quota", "set", "--user", "CN=alice", "producer_byte_rate=1000000000"],
                  ["user", "set-password", "CN=alice", "--mechanism", "SCRAM-SHA-256",
                   "--password", "x"]):
        p = subprocess.run([h._args.eddy] + admin + ["-b", f"127.0.0.1:{b.mtls_port}",
                                                     "--command-config", cfg,
                                                     "--timeout-ms", "10000"],
                           capture_output=True, timeout=60)
        check(p.returncode != 0 and "CLUSTER_AUTHORIZATION_FAILED" in p.stderr.decode(),
              f"alice running eddy {admin[0]}: rc {p.returncode} {p.stderr.decode()!r}")
    _, err = eddy_acl(b, "add", "--allow-principal", "User:x", "--allow-host", "some.host",
                      "--topic", "t", check_rc=False)
    check("INVALID_REQUEST" in err, f"a host name in an ACL: {err!r}")
    _, err = eddy_acl(b, "add", "--allow-principal", "User:x", "--operation", "Fly",
                      "--topic", "t", check_rc=False)
    check("is not an operation" in err, err)


def test_audit_log_has_denials_and_admin_actions(b):
    import json
    lines = [json.loads(x) for x in open(f"{b.data_dir}/audit.log").read().splitlines()]
    check(any(x["principal"] == "User:CN=alice" and x.get("api") == "Fetch" and
              x["resource"] == "t" and x["operation"] == "READ" and x["result"] == "DENIED"
              for x in lines), f"no denial of alice's fetch in {lines[:8]}")
    check(any(x.get("api") == "CreateAcls" and x["operation"] == "ADMIN" and x["result"] == "OK"
              and "User:CN=alice" in x["resource"] for x in lines), "no CreateAcls admin line")
    # Authentication lines (no api): each mTLS connection's mapped principal.
    check(any(x["principal"] == "User:CN=alice" and x.get("mechanism") == "TLS" and
              x["operation"] == "AUTHENTICATE" and x["result"] == "OK" and
              x.get("listener") == "MTLS" for x in lines), "no mTLS authentication line for alice")
    check(all(x["time"].endswith("Z") for x in lines), "UTC times")


def test_kafkajs_create_describe_delete_acls(b):
    import shutil
    js = os.path.join(h.HERE, "js")
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(js, "node_modules", "kafkajs")):
        print("[skip] kafkajs is not installed in tests/integration/js (npm ci)")
        return
    p = subprocess.run([node, os.path.join(js, "kafkajs_acl.js"), b.bootstrap, h.unique("kjs-acl")],
                       capture_output=True, timeout=60, cwd=js)
    check(p.returncode == 0, f"kafkajs_acl.js: {p.stdout.decode()} {p.stderr.decode()[-3000:]}")


def test_without_authorizer_acl_apis_answer_security_disabled():
    b = h.Broker("acl-off").start()
    try:
        _, err = eddy_acl(b, "add", "--allow-principal", "User:x", "--topic", "t",
                          check_rc=False)
        check("SECURITY_DISABLED" in err, f"no authorizer: {err!r}")
    finally:
        b.stop()


def test_an_unknown_authorizer_is_refused_at_start():
    rc, err = h.refused_start(
        "acl", {"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer"},
        data_untouched=False)  # the broker refuses it once its data directory is open
    check(rc != 0 and "authorizer.class.name" in err, f"rc {rc}: {err!r}")

if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
