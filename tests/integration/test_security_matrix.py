#!/usr/bin/python3
"""The security acceptance matrix of issue 13, on ONE broker with a listener per cell kind:

    MTLS            SSL, ssl.client.auth=required          mechanism mTLS
    SASL_PLAINTEXT  PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
    SASL_SSL        PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
    PLAINONLY       SASL_PLAINTEXT with PLAIN only          (the unsupported-mechanism case)

(and PLAINTEXT for the test's own admin work). The 7 listener/mechanism cells × 4 clients
(librdkafka via python3-confluent-kafka, kcat, kafkajs, kafka-python) each produce records and
read them back; the exact payloads are asserted. The negatives, for every client: a wrong
password, an unknown user, a client certificate signed by another CA, a mechanism the listener
does not enable; each must end in an authentication error (not a timeout), nothing a refused
client sent may be stored, and afterwards the broker must still serve good clients on every
listener. Clients run side by side (kafkajs is one node process for all its cells) to keep the
test fast. Every cell is printed as a table row; a test fails listing every failing cell.

What kafka-python 2.0.2 can say, two client limitations the table names:
* it speaks SaslHandshake v0 and then raw SASL tokens (CLIENTS.md §6.3), where a broker (Kafka's
  too) has no frame to carry an authentication error and can only close the connection; so a
  refused PLAIN/SCRAM login is "closed while authenticating" (conn.py's _try_authenticate_*);
* its non-blocking reader drops the bytes it read in the same loop as the end of the stream
  (conn.py _recv: "Only process bytes if there was no connection exception"), so when the
  UNSUPPORTED_SASL_MECHANISM answer and the close that follows it (as in Kafka) arrive together
  it reports "socket disconnected" instead. That answer is then "closed with the SaslHandshake
  answer unread", and the test checks on the wire what kafka-python was sent: SaslHandshake v0
  answered with error 33 and the enabled mechanisms, then the connection closed."""
import concurrent.futures
import json
import logging
import os
import re
import socket
import subprocess
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

import harness as h
from harness import check, check_eq

PKI = h.Pki("matrix")
path = PKI.path
CLIENTS = ("librdkafka", "kcat", "kafkajs", "kafka-python")
PLAIN_USER = ("alice", "alice-secret")
# SCRAM users, made with `eddy user set-password`: mechanism -> (user, password).
SCRAM_USERS = {"SCRAM-SHA-256": ("carol", "carol-256 secret"),
               "SCRAM-SHA-512": ("dave", "dave=512,secret")}
JAAS = ("org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'user_{PLAIN_USER[0]}="{PLAIN_USER[1]}";')
RECORDS = 5


class Conn:
    """How a client connects: a listener, its security protocol and the client's credentials
    (a SASL mechanism with a user and password, or mTLS with a certificate name)."""

    def __init__(self, listener, protocol, port, mechanism, user=None, password=None, cert=None):
        self.listener, self.protocol, self.port, self.mechanism = listener, protocol, port, mechanism
        self.user, self.password, self.cert = user, password, cert

    @property
    def tls(self):
        return "SSL" in self.protocol

    @property
    def sasl(self):
        return self.protocol.startswith("SASL")


def setup():
    PKI.make_ca("ca", "/CN=eddy-matrix-ca")
    PKI.make_leaf("server", "/CN=broker-1", "ca", "IP:127.0.0.1,DNS:localhost")
    PKI.make_leaf("alice", "/CN=alice", "ca")
    PKI.make_ca("evil-ca", "/CN=someone-else")
    PKI.make_leaf("mallory", "/CN=mallory", "evil-ca")
    b = h.Broker("matrix")
    b.mtls_port, b.sasl_port, b.sasl_ssl_port, b.plain_only_port = h.free_ports(4)
    b.overrides.update({
        "listeners": (f"PLAINTEXT://127.0.0.1:{b.port},MTLS://127.0.0.1:{b.mtls_port},"
                      f"SASL_PLAINTEXT://127.0.0.1:{b.sasl_port},"
                      f"SASL_SSL://127.0.0.1:{b.sasl_ssl_port},"
                      f"PLAINONLY://127.0.0.1:{b.plain_only_port},"
                      f"CONTROLLER://127.0.0.1:{b.controller_port}"),
        "listener.security.protocol.map": (
            "PLAINTEXT:PLAINTEXT,MTLS:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,"
            "PLAINONLY:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"),
        "inter.broker.listener.name": "PLAINTEXT",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": PKI.keystore("server"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": path("ca.pem"),
        "listener.name.mtls.ssl.client.auth": "required",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.plainonly.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
        "listener.name.sasl_ssl.plain.sasl.jaas.config": JAAS,
        "listener.name.plainonly.plain.sasl.jaas.config": JAAS,
        # kafkajs reads back through consumer groups: no 3 s wait for more members per group.
        "group.initial.rebalance.delay.ms": "0",
    })
    b.start()
    for mechanism, (user, password) in SCRAM_USERS.items():
        p = subprocess.run([h._args.eddy, "user", "set-password", user, "--mechanism", mechanism,
                            "--password", password, "--iterations", "4096", "-b", b.bootstrap],
                           capture_output=True, timeout=60)
        check(p.returncode == 0, f"eddy user set-password {user}: {p.stderr!r}")
    return b


def cells(b):
    """The 7 listener/mechanism cells, each with good credentials."""
    out = [Conn("MTLS", "SSL", b.mtls_port, "mTLS", cert="alice")]
    for listener, port in (("SASL_PLAINTEXT", b.sasl_port), ("SASL_SSL", b.sasl_ssl_port)):
        out.append(Conn(listener, listener, port, "PLAIN", *PLAIN_USER))
        out += [Conn(listener, listener, port, m, u, p) for m, (u, p) in SCRAM_USERS.items()]
    return out


# Each negative: what it is, the connection, and what the client's error must mention.
SASL_REFUSED = r"authentication|SASL_AUTHENTICATION_FAILED"
KAFKA_PYTHON_SASL_REFUSED = r"closed while authenticating"
KAFKA_PYTHON_HANDSHAKE_UNREAD = r"closed with the SaslHandshake answer unread"
TLS_REFUSED = r"unknown.ca|certificate|alert"
MECHANISM_REFUSED = r"unsupported.?sasl.?mechanism|not supported|does not support|not enabled"


def negatives(b):
    sp, ss, po = b.sasl_port, b.sasl_ssl_port, b.plain_only_port
    sha256, sha512 = SCRAM_USERS["SCRAM-SHA-256"], SCRAM_USERS["SCRAM-SHA-512"]
    return [
        ("wrong password", Conn("SASL_PLAINTEXT", "SASL_PLAINTEXT", sp, "PLAIN", "alice", "nope")),
        ("wrong password", Conn("SASL_SSL", "SASL_SSL", ss, "SCRAM-SHA-256", sha256[0], "nope")),
        ("wrong password", Conn("SASL_PLAINTEXT", "SASL_PLAINTEXT", sp, "SCRAM-SHA-512", sha512[0],
                                "nope")),
        ("unknown user", Conn("SASL_SSL", "SASL_SSL", ss, "PLAIN", "mallory", "whatever")),
        ("unknown user", Conn("SASL_PLAINTEXT", "SASL_PLAINTEXT", sp, "SCRAM-SHA-256", "erin", "x")),
        ("unknown user", Conn("SASL_SSL", "SASL_SSL", ss, "SCRAM-SHA-512", "erin", "x")),
        ("untrusted certificate", Conn("MTLS", "SSL", b.mtls_port, "mTLS", cert="mallory")),
        ("unsupported mechanism", Conn("PLAINONLY", "SASL_PLAINTEXT", po, "SCRAM-SHA-512", *sha512)),
        ("unsupported mechanism", Conn("PLAINONLY", "SASL_PLAINTEXT", po, "SCRAM-SHA-256", *sha256)),
    ]


def expected_error(kind, client):
    if kind == "untrusted certificate":
        return TLS_REFUSED
    if kind == "unsupported mechanism":
        if client == "kafka-python":
            return MECHANISM_REFUSED + "|" + KAFKA_PYTHON_HANDSHAKE_UNREAD
        return MECHANISM_REFUSED
    return KAFKA_PYTHON_SASL_REFUSED if client == "kafka-python" else SASL_REFUSED


# ------------------------------------------------------------------------- client configurations


def rdkafka_conf(c, **extra):
    """librdkafka's properties (also kcat's -X) for a connection."""
    conf = {"bootstrap.servers": f"127.0.0.1:{c.port}", "broker.address.family": "v4",
            "socket.timeout.ms": 10000, "security.protocol": c.protocol}
    if c.tls:
        conf["ssl.ca.location"] = path("ca.pem")
    if c.cert:
        conf["ssl.certificate.location"] = path(f"{c.cert}.pem")
        conf["ssl.key.location"] = path(f"{c.cert}.key")
    if c.sasl:
        conf.update({"sasl.mechanism": c.mechanism, "sasl.username": c.user,
                     "sasl.password": c.password})
    conf.update(extra)
    return conf


def kafka_python_conf(c):
    conf = {"security_protocol": c.protocol, "request_timeout_ms": 15000}
    if c.tls:
        conf["ssl_cafile"] = path("ca.pem")
    if c.cert:
        conf.update({"ssl_certfile": path(f"{c.cert}.pem"), "ssl_keyfile": path(f"{c.cert}.key")})
    if c.sasl:
        conf.update({"sasl_mechanism": c.mechanism, "sasl_plain_username": c.user,
                     "sasl_plain_password": c.password})
    return conf


def kafkajs_case(c, case_id, topic, expect, values=()):
    return {"id": case_id, "broker": f"127.0.0.1:{c.port}", "topic": topic, "expect": expect,
            "values": list(values),
            "ssl": ({"ca": path("ca.pem"), "cert": c.cert and path(f"{c.cert}.pem"),
                     "key": c.cert and path(f"{c.cert}.key")} if c.tls else None),
            "sasl": ({"mechanism": c.mechanism.lower(), "username": c.user,
                      "password": c.password} if c.sasl else None)}


def kcat_cmd(c, *args):
    cmd = ["kcat", "-b", f"127.0.0.1:{c.port}"]
    for k, v in rdkafka_conf(c).items():
        if k != "bootstrap.servers":
            cmd += ["-X", f"{k}={v}"]
    return cmd + list(args)


# ------------------------------------------------------------------ the clients, one cell at a time
# A round trip returns the values read back; a refusal returns the error text (raising
# h.TestFailure when the client was not refused).


def librdkafka_round_trip(b, c, topic, values):
    p = Producer(rdkafka_conf(c, acks="all"))
    for v in values:
        h.produce_sync(p, topic, value=v.encode())
    return [m.value().decode() for m in h.consume_all(b, topic, 0, 0, len(values),
                                                      **rdkafka_conf(c))]


# librdkafka's own log lines of a refused client say what error_cb says: not printed twice.
QUIET = logging.getLogger("matrix.librdkafka")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def librdkafka_refused(b, c, topic):
    errors = []
    p = Producer(rdkafka_conf(c, acks="all", **{"message.timeout.ms": 5000,
                                                "error_cb": lambda e: errors.append(e),
                                                "logger": QUIET}))
    delivered = []
    p.produce(topic, b"must not land", on_delivery=lambda e, m: delivered.append(e))
    deadline = time.monotonic() + 8
    while not errors and not delivered and time.monotonic() < deadline:
        p.poll(0.1)
    p.purge()
    p.flush(1)
    check(not delivered or delivered[0] is not None, "a record was delivered")
    check(errors, "no error reported within 8 s")
    return "; ".join(f"{e.name()}: {e.str()}" for e in errors)


def kcat_round_trip(b, c, topic, values):
    p = subprocess.run(kcat_cmd(c, "-m", "10", "-P", "-t", topic),
                       input="".join(v + "\n" for v in values).encode(), capture_output=True,
                       timeout=60)
    check(p.returncode == 0, f"kcat -P exited {p.returncode}: {p.stderr.decode()[-1000:]}")
    p = subprocess.run(kcat_cmd(c, "-m", "10", "-C", "-t", topic, "-o", "beginning", "-e",
                                "-c", str(len(values)), "-f", "%s\\n"),
                       capture_output=True, timeout=60)
    check(p.returncode == 0, f"kcat -C exited {p.returncode}: {p.stderr.decode()[-1000:]}")
    return p.stdout.decode().splitlines()


def kcat_refused(b, c, topic):
    p = subprocess.run(kcat_cmd(c, "-m", "4", "-L", "-t", topic), capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    check(p.returncode != 0, f"kcat -L succeeded: {p.stdout.decode()[-300:]}")
    # librdkafka's log lines (…|FAIL|… with the reason, without their prefix) and kcat's own
    # % ERROR lines.
    return " | ".join(re.sub(r"^%\d\|[\d.]+\|FAIL\|[^|]*\| \[thrd:[^\]]*\]: ", "", line)
                      for line in err.splitlines() if "|FAIL|" in line or "ERROR" in line) or err


def kafka_python_round_trip(b, c, topic, values):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition as KTP
    common = dict(bootstrap_servers=f"127.0.0.1:{c.port}", **kafka_python_conf(c))
    p = KafkaProducer(acks="all", **common)
    try:
        for v in values:
            p.send(topic, v.encode()).get(timeout=15)
    finally:
        p.close()
    cons = KafkaConsumer(enable_auto_commit=False, consumer_timeout_ms=10000, **common)
    try:
        cons.assign([KTP(topic, 0)])
        cons.seek_to_beginning()
        got = []
        for m in cons:
            got.append(m.value.decode())
            if len(got) == len(values):
                break
        return got
    finally:
        cons.close()


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def kafka_python_refused(b, c, topic):
    """One BrokerConnection (kafka-python's own connection class, as its clients use it): the
    TLS handshake and the SASL exchange, then a Metadata request; the error that closed it."""
    from kafka.conn import BrokerConnection
    logger = logging.getLogger("kafka.conn")
    records = _Records()
    logger.addHandler(records)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the records are the reason; no tracebacks on stderr
    conn = BrokerConnection("127.0.0.1", c.port, socket.AF_INET, api_version=(2, 5, 0),
                            **kafka_python_conf(c))
    try:
        return _kafka_python_refusal(conn, c, topic, records)
    except h.TestFailure:
        raise
    except Exception as e:  # noqa: BLE001 - e.g. ssl.SSLError out of recv(): that is the refusal
        return f"{type(e).__name__}: {e}"
    finally:
        conn.close()
        logger.removeHandler(records)
        logger.propagate = True


def _kafka_python_refusal(conn, c, topic, records):
    from kafka.protocol.metadata import MetadataRequest
    if conn.connect_blocking(timeout=8):
        # TLS 1.3: a refused client certificate shows at the first read after the handshake.
        f = conn.send(MetadataRequest[1]([topic]))
        deadline = time.monotonic() + 8
        while not f.is_done and time.monotonic() < deadline:
            for response, future in conn.recv():  # as KafkaClient completes them
                future.success(response)
            time.sleep(0.02)
        check(f.failed(), "a Metadata request was answered" if f.is_done else
              "neither answered nor refused within 8 s")
        return f"{type(f.exception).__name__}: {f.exception}"
    # conn.py's log lines without the "<BrokerConnection …>: " prefixes.
    lines = [re.sub(r"<BrokerConnection .*?\]>:? ?", "", x) for x in records.lines]
    closing = [x for x in lines if x.startswith("Closing connection.")]
    text = " | ".join(closing or lines)
    if c.sasl and "Error receiving reply from server" in lines:
        # Raw-token mode: the broker can only close the connection (see the docstring).
        text = "closed while authenticating: " + text
    elif c.sasl and any(x.endswith("KafkaConnectionError: socket disconnected") for x in closing):
        # The SaslHandshake answer came with the close and was dropped (see the docstring).
        text = "closed with the SaslHandshake answer unread: " + text
    return text or f"connection state {conn.state}"


def wire_handshake_v0(port, mechanism):
    """What kafka-python is sent for SaslHandshake v0 of `mechanism` as its first request:
    (error code, enabled mechanisms, whether the connection is then closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(h.request_frame(17, 0, h._str(mechanism), 1))
        r = h.read_frame(s)
        check_eq(r.i32(), 1, "SaslHandshake v0 correlation id")
        code, mechanisms = r.i16(), [r.string() for _ in range(r.i32())]
        try:
            closed = s.recv(1) == b""
        except ConnectionResetError:
            closed = True
        return code, mechanisms, closed


def kafkajs_batch(b, cases):
    """Runs js/kafkajs_matrix.js once for all cases; returns {id: result dict}."""
    spec = path(f"kafkajs-{len(cases)}-{time.monotonic_ns()}.json")
    with open(spec, "w") as f:
        json.dump(cases, f)
    p = subprocess.run([h.node_js(), os.path.join(h.JS, "kafkajs_matrix.js"), spec],
                       capture_output=True, timeout=120, cwd=h.JS)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    check(p.returncode == 0, f"kafkajs_matrix.js exited {p.returncode}\nstdout:\n{out[-3000:]}\n"
                             f"stderr:\n{err[-3000:]}")
    return {r["id"]: r for r in json.loads(out.strip().splitlines()[-1])}


# ------------------------------------------------------------------------------- running a matrix


def run_clients(jobs):
    """jobs: {client: fn() -> {row: (ok, detail)}}, run side by side; returns the merged rows."""
    rows = {}
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        futures = {client: pool.submit(fn) for client, fn in jobs.items()}
        for client, f in futures.items():
            try:
                rows.update(f.result())
            except Exception as e:  # noqa: BLE001 - a whole client failed: every row says so
                rows[(client,)] = (False, f"{type(e).__name__}: {e}")
    return rows


def cell_by_cell(items, fn):
    """{row: (ok, detail)} from fn(item) per (row, item): an exception is that row's failure."""
    out = {}
    for row, item in items:
        try:
            out[row] = fn(item)
        except Exception as e:  # noqa: BLE001 - reported in the table
            out[row] = (False, f"{type(e).__name__}: {e}".replace("\n", " ")[:400])
    return out


def report(title, header, rows):
    """Prints the rows as a table and fails listing every failing one."""
    # A row of a client that failed as a whole is just (client,): padded to the header.
    table = [header] + [list(r) + [""] * (len(header) - 2 - len(r)) +
                        ["ok" if ok else "FAIL", " ".join(detail.split())]
                        for r, (ok, detail) in rows]
    widths = [max(len(str(t[i])) for t in table) for i in range(len(header) - 1)]
    print(f"--- {title}")
    for t in table:
        print("  " + "  ".join(str(x).ljust(w) for x, w in zip(t, widths)) + "  " + str(t[-1]))
    failing = [" / ".join(r) + f": {detail}" for r, (ok, detail) in rows if not ok]
    check(not failing, f"{len(failing)} of {len(rows)} cells failed:\n  " + "\n  ".join(failing))


def sorted_rows(rows, order):
    return sorted(rows.items(), key=lambda kv: order(kv[0]))


# ------------------------------------------------------------------------------------ the tests


def test_refused_clients_get_an_authentication_error(b):
    topic = h.unique("matrix-refused")
    h.create_topics(b, topic)
    cases = negatives(b)

    def judged(client, kind, refusal):
        pattern = expected_error(kind, client)
        return (bool(re.search(pattern, refusal, re.I)),
                refusal if re.search(pattern, refusal, re.I) else
                f"expected /{pattern}/, got: {refusal}")

    def per_cell(client, fn):
        items = [((kind, c.listener, c.mechanism, client), (kind, c)) for kind, c in cases]
        return lambda: cell_by_cell(items,
                                    lambda kc: judged(client, kc[0], fn(b, kc[1], topic)))

    def kafkajs():
        res = kafkajs_batch(b, [kafkajs_case(c, str(i), topic, "refused")
                                for i, (_, c) in enumerate(cases)])
        out = {}
        for i, (kind, c) in enumerate(cases):
            r = res[str(i)]
            row = (kind, c.listener, c.mechanism, "kafkajs")
            out[row] = (False, "not refused") if "error" not in r else judged("kafkajs", kind,
                                                                              r["error"])
        return out

    rows_of = run_clients({
        "librdkafka": per_cell("librdkafka", librdkafka_refused),
        "kcat": lambda: dict(kcat_parallel(b, cases, topic, judged)),
        "kafkajs": kafkajs,
        "kafka-python": per_cell("kafka-python", kafka_python_refused),
    })
    kinds = [k for k, _ in cases]
    report("refused clients", ["case", "listener", "mechanism", "client", "", "error"],
           sorted_rows(rows_of, lambda r: (kinds.index(r[0]) if r[0] in kinds else -1, r[1:])))
    check_eq(h.end_offset(b, topic), 0, "records stored from refused clients")
    for _, c in (x for x in cases if x[0] == "unsupported mechanism"):
        check_eq(wire_handshake_v0(c.port, c.mechanism), (33, ["PLAIN"], True),
                 f"SaslHandshake v0 of {c.mechanism} on {c.listener} (what kafka-python is sent)")


def kcat_parallel(b, cases, topic, judged):
    """kcat's refusals take its metadata timeout each: all of them at once."""
    with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
        futures = [(kind, c, pool.submit(kcat_refused, b, c, topic)) for kind, c in cases]
        for kind, c, f in futures:
            row = (kind, c.listener, c.mechanism, "kcat")
            try:
                yield row, judged("kcat", kind, f.result())
            except Exception as e:  # noqa: BLE001 - reported in the table
                yield row, (False, f"{type(e).__name__}: {e}")


def test_the_broker_still_serves_good_clients_after_the_refusals(b):
    check(b.proc.poll() is None, "the broker exited")
    h.api_versions(b.port)
    for c in cells(b):
        md = AdminClient(rdkafka_conf(c)).list_topics(timeout=10)
        check_eq([(x.host, x.port) for x in md.brokers.values()], [("127.0.0.1", c.port)],
                 f"metadata over {c.listener} with {c.mechanism}")
    good = Conn("PLAINONLY", "SASL_PLAINTEXT", b.plain_only_port, "PLAIN", *PLAIN_USER)
    topic = h.unique("matrix-after")
    h.create_topics(b, topic)
    check_eq(librdkafka_round_trip(b, good, topic, ["still", "served"]), ["still", "served"],
             "a round trip on the PLAIN-only listener")


def test_every_client_on_every_listener_and_mechanism(b):
    matrix = [(c, client) for c in cells(b) for client in CLIENTS]
    topics = {(c.listener, c.mechanism, client): h.unique(
        f"matrix-{c.listener}-{c.mechanism}-{client}".lower().replace("_", "-"))
        for c, client in matrix}
    h.create_topics(b, *topics.values())

    def values(c, client):
        # Non-ASCII, spaces and punctuation: the bytes must come back exactly.
        return [f"{c.listener}/{c.mechanism}/{client} #{i} héllo, wörld" for i in range(RECORDS)]

    def judged(c, client, got):
        want = values(c, client)
        return (got == want, f"{len(got)} records read back as produced" if got == want else
                f"expected {want!r}, got {got!r}")

    def per_cell(client, fn):
        items = [((c.listener, c.mechanism, client), c) for c in cells(b)]
        topic = lambda c: topics[(c.listener, c.mechanism, client)]  # noqa: E731
        return lambda: cell_by_cell(items, lambda c: judged(
            c, client, fn(b, c, topic(c), values(c, client))))

    def kafkajs():
        res = kafkajs_batch(b, [kafkajs_case(c, str(i), topics[(c.listener, c.mechanism,
                                                                "kafkajs")],
                                             "ok", values(c, "kafkajs"))
                                for i, c in enumerate(cells(b))])
        out = {}
        for i, c in enumerate(cells(b)):
            r = res[str(i)]
            out[(c.listener, c.mechanism, "kafkajs")] = (
                (False, r["error"]) if "error" in r else judged(c, "kafkajs", r["got"]))
        return out

    rows = run_clients({
        "librdkafka": per_cell("librdkafka", librdkafka_round_trip),
        "kcat": per_cell("kcat", kcat_round_trip),
        "kafkajs": kafkajs,
        "kafka-python": per_cell("kafka-python", kafka_python_round_trip),
    })
    order = [(c.listener, c.mechanism) for c in cells(b)]
    report("produce + consume", ["listener", "mechanism", "client", "", "detail"],
           sorted_rows(rows, lambda r: (order.index(r[:2]) if r[:2] in order else -1,
                                        CLIENTS.index(r[2]) if len(r) > 2 else -1)))
    check_eq(len(rows), 28, "cells run")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
