#!/usr/bin/python3
"""SASL listeners of a real eddy broker (issue 13 point 3): one broker with a PLAINTEXT listener
(inter-broker, and where the test checks what was stored), a SASL_PLAINTEXT listener and a
SASL_SSL listener (certificates made with the openssl CLI, as test_tls.py does). PLAIN users come
from the listener's JAAS line (user_<name>="password"). Driven by python3-confluent-kafka
(librdkafka: SaslHandshake v1 + SaslAuthenticate), kcat, kafka-python (SaslHandshake v0, then raw
tokens without Kafka headers), kafkajs and eddy's own CLI (--command-config). A wrong password and
an unknown user are refused with SASL_AUTHENTICATION_FAILED and nothing they send is stored; a
request other than ApiVersions/SaslHandshake/SaslAuthenticate before authentication closes the
connection; a SASL listener that enables no mechanism Eddy serves is refused at start. The audit
log has a line per authentication attempt (and per credential change); a SCRAM user given to
`eddy format --add-scram` / `eddy broker --add-scram` logs in as soon as the new cluster serves;
with connections.max.reauth.ms a producer keeps producing across session expiries, and a
session-expired connection is closed."""
import os
import socket
import struct
import subprocess
import tempfile

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

import json
import time

import harness as h
from harness import check, check_eq

PKI = h.Pki("sasl")
path = PKI.path
USERS = {"alice": "alice-secret", "bob": "b0b pass"}
# SCRAM users, made with `eddy user set-password` (setup): name -> (mechanism, password).
SCRAM = {"carol": ("SCRAM-SHA-256", "carol-256-secret"), "dave": ("SCRAM-SHA-512", "dave=512,secret")}
MECHANISMS = [("PLAIN", "alice", USERS["alice"])] + [(m, u, p) for u, (m, p) in SCRAM.items()]
JAAS = ("org.apache.kafka.common.security.plain.PlainLoginModule required " +
        " ".join(f'user_{u}="{p}"' for u, p in USERS.items()) + ";")


def make_pki():
    PKI.make_ca("ca", "/CN=eddy-sasl-test-ca")
    PKI.make_leaf("server", "/CN=broker-1", "ca", "IP:127.0.0.1,DNS:localhost")
    PKI.keystore("server", path("keystore.pem"))


def setup():
    make_pki()
    sasl_port, sasl_ssl_port = h.free_ports(2)
    b = h.Broker("sasl")
    b.sasl_port, b.sasl_ssl_port = sasl_port, sasl_ssl_port
    b.overrides.update({
        "listeners": (f"PLAINTEXT://127.0.0.1:{b.port},SASL_PLAINTEXT://127.0.0.1:{sasl_port},"
                      f"SASL_SSL://127.0.0.1:{sasl_ssl_port},"
                      f"CONTROLLER://127.0.0.1:{b.controller_port}"),
        "listener.security.protocol.map": ("PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,"
                                           "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT"),
        "inter.broker.listener.name": "PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        # Per listener and mechanism, as Kafka spells it (lower-cased names).
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
        "listener.name.sasl_ssl.plain.sasl.jaas.config": JAAS,
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": path("keystore.pem"),
        "audit.log.file": "audit.log",  # under log.dirs
        # Consumer groups form at once (the tests join one group at a time).
        "group.initial.rebalance.delay.ms": "0",
    })
    b.start()
    for user, (mechanism, password) in SCRAM.items():
        eddy(["user", "set-password", user, "--mechanism", mechanism, "--password", password,
              "--iterations", "8192", "-b", b.bootstrap])
    return b


def eddy(args, check_rc=True, timeout=60):
    p = subprocess.run([h._args.eddy] + args, capture_output=True, timeout=timeout)
    if check_rc:
        check(p.returncode == 0, f"eddy {' '.join(args)}: exit {p.returncode}, "
                                 f"{p.stderr.decode(errors='replace')}")
    return p


def password_of(user):
    return USERS[user] if user in USERS else SCRAM[user][1] if user in SCRAM else "x"


def mechanism_of(user):
    return SCRAM[user][0] if user in SCRAM else "PLAIN"


def sasl_conf(b, tls=False, user="alice", password=None, mechanism=None, **extra):
    conf = {"bootstrap.servers": f"127.0.0.1:{b.sasl_ssl_port if tls else b.sasl_port}",
            "broker.address.family": "v4", "socket.timeout.ms": 10000,
            "security.protocol": "SASL_SSL" if tls else "SASL_PLAINTEXT",
            "sasl.mechanism": mechanism or mechanism_of(user), "sasl.username": user,
            "sasl.password": password_of(user) if password is None else password}
    if tls:
        conf["ssl.ca.location"] = path("ca.pem")
    conf.update(extra)
    return conf


def create_topic(b, name):
    a = AdminClient(h.confluent_conf(b))
    a.create_topics([NewTopic(name, 1, 1)], operation_timeout=10)[name].result(15)
    h.wait_until(lambda: a.list_topics(name, timeout=5).topics[name].error is None, 10,
                 f"topic {name} in metadata")


def produce(conf, topic, values):
    p = Producer(dict(conf, acks="all"))
    for v in values:
        h.produce_sync(p, topic, value=v.encode())


def consume(b, conf, topic, count):
    # harness.consume_all over the SASL listener: its settings replace the PLAINTEXT ones.
    return [m.value().decode() for m in h.consume_all(b, topic, 0, 0, count, **conf)]


def test_eddy_user_list_shows_the_scram_users(b):
    out = eddy(["user", "list", "-b", b.bootstrap]).stdout.decode()
    rows = [line.split() for line in out.splitlines()[1:]]
    check_eq(rows, [["carol", "SCRAM-SHA-256", "8192"], ["dave", "SCRAM-SHA-512", "8192"]],
             "eddy user list")


def test_librdkafka_over_sasl_plaintext_and_sasl_ssl(b):
    for tls, user in ((False, "alice"), (True, "bob"), (False, "carol"), (True, "carol"),
                      (False, "dave"), (True, "dave")):
        conf = sasl_conf(b, tls=tls, user=user)
        t = h.unique("sasl-cf")
        create_topic(b, t)
        values = [f"{user}-{'tls' if tls else 'plain'}-{i}" for i in range(10)]
        produce(conf, t, values)
        check_eq(consume(b, conf, t, len(values)), values, f"records read back (tls={tls})")
        # Metadata over the SASL listener advertises that listener: the client stays on it.
        md = AdminClient(conf).list_topics(t, timeout=10)
        port = b.sasl_ssl_port if tls else b.sasl_port
        check_eq([(x.host, x.port) for x in md.brokers.values()], [("127.0.0.1", port)],
                 f"brokers advertised on the SASL listener (tls={tls})")


def kcat_sasl(b, *args, tls=False, user="alice", password=None, input=None, check_rc=True):
    cmd = ["kcat", "-b", f"127.0.0.1:{b.sasl_ssl_port if tls else b.sasl_port}",
           "-X", "broker.address.family=v4", "-m", "10" if check_rc else "2",
           "-X", f"security.protocol={'SASL_SSL' if tls else 'SASL_PLAINTEXT'}",
           "-X", f"sasl.mechanisms={mechanism_of(user)}", "-X", f"sasl.username={user}",
           "-X", f"sasl.password={password_of(user) if password is None else password}"]
    if tls:
        cmd += ["-X", f"ssl.ca.location={path('ca.pem')}"]
    p = subprocess.run(cmd + list(args), input=input, capture_output=True, timeout=60)
    if check_rc:
        check(p.returncode == 0, f"{' '.join(cmd + list(args))} exited {p.returncode}: "
                                 f"{p.stderr.decode(errors='replace')[-2000:]}")
    return p


def test_kcat(b):
    for tls, user in ((False, "alice"), (True, "alice"), (False, "carol"), (True, "dave")):
        t = h.unique("sasl-kcat")
        create_topic(b, t)
        kcat_sasl(b, "-P", "-t", t, tls=tls, user=user, input=b"one\ntwo\nthree\n")
        out = kcat_sasl(b, "-C", "-t", t, "-o", "beginning", "-e", "-c", "3", tls=tls,
                        user=user).stdout
        check_eq(out.decode().split(), ["one", "two", "three"], f"kcat as {user} (tls={tls})")


def test_kafka_python_raw_tokens(b):
    # kafka-python 2.0.2 sends SaslHandshake v0 first, then the tokens as raw frames.
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition as KTP
    for mechanism, user, password in MECHANISMS:
        t = h.unique("sasl-kpy")
        create_topic(b, t)
        common = dict(bootstrap_servers=f"127.0.0.1:{b.sasl_port}",
                      security_protocol="SASL_PLAINTEXT", sasl_mechanism=mechanism,
                      sasl_plain_username=user, sasl_plain_password=password,
                      request_timeout_ms=15000, api_version_auto_timeout_ms=10000)
        p = KafkaProducer(acks="all", **common)
        for i in range(5):
            p.send(t, f"kpy-{i}".encode()).get(timeout=15)
        p.close()
        c = KafkaConsumer(enable_auto_commit=False, consumer_timeout_ms=10000, **common)
        c.assign([KTP(t, 0)])
        c.seek_to_beginning()
        got = []
        for m in c:
            got.append(m.value.decode())
            if len(got) == 5:
                break
        c.close()
        check_eq(got, [f"kpy-{i}" for i in range(5)], f"kafka-python over raw tokens, {mechanism}")


def test_kafkajs(b):
    node = h.node_js()
    t = h.unique("sasl-kjs")
    create_topic(b, t)
    runs = [(tls, mechanism, user, password) for mechanism, user, password in MECHANISMS
            for tls in (False, True)]
    for tls, mechanism, user, password in runs:
        port = b.sasl_ssl_port if tls else b.sasl_port
        p = subprocess.run([node, os.path.join(h.JS, "kafkajs_sasl.js"), f"127.0.0.1:{port}", t,
                            mechanism.lower(), user, password, path("ca.pem") if tls else ""],
                           capture_output=True, timeout=90, cwd=h.JS)
        check_eq(p.returncode, 0, f"kafkajs_sasl.js ({mechanism}, tls={tls})\nstdout:\n"
                                  f"{p.stdout.decode(errors='replace')[-3000:]}\nstderr:\n"
                                  f"{p.stderr.decode(errors='replace')[-3000:]}")
    check_eq(h.end_offset(b, t), 3 * len(runs), "kafkajs produced 3 records per run")


def test_eddy_cli_command_config_plain(b):
    t = h.unique("sasl-cli")
    create_topic(b, t)
    props = path("client-sasl.properties")
    with open(props, "w") as f:
        f.write("security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.username=bob\n"
                f"sasl.password={USERS['bob']}\nssl.ca.location={path('ca.pem')}\n")
    p = subprocess.run([h._args.eddy, "topic", "list", "-b", f"127.0.0.1:{b.sasl_ssl_port}",
                        "--command-config", props], capture_output=True, timeout=60)
    check(p.returncode == 0 and t in p.stdout.decode(),
          f"eddy topic list over SASL_SSL: {p.returncode} {p.stdout!r} {p.stderr!r}")
    for user, (mechanism, password) in SCRAM.items():
        with open(props, "w") as f:
            f.write(f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism={mechanism}\n"
                    f"sasl.username={user}\nsasl.password={password}\n")
        p = subprocess.run([h._args.eddy, "topic", "list", "-b", f"127.0.0.1:{b.sasl_port}",
                            "--command-config", props], capture_output=True, timeout=60)
        check(p.returncode == 0 and t in p.stdout.decode(),
              f"eddy topic list with {mechanism}: {p.returncode} {p.stdout!r} {p.stderr!r}")
    with open(props, "w") as f:
        f.write("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.username=bob\n"
                "sasl.password=wrong\n")
    p = subprocess.run([h._args.eddy, "topic", "list", "-b", f"127.0.0.1:{b.sasl_port}",
                        "--command-config", props, "--timeout-ms", "5000"],
                       capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    check(p.returncode != 0 and "SASL_AUTHENTICATION_FAILED" in err,
          f"eddy CLI with a wrong password: {p.returncode} {err!r}")


def test_wrong_password_and_unknown_user_are_refused_and_store_nothing(b):
    t = h.unique("sasl-refused")
    create_topic(b, t)
    cases = (("alice", "not-her-password", "PLAIN"), ("mallory", "whatever", "PLAIN"),
             ("carol", "not-carols", "SCRAM-SHA-256"), ("erin", "whatever", "SCRAM-SHA-512"))
    for user, password, mechanism in cases:
        conf = sasl_conf(b, user=user, password=password, mechanism=mechanism,
                         **{"message.timeout.ms": 1500})
        p = Producer(dict(conf, acks="all"))
        errors = []
        p.produce(t, b"must not land", on_delivery=lambda e, m: errors.append(e))
        left = p.flush(2)
        check(left > 0 or (errors and errors[0] is not None),
              f"{user}: a produce with bad credentials was delivered")
        a = AdminClient(conf)
        try:
            a.list_topics(timeout=1.5)
            raise h.TestFailure(f"{user}: got metadata with bad credentials")
        except KafkaException as e:
            check("Authentication" in str(e) or "authentication" in str(e) or
                  "_TRANSPORT" in str(e) or "timed out" in str(e).lower(),
                  f"{user}: unexpected error {e}")
        if mechanism != "PLAIN":
            continue
        p = kcat_sasl(b, "-L", user=user, password=password, check_rc=False)
        check(p.returncode != 0, f"kcat -L as {user} with a bad password succeeded")
        # The wire answer itself: SaslAuthenticate's error code, then the connection closes.
        code, message, closed = raw_plain_authenticate(b.sasl_port, user, password)
        check_eq(code, 58, f"{user}: SaslAuthenticate error code (SASL_AUTHENTICATION_FAILED)")
        check(user not in (message or ""), f"the error message names the user: {message!r}")
        check(closed, f"{user}: the connection stays open after a failed authentication")
    check_eq(h.end_offset(b, t), 0, "records stored from refused clients")
    log = open(b.log_paths[-1], errors="replace").read() + open(b.log_paths[-2],
                                                                  errors="replace").read()
    check("SASL authentication failed" in log, "the broker logs the failures")


def raw_plain_authenticate(port, user, password):
    """SaslHandshake v1 + SaslAuthenticate v1 (PLAIN) by hand: (error code, message, closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(h.request_frame(17, 1, h._str("PLAIN"), 1))
        r = h.read_frame(s)
        check_eq(r.i32(), 1, "SaslHandshake correlation id")
        check_eq(r.i16(), 0, "SaslHandshake error code")
        token = b"\0" + user.encode() + b"\0" + password.encode()
        s.sendall(h.request_frame(36, 1, struct.pack(">i", len(token)) + token, 2))
        r = h.read_frame(s)
        check_eq(r.i32(), 2, "SaslAuthenticate correlation id")
        code, message = r.i16(), r.string()
        try:
            closed = s.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            closed = True
        return code, message, closed


def test_only_sasl_requests_before_authentication(b):
    # Metadata (v1) before authenticating: the broker closes the connection without an answer.
    with socket.create_connection(("127.0.0.1", b.sasl_port), timeout=5) as s:
        s.sendall(h.request_frame(3, 1, struct.pack(">i", -1), 9))
        try:
            closed = s.recv(1) == b""
        except ConnectionResetError:
            closed = True
        check(closed, "Metadata before SASL authentication was answered")
    # ApiVersions is served, and advertises the SASL APIs.
    check(17 in h.api_versions(b.sasl_port) and 36 in h.api_versions(b.sasl_port),
          "SaslHandshake and SaslAuthenticate in ApiVersions")
    # An unsupported mechanism: UNSUPPORTED_SASL_MECHANISM (33) with the enabled list.
    with socket.create_connection(("127.0.0.1", b.sasl_port), timeout=5) as s:
        s.sendall(h.request_frame(17, 1, h._str("GSSAPI"), 1))
        r = h.read_frame(s)
        r.i32()
        check_eq(r.i16(), 33, "SaslHandshake of GSSAPI")
        check_eq([r.string() for _ in range(r.i32())], ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
                 "mechanisms offered")
    # A frame above sasl.server.max.receive.size before authentication closes the connection.
    with socket.create_connection(("127.0.0.1", b.sasl_port), timeout=5) as s:
        s.sendall(struct.pack(">i", 600_000) + b"\0" * 1024)
        try:
            closed = s.recv(1) == b""
        except ConnectionResetError:
            closed = True
        check(closed, "a 600 kB frame before authentication was accepted")
    # On the PLAINTEXT listener a SaslHandshake is an illegal state (34), as in Kafka.
    r = h.kafka_request(b.port, 17, 1, h._str("PLAIN"))
    check_eq(r.i16(), 34, "SaslHandshake on a PLAINTEXT listener")


def test_a_sasl_listener_without_a_served_mechanism_is_refused_at_start():
    ports = h.free_ports(3)
    d = tempfile.mkdtemp(prefix="eddy-sasl-refused-")
    base = [h._args.eddy, "broker", "--override",
            f"listeners=PLAINTEXT://127.0.0.1:{ports[0]},SASL_PLAINTEXT://127.0.0.1:{ports[1]},"
            f"CONTROLLER://127.0.0.1:{ports[2]}",
            "--override", f"log.dirs={d}/data", "--override", "inter.broker.listener.name=PLAINTEXT"]
    # Kafka's default sasl.enabled.mechanisms is GSSAPI, which Eddy does not serve.
    p = subprocess.run(base, capture_output=True, timeout=30)
    err = h.clean_stderr(p.stderr.decode(errors="replace"))
    check(p.returncode != 0 and "listener SASL_PLAINTEXT: sasl.enabled.mechanisms" in err and
          "GSSAPI" in err, f"GSSAPI only: {p.returncode} {err!r}")
    # PLAIN without a JAAS line naming its users.
    p = subprocess.run(base + ["--override", "sasl.enabled.mechanisms=PLAIN"], capture_output=True,
                       timeout=30)
    err = h.clean_stderr(p.stderr.decode(errors="replace"))
    check(p.returncode != 0 and "PLAIN is enabled but there is no JAAS line" in err,
          f"PLAIN without users: {p.returncode} {err!r}")


def audit_lines(b):
    with open(os.path.join(b.data_dir, "audit.log")) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_audit_log_has_every_authentication_attempt(b):
    code, _, _ = raw_plain_authenticate(b.sasl_port, "alice", "audit-wrong-password")
    check_eq(code, 58, "SaslAuthenticate with a wrong password")
    AdminClient(sasl_conf(b, user="carol")).list_topics(timeout=10)

    def has(**fields):
        return any(all(line.get(k) == v for k, v in fields.items()) for line in audit_lines(b))
    h.wait_until(lambda: has(principal="User:alice", mechanism="PLAIN", result="FAILED"), 10,
                 "an audit line for alice's wrong password")
    h.wait_until(lambda: has(principal="User:carol", mechanism="SCRAM-SHA-256", result="OK"), 10,
                 "an audit line for carol's login")
    failed = [x for x in audit_lines(b) if x.get("principal") == "User:alice" and
              x.get("result") == "FAILED"][0]
    check_eq(sorted(failed), ["client", "error", "listener", "mechanism", "operation",
                              "principal", "result", "time"], "fields of a failure line")
    check_eq((failed["client"], failed["listener"], failed["operation"]),
             ("127.0.0.1", "SASL_PLAINTEXT", "AUTHENTICATE"), "failure line")
    check("audit-wrong-password" not in open(os.path.join(b.data_dir, "audit.log")).read(),
          "a password in the audit log")
    # `eddy user set-password` in setup: an admin line per credential change.
    check(has(api="AlterUserScramCredentials", resource_type="USER", operation="ADMIN",
              result="OK", resource="carol: upsert SCRAM-SHA-256 iterations=8192"),
          "an audit line for carol's credential")


def scram_broker(name, **overrides):
    """A broker with a SASL_PLAINTEXT listener offering SCRAM only (no PLAIN users at all)."""
    b = h.Broker(name)
    b.sasl_port = h.free_ports(1)[0]
    b.overrides.update({
        "listeners": (f"PLAINTEXT://127.0.0.1:{b.port},SASL_PLAINTEXT://127.0.0.1:{b.sasl_port},"
                      f"CONTROLLER://127.0.0.1:{b.controller_port}"),
        "listener.security.protocol.map": ("PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,"
                                           "CONTROLLER:PLAINTEXT"),
        "inter.broker.listener.name": "PLAINTEXT",
        "sasl.enabled.mechanisms": "SCRAM-SHA-256,SCRAM-SHA-512",
        "audit.log.file": "audit.log",
    })
    b.overrides.update(overrides)
    return b


def scram_conf(b, user, password, mechanism="SCRAM-SHA-256", **extra):
    conf = {"bootstrap.servers": f"127.0.0.1:{b.sasl_port}", "broker.address.family": "v4",
            "socket.timeout.ms": 10000, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": mechanism, "sasl.username": user, "sasl.password": password}
    conf.update(extra)
    return conf


def test_add_scram_at_format_and_at_first_start():
    # eddy format --add-scram, then the first start: the user logs in right away.
    b = scram_broker("sasl-format")
    cluster_id = eddy(["random-uuid"]).stdout.decode().strip()
    fmt = [h._args.eddy, "format", "--cluster-id", cluster_id, "--override",
           f"log.dirs={b.data_dir}",
           "--add-scram", "SCRAM-SHA-256=[name=admin,password=admin-secret]",
           "--add-scram", 'SCRAM-SHA-512=[name=admin,iterations=8192,password="admin,512"]']
    p = subprocess.run(fmt, capture_output=True, timeout=60)
    check(p.returncode == 0, f"eddy format --add-scram: {p.returncode} {p.stderr!r}")
    b.start()
    for mechanism, password in (("SCRAM-SHA-256", "admin-secret"), ("SCRAM-SHA-512", "admin,512")):
        md = AdminClient(scram_conf(b, "admin", password, mechanism)).list_topics(timeout=10)
        check_eq(len(md.brokers), 1, f"metadata as admin with {mechanism}")
    out = eddy(["user", "list", "-b", b.bootstrap]).stdout.decode()
    check_eq([line.split() for line in out.splitlines()[1:]],
             [["admin", "SCRAM-SHA-256", "4096"], ["admin", "SCRAM-SHA-512", "8192"]],
             "eddy user list after --add-scram")
    try:
        AdminClient(scram_conf(b, "admin", "wrong")).list_topics(timeout=3)
        raise h.TestFailure("admin logged in with a wrong password")
    except KafkaException:
        pass
    # A restart (no --add-scram) keeps them; they came from the metadata log, not the file.
    b.stop()
    b.start()
    AdminClient(scram_conf(b, "admin", "admin-secret")).list_topics(timeout=10)
    b.stop()

    # eddy broker --add-scram formats at the first start with the credential.
    b2 = scram_broker("sasl-first-start")
    b2.args = ["--add-scram", "SCRAM-SHA-256=[name=root,password=root-secret]"]
    b2.start()
    t = h.unique("add-scram")
    create_topic(b2, t)
    produce(scram_conf(b2, "root", "root-secret"), t, ["x"])
    check_eq(h.end_offset(b2, t), 1, "a record produced as root")
    b2.stop()

    # A bad value: one line, exit 2, nothing formatted.
    d = tempfile.mkdtemp(prefix="eddy-add-scram-bad-")
    p = subprocess.run([h._args.eddy, "format", "--cluster-id", cluster_id, "--override",
                        f"log.dirs={d}/data", "--add-scram", "SCRAM-SHA-256=[name=x]"],
                       capture_output=True, timeout=60)
    err = h.clean_stderr(p.stderr.decode(errors="replace")).strip()
    check(p.returncode == 2 and err.count("\n") == 0 and "--add-scram #1:" in err and
          "password" in err, f"a bad --add-scram: {p.returncode} {err!r}")
    check(not os.path.exists(os.path.join(d, "data", "meta.properties")),
          "a bad --add-scram formatted the directory")


def test_reauthentication_with_connections_max_reauth_ms():
    b = scram_broker("sasl-reauth", **{"connections.max.reauth.ms": "2000"})
    b.args = ["--add-scram", "SCRAM-SHA-256=[name=rita,password=rita-secret]"]
    b.start()
    t = h.unique("reauth")
    create_topic(b, t)
    errors, delivered = [], []
    # librdkafka 2.0.2 does not re-authenticate (KIP-368 came in 2.2.0). Had it read the lifetime,
    # the broker would close its connection at expiry and it would reconnect and authenticate
    # again; idempotence keeps retried requests from landing twice. Either way nothing may fail.
    conf = scram_conf(b, "rita", "rita-secret", acks="all",
                      **{"linger.ms": 5, "enable.idempotence": True})
    p = Producer(dict(conf, error_cb=lambda e: errors.append(e)))
    deadline = time.monotonic() + 6
    n = 0
    while time.monotonic() < deadline:
        p.produce(t, f"r{n}".encode(),
                  on_delivery=lambda e, m: delivered.append(e) if e is None else errors.append(e))
        n += 1
        p.poll(0.05)
    check_eq(p.flush(20), 0, "records left in the producer")
    check_eq(len(delivered), n, f"records delivered across session expiries (errors: {errors})")
    check_eq(h.end_offset(b, t), n, "records stored")
    # The session's lifetime is on the wire (SaslAuthenticate v1+), and a connection that let it
    # pass without re-authenticating is closed at its next request.
    with socket.create_connection(("127.0.0.1", b.sasl_port), timeout=5) as s:
        lifetime = raw_scram_login(s, "rita", "rita-secret")
        check_eq(lifetime, 2000, "session_lifetime_ms")
        s.sendall(h.request_frame(3, 1, struct.pack(">i", -1), 10))  # Metadata v1: served
        h.read_frame(s)
        time.sleep(2.5)
        s.sendall(h.request_frame(3, 1, struct.pack(">i", -1), 11))
        try:
            closed = s.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            closed = True
        check(closed, "a request after the session expired was served")
    # kafkajs re-authenticates on its connection before the session ends (KIP-368): the audit
    # log shows it, and nothing it sends fails.
    node = h.node_js()
    p = subprocess.run([node, os.path.join(h.JS, "kafkajs_reauth.js"), f"127.0.0.1:{b.sasl_port}",
                        t, "rita", "rita-secret", "6"], capture_output=True, timeout=90, cwd=h.JS)
    check_eq(p.returncode, 0, f"kafkajs_reauth.js\nstdout:\n{p.stdout.decode(errors='replace')}"
                              f"\nstderr:\n{p.stderr.decode(errors='replace')[-3000:]}")
    sent = json.loads(p.stdout.decode().strip().splitlines()[-1])["sent"]
    check_eq(h.end_offset(b, t), n + sent, "records stored after kafkajs")
    lines = audit_lines(b)
    check(any(x.get("principal") == "User:rita" and x.get("result") == "OK" and
              x.get("operation") == "AUTHENTICATE" for x in lines), "an audit line for rita's login")
    reauth = [x for x in lines if x.get("operation") == "REAUTHENTICATE"]
    check(len(reauth) >= 2 and all(x["result"] == "OK" and x["principal"] == "User:rita"
                                   for x in reauth), f"re-authentications in the audit log: {reauth}")
    b.stop()


def raw_scram_login(s, user, password):
    """SCRAM-SHA-256 by hand (SaslHandshake v1, SaslAuthenticate v1) on socket `s`; returns
    session_lifetime_ms."""
    import base64
    import hashlib
    import hmac
    s.sendall(h.request_frame(17, 1, h._str("SCRAM-SHA-256"), 1))
    r = h.read_frame(s)
    r.i32()
    check_eq(r.i16(), 0, "SaslHandshake error code")
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={nonce}"

    def authenticate(token, corr):
        s.sendall(h.request_frame(36, 1, struct.pack(">i", len(token)) + token, corr))
        r = h.read_frame(s)
        r.i32()
        code, message = r.i16(), r.string()
        check_eq(code, 0, f"SaslAuthenticate: {message}")
        data = r.take(r.i32())
        return data, r.i64()
    server_first, _ = authenticate(("n,," + first_bare).encode(), 2)
    parts = dict(x.split("=", 1) for x in server_first.decode().split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(parts["s"]),
                                 int(parts["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    final_bare = f"c=biws,r={parts['r']}"
    auth_message = f"{first_bare},{server_first.decode()},{final_bare}".encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
    _, lifetime = authenticate(f"{final_bare},p={proof}".encode(), 3)
    return lifetime


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
