#!/usr/bin/python3
"""SASL listeners of a real eddy broker (issue 13 point 3): one broker with a PLAINTEXT listener
(inter-broker, and where the test checks what was stored), a SASL_PLAINTEXT listener and a
SASL_SSL listener (certificates made with the openssl CLI, as test_tls.py does). PLAIN users come
from the listener's JAAS line (user_<name>="password"). Driven by python3-confluent-kafka
(librdkafka: SaslHandshake v1 + SaslAuthenticate), kcat, kafka-python (SaslHandshake v0, then raw
tokens without Kafka headers), kafkajs and eddy's own CLI (--command-config). A wrong password and
an unknown user are refused with SASL_AUTHENTICATION_FAILED and nothing they send is stored; a
request other than ApiVersions/SaslHandshake/SaslAuthenticate before authentication closes the
connection; a SASL listener that enables no mechanism Eddy serves is refused at start."""
import os
import shutil
import socket
import struct
import subprocess
import tempfile

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import harness as h
from harness import check, check_eq

PKI = h.Pki("eddy-sasl-pki-")
path = PKI.path
JS = os.path.join(h.HERE, "js")
USERS = {"alice": "alice-secret", "bob": "b0b pass"}
# SCRAM users, made with `eddy user set-password` (setup): name -> (mechanism, password).
SCRAM = {"carol": ("SCRAM-SHA-256", "carol-256-secret"), "dave": ("SCRAM-SHA-512", "dave=512,secret")}
MECHANISMS = [("PLAIN", "alice", USERS["alice"])] + [(m, u, p) for u, (m, p) in SCRAM.items()]
JAAS = ("org.apache.kafka.common.security.plain.PlainLoginModule required " +
        " ".join(f'user_{u}="{p}"' for u, p in USERS.items()) + ";")


def make_pki():
    PKI.ca("ca", "/CN=eddy-sasl-test-ca")
    PKI.leaf("server", "/CN=broker-1", "ca", "IP:127.0.0.1,DNS:localhost")
    PKI.keystore("server", "keystore.pem")


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


def end_offset(b, topic):
    c = Consumer(h.confluent_conf(b, **{"group.id": "sasl-watermarks"}))
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False)[1]
    finally:
        c.close()


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
           "-X", "broker.address.family=v4", "-m", "10" if check_rc else "4",
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
    node = shutil.which("node")
    check(node, "node is not installed: kafkajs needs Node.js (see tools/install-deps.sh)")
    check(os.path.isdir(os.path.join(JS, "node_modules", "kafkajs")),
          f"kafkajs is not installed in {JS}/node_modules: run `npm ci` there")
    t = h.unique("sasl-kjs")
    create_topic(b, t)
    runs = [(tls, mechanism, user, password) for mechanism, user, password in MECHANISMS
            for tls in (False, True)]
    for tls, mechanism, user, password in runs:
        port = b.sasl_ssl_port if tls else b.sasl_port
        p = subprocess.run([node, os.path.join(JS, "kafkajs_sasl.js"), f"127.0.0.1:{port}", t,
                            mechanism.lower(), user, password, path("ca.pem") if tls else ""],
                           capture_output=True, timeout=90, cwd=JS)
        check_eq(p.returncode, 0, f"kafkajs_sasl.js ({mechanism}, tls={tls})\nstdout:\n"
                                  f"{p.stdout.decode(errors='replace')[-3000:]}\nstderr:\n"
                                  f"{p.stderr.decode(errors='replace')[-3000:]}")
    check_eq(end_offset(b, t), 3 * len(runs), "kafkajs produced 3 records per run")


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
                         **{"message.timeout.ms": 4000})
        p = Producer(dict(conf, acks="all"))
        errors = []
        p.produce(t, b"must not land", on_delivery=lambda e, m: errors.append(e))
        left = p.flush(8)
        check(left > 0 or (errors and errors[0] is not None),
              f"{user}: a produce with bad credentials was delivered")
        a = AdminClient(conf)
        try:
            a.list_topics(timeout=3)
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
    check_eq(end_offset(b, t), 0, "records stored from refused clients")
    log = open(b.log_paths[-1], errors="replace").read() + open(b.log_paths[-2],
                                                                  errors="replace").read()
    check("SASL authentication failed" in log, "the broker logs the failures")


def frame(api_key, version, body, corr):
    msg = struct.pack(">hhi", api_key, version, corr) + h._str("eddy-int") + body
    return struct.pack(">i", len(msg)) + msg


def read_frame(s):
    size = struct.unpack(">i", h._recv_exact(s, 4))[0]
    return h.Reader(h._recv_exact(s, size))


def raw_plain_authenticate(port, user, password):
    """SaslHandshake v1 + SaslAuthenticate v1 (PLAIN) by hand: (error code, message, closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(frame(17, 1, h._str("PLAIN"), 1))
        r = read_frame(s)
        check_eq(r.i32(), 1, "SaslHandshake correlation id")
        check_eq(r.i16(), 0, "SaslHandshake error code")
        token = b"\0" + user.encode() + b"\0" + password.encode()
        s.sendall(frame(36, 1, struct.pack(">i", len(token)) + token, 2))
        r = read_frame(s)
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
        s.sendall(frame(3, 1, struct.pack(">i", -1), 9))
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
        s.sendall(frame(17, 1, h._str("GSSAPI"), 1))
        r = read_frame(s)
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


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
