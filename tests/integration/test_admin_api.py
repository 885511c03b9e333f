"""The HTTP admin API of real `eddy broker` processes (issue 14): /metrics parsed with the
Prometheus client's own text-format parser (python3-prometheus-client) moves by exactly what
librdkafka produced and by what it consumed, a group that stopped consuming shows its lag,
/v1/health and /v1/ready follow a node through start-up (live before it serves, ready once the
quorum has formed) and through being fenced (SIGSTOP past the session timeout) and recovering,
/v1/cluster shows the fencing, and the HTTP limits hold on a real socket (oversized header,
pipelined requests, a slow client closed).

Secured (admin.listener https://…, admin.ssl.* keys, admin.authentication.method=BASIC with SCRAM
users from --add-scram): python's ssl and curl with the test CA get answers, plain HTTP on the TLS
port fails cleanly and the broker keeps serving, Basic credentials right/wrong/missing give
200/401/401 (with the challenge), /v1/ready answers without any, a scrape with credentials parses;
a missing admin certificate is refused at start with one line and exit status 2."""
import base64
import http.client
import json
import re
import signal
import socket
import ssl
import subprocess
import time

from confluent_kafka import Consumer, Producer
from prometheus_client.parser import text_string_to_metric_families

import harness as h
from harness import check, check_eq


def scrape(b):
    """{(name, frozenset(labels)): value} of every sample on b's /metrics."""
    status, text = b.admin_get("/metrics")
    check_eq(status, 200, "/metrics status")
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(m, name, **labels):
    return m.get((name, frozenset(labels.items())), 0.0)


def setup():
    return h.Broker("admin", {"group.initial.rebalance.delay.ms": "0"}).start()


def test_metrics_move_with_produce_and_fetch_and_lag_appears(b):
    t = h.unique("adm")
    h.create_topics(b, t)
    before = scrape(b)
    check_eq(value(before, "kafka_server_brokertopicmetrics_messagesin_total", topic=t), 0.0,
             "messages in before producing")
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 5, "acks": "all"})
    for i in range(50):
        p.produce(t, b"v" * 100, key=str(i).encode())
    check_eq(p.flush(30), 0, "records left unflushed")
    after = scrape(b)
    check_eq(value(after, "kafka_server_brokertopicmetrics_messagesin_total", topic=t), 50.0,
             "messages in for the topic")
    check(value(after, "kafka_server_brokertopicmetrics_messagesin_total") >= 50,
          "broker-wide messages in")
    bytes_in = value(after, "kafka_server_brokertopicmetrics_bytesin_total", topic=t)
    check(50 * 100 <= bytes_in <= 50 * 200, f"bytes in for 50 records of 100 bytes: {bytes_in}")
    check(value(after, "kafka_network_requestmetrics_requests_total", request="Produce") >= 1,
          "Produce requests counted")
    check(value(after, "eddy_produce_durable_latency_seconds_count") >= 1,
          "produce-to-durable latencies observed")
    check_eq(value(after, "kafka_log_log_size", topic=t, partition="0"), bytes_in,
             "the log's size is the batches produced")

    g = h.unique("adm-group")
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": g, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.subscribe([t])
    got = 0
    deadline = time.monotonic() + 30
    while got < 50 and time.monotonic() < deadline:
        msg = c.poll(0.5)
        if msg is not None and msg.error() is None:
            got += 1
    check_eq(got, 50, "records consumed")
    c.commit(asynchronous=False)
    c.close()
    consumed = scrape(b)
    check_eq(value(consumed, "kafka_server_brokertopicmetrics_bytesout_total", topic=t), bytes_in,
             "bytes out: every batch sent to the consumer once")
    check_eq(value(consumed, "kafka_consumergroup_lag", consumergroup=g, topic=t, partition="0"),
             0.0, "lag after consuming everything")

    # The group stopped consuming: 30 more records are its lag.
    for i in range(30):
        p.produce(t, b"w" * 100)
    check_eq(p.flush(30), 0, "records left unflushed")
    lagging = scrape(b)
    check_eq(value(lagging, "kafka_consumergroup_lag", consumergroup=g, topic=t, partition="0"),
             30.0, "lag of the stopped group")
    check_eq(value(lagging, "kafka_consumergroup_current_offset", consumergroup=g, topic=t,
                   partition="0"), 50.0, "the group's committed offset")


def test_health_ready_cluster_config_and_errors(b):
    status, body = b.admin_get("/v1/health")
    check_eq(status, 200, "/v1/health")
    check_eq(json.loads(body)["status"], "live", "/v1/health body")
    status, body = b.admin_get("/v1/ready")
    check_eq((status, json.loads(body)["ready"]), (200, True), "/v1/ready of a serving node")
    status, body = b.admin_get("/v1/cluster")
    cluster = json.loads(body)
    check_eq(status, 200, "/v1/cluster")
    check_eq([x["id"] for x in cluster["brokers"]], [1], "brokers")
    check_eq(cluster["controller"]["leader"], 1, "the active controller")
    status, body = b.admin_get("/v1/config")
    check_eq(status, 200, "/v1/config")
    check_eq(json.loads(body)["log.dirs"], b.data_dir, "log.dirs in the config")
    check_eq(b.admin_get("/nothing-here")[0], 404, "unknown path")


def raw_exchange(b, data, read_until_close=True, timeout=5):
    with socket.create_connection(("127.0.0.1", b.admin_port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                x = s.recv(65536)
                if not x:
                    break
                chunks.append(x)
                if not read_until_close:
                    break
        except socket.timeout:
            pass
        return b"".join(chunks)


def test_http_limits_on_a_real_socket(b):
    # Pipelined: three requests in one write, three answers in order, then close.
    out = raw_exchange(b, b"GET /v1/health HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n"
                          b"GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n")
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", out)
    check_eq(statuses, [b"200", b"404", b"200"], "pipelined answers in order")
    # A header of 64 kB: 431, then the connection closes.
    out = raw_exchange(b, b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 431"), f"oversized header answer: {out[:60]!r}")
    # Garbage: 400.
    out = raw_exchange(b, b"\x00\x01\x02 nonsense\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 400"), f"garbage answer: {out[:60]!r}")
    # The broker still serves Kafka clients and the admin API afterwards.
    check_eq(b.admin_get("/v1/health")[0], 200, "/v1/health after bad input")
    check(h.api_versions(b.port), "ApiVersions after bad admin input")


def test_ready_follows_startup_fencing_and_recovery():
    nodes, _ = h.kraft_cluster("admin-cluster", 3, {
        "default.replication.factor": "3",
        "broker.session.timeout.ms": "3000",
        "broker.heartbeat.interval.ms": "300",
        "controller.quorum.election.timeout.ms": "1000",
        "controller.quorum.fetch.timeout.ms": "2000"})
    try:
        # One node of three: live, not ready (no quorum, so it cannot register).
        nodes[0].launch()
        h.wait_until(lambda: nodes[0].admin_get("/v1/health", 1)[0] == 200, 30,
                     "node 1 answers /v1/health before the cluster exists")
        status, body = nodes[0].admin_get("/v1/ready")
        check_eq(status, 503, f"/v1/ready of a node without a quorum: {body}")
        for n in nodes[1:]:
            n.launch()
        for n in nodes:
            h.wait_until(lambda n=n: n.admin_get("/v1/ready", 1)[0] == 200, 60,
                         f"{n.name} ready once the quorum has formed")

        def fenced(observer, node_id):
            cluster = json.loads(observer.admin_get("/v1/cluster")[1])
            return {x["id"]: x["fenced"] for x in cluster["brokers"]}.get(node_id)

        h.wait_until(lambda: fenced(nodes[0], 3) is False, 30, "node 3 unfenced")
        # SIGSTOP node 3 past the session timeout: the controller fences it.
        nodes[2].proc.send_signal(signal.SIGSTOP)
        try:
            h.wait_until(lambda: fenced(nodes[0], 3) is True, 30, "node 3 fenced while stopped")
        finally:
            nodes[2].proc.send_signal(signal.SIGCONT)
        h.wait_until(lambda: fenced(nodes[0], 3) is False, 30, "node 3 unfenced after SIGCONT")
        h.wait_until(lambda: nodes[2].admin_get("/v1/ready", 1)[0] == 200, 30,
                     "node 3 ready again")
        m = scrape(nodes[0])
        check_eq(sum(value(scrape(n), "kafka_controller_kafkacontroller_activecontrollercount")
                     for n in nodes), 1.0, "exactly one active controller")
        check(value(m, "kafka_server_replicamanager_partitioncount") >= 0, "partition count")
    finally:
        for n in nodes:
            if n.proc is not None:
                n.stop()


# ------------------------------------------------------------------ TLS and Basic authentication

PKI = None
SCRAM_USERS = {"prom": "prom-secret", "ops": "ops:pass"}  # SCRAM-SHA-256, SCRAM-SHA-512


def secure_broker():
    """A broker whose admin API serves https with Basic authentication (started once)."""
    global PKI
    if PKI is None:
        PKI = h.Pki("admin")
        PKI.make_ca("ca", "/CN=eddy-admin-test-ca")
        PKI.make_leaf("admin", "/CN=broker-admin", "ca", "IP:127.0.0.1,DNS:localhost")
        PKI.keystore("admin", "admin-keystore.pem", key_password="adm1n")
        b = h.Broker("admin-secure", {
            "admin.ssl.keystore.location": PKI.path("admin-keystore.pem"),
            "admin.ssl.key.password": "adm1n",
            "admin.authentication.method": "BASIC"})
        b.overrides["admin.listener"] = f"https://127.0.0.1:{b.admin_port}"
        b.args = ["--add-scram", f"SCRAM-SHA-256=[name=prom,password={SCRAM_USERS['prom']}]",
                  "--add-scram", f'SCRAM-SHA-512=[name=ops,password="{SCRAM_USERS["ops"]}"]']
        secure_broker.b = b.start()
    return secure_broker.b


def https_get(b, path, user=None, password=None, cafile=None):
    """(status, headers, body) of a GET on b's https admin API, verified with the test CA."""
    ctx = ssl.create_default_context(cafile=cafile or PKI.path("ca.pem"))
    conn = http.client.HTTPSConnection("127.0.0.1", b.admin_port, context=ctx, timeout=10)
    headers = {}
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        conn.close()


def test_https_admin_api_with_basic_authentication():
    b = secure_broker()
    check(f"admin API on https://127.0.0.1:{b.admin_port}" in b.stdout(),
          "the broker prints the https URL")
    # Probes carry no credentials.
    status, _, body = https_get(b, "/v1/ready")
    check_eq((status, json.loads(body)["ready"]), (200, True), "/v1/ready without credentials")
    check_eq(https_get(b, "/v1/health")[0], 200, "/v1/health without credentials")
    # Missing and wrong credentials: 401 with the challenge.
    status, headers, _ = https_get(b, "/metrics")
    check_eq(status, 401, "/metrics without credentials")
    check(headers.get("WWW-Authenticate", "").startswith('Basic realm="eddy"'),
          f"the challenge: {headers}")
    check_eq(https_get(b, "/metrics", "prom", "wrong")[0], 401, "a wrong password")
    check_eq(https_get(b, "/metrics", "nobody", "prom-secret")[0], 401, "an unknown user")
    # The right ones: a scrape that parses (SCRAM-SHA-256), the config (SCRAM-SHA-512).
    status, _, text = https_get(b, "/metrics", "prom", SCRAM_USERS["prom"])
    check_eq(status, 200, "/metrics with credentials")
    names = {f.name for f in text_string_to_metric_families(text)}
    check("kafka_server_replicamanager_partitioncount" in names, "the scrape parses")
    status, _, body = https_get(b, "/v1/config", "ops", SCRAM_USERS["ops"])
    check_eq((status, json.loads(body)["admin.ssl.key.password"]), (200, "[hidden]"),
             "/v1/config with credentials, the admin key's password hidden")
    # curl, as an operator would run it.
    p = subprocess.run(["curl", "-sS", "--cacert", PKI.path("ca.pem"), "-u",
                        f"prom:{SCRAM_USERS['prom']}", "-o", "/dev/null", "-w", "%{http_code}",
                        f"https://127.0.0.1:{b.admin_port}/v1/cluster"],
                       capture_output=True, timeout=20)
    check_eq((p.returncode, p.stdout), (0, b"200"), f"curl with the CA and -u: {p.stderr!r}")


def test_plain_http_and_untrusted_clients_fail_cleanly_on_the_tls_port():
    b = secure_broker()
    # Plain HTTP to the TLS port: no HTTP answer, the connection closes.
    with socket.create_connection(("127.0.0.1", b.admin_port), timeout=10) as s:
        s.sendall(b"GET /v1/ready HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        check(not data.startswith(b"HTTP/"), f"plain HTTP answered on the TLS port: {data!r}")
    # A client that does not trust the certificate fails its handshake.
    other = h.Pki("admin-other")
    other.make_ca("ca", "/CN=someone-else")
    try:
        https_get(b, "/v1/ready", cafile=other.path("ca.pem"))
        check(False, "a client with another CA completed the handshake")
    except ssl.SSLError:
        pass
    # The broker still serves both.
    check_eq(https_get(b, "/v1/ready")[0], 200, "/v1/ready after bad clients")
    check(h.api_versions(b.port), "ApiVersions after bad admin clients")


def test_missing_admin_certificate_is_refused_at_start():
    port = h.free_ports(1)[0]
    rc, err = h.refused_start("admin", {
        "admin.listener": f"https://127.0.0.1:{port}",
        "admin.ssl.keystore.location": "/nonexistent/admin-keystore.pem"})
    check(rc == 2 and err.count("\n") == 1 and
          err.startswith(f"eddy broker: admin.listener https://127.0.0.1:{port}: ") and
          "admin-keystore.pem" in err, f"a missing admin keystore: {rc} {err!r}")
    # A typo in an admin.ssl.* value is refused as the ssl.* key it overrides (as a
    # listener.name.<listener>.ssl.* value is).
    rc, err = h.refused_start("admin", {"admin.ssl.client.auth": "always"})
    check(rc == 2 and "ssl.client.auth: expected one of none, requested, required" in err,
          f"a bad admin.ssl.client.auth: {err!r}")

if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
