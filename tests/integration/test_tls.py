#!/usr/bin/python3
"""TLS listeners of a real eddy broker (issue 13): certificates made by the test with the openssl
CLI; one broker with a PLAINTEXT listener, an SSL listener and a second SSL listener named MTLS
whose per-listener override (listener.name.mtls.ssl.client.auth=required) asks for client
certificates; the server key is encrypted (ssl.key.password). Driven by python3-confluent-kafka
(librdkafka), kcat, and eddy's own CLI with --command-config. Also: an untrusted or missing client
certificate is refused on the mTLS listener, a plaintext client on the SSL port fails cleanly and
the broker keeps serving, a replaced keystore file is served to new connections without a
restart, and configurations this build cannot honour (GSSAPI between brokers, a missing keystore,
JKS) are refused at start with one line."""
import os
import socket
import subprocess

from confluent_kafka.admin import AdminClient, NewTopic

import harness as h
from harness import check, check_eq

PKI = h.Pki("tls")
path = PKI.path
KEY_PASSWORD = "k3y-pass"
openssl, make_ca, make_leaf = h.openssl, PKI.make_ca, PKI.make_leaf


def server_keystore(name, out):
    PKI.keystore(name, out, key_password=KEY_PASSWORD)


def make_pki():
    PKI.make_ca("ca", "/CN=eddy-test-ca")
    PKI.make_leaf("server", "/CN=broker-1", "ca", "IP:127.0.0.1,DNS:localhost")
    PKI.make_leaf("server2", "/CN=broker-1-renewed", "ca", "IP:127.0.0.1,DNS:localhost")
    PKI.make_leaf("alice", "/O=acme/OU=eng/CN=alice", "ca")
    PKI.make_ca("evil-ca", "/CN=someone-else")
    PKI.make_leaf("mallory", "/CN=mallory", "evil-ca")
    server_keystore("server", path("keystore.pem"))


def setup():
    make_pki()
    ssl_port, mtls_port = h.free_ports(2)
    b = h.Broker("tls")
    b.ssl_port, b.mtls_port = ssl_port, mtls_port
    b.overrides.update({
        "listeners": (f"PLAINTEXT://127.0.0.1:{b.port},SSL://127.0.0.1:{ssl_port},"
                      f"MTLS://127.0.0.1:{mtls_port},CONTROLLER://127.0.0.1:{b.controller_port}"),
        "listener.security.protocol.map":
            "PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,CONTROLLER:PLAINTEXT",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": path("keystore.pem"),
        "ssl.key.password": KEY_PASSWORD,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": path("ca.pem"),
        # Kafka's per-listener prefix uses the lower-cased listener name.
        "listener.name.mtls.ssl.client.auth": "required",
    })
    return b.start()


def ssl_conf(port, cert=None, **extra):
    conf = {"bootstrap.servers": f"127.0.0.1:{port}", "broker.address.family": "v4",
            "socket.timeout.ms": 10000, "security.protocol": "SSL",
            "ssl.ca.location": path("ca.pem")}
    if cert:
        conf["ssl.certificate.location"] = path(f"{cert}.pem")
        conf["ssl.key.location"] = path(f"{cert}.key")
    conf.update(extra)
    return conf


def create_topic(conf, name, partitions=1):
    a = AdminClient(conf)
    a.create_topics([NewTopic(name, partitions, 1)], operation_timeout=10)[name].result(15)
    h.wait_until(lambda: a.list_topics(name, timeout=5).topics[name].error is None, 10,
                 f"topic {name} in metadata")


def produce(conf, topic, values):
    h.produce_values(conf, topic, values, what="produce over TLS")


def consume(conf, topic, count, timeout=20.0):
    return h.consume_values(conf, topic, count, timeout, group="tls-reader",
                            what="consume over TLS")


def test_confluent_produce_consume_over_ssl(b):
    conf = ssl_conf(b.ssl_port)
    t = h.unique("tls-cf")
    create_topic(conf, t)
    values = [f"secret-{i}" for i in range(50)]
    produce(conf, t, values)
    check_eq(consume(conf, t, len(values)), values, "records read back over TLS")
    # Metadata over the SSL listener advertises the SSL listener (the client stays on TLS).
    md = AdminClient(conf).list_topics(t, timeout=10)
    check_eq([(x.host, x.port) for x in md.brokers.values()], [("127.0.0.1", b.ssl_port)],
             "brokers advertised on the SSL listener")


def kcat_ssl(port, *args, cert=None, input=None, check_rc=True):
    # -m: how long a metadata request may take; a refused client fails after it.
    cmd = ["kcat", "-b", f"127.0.0.1:{port}", "-X", "broker.address.family=v4",
           "-m", "10" if check_rc else "4",
           "-X", "security.protocol=ssl", "-X", f"ssl.ca.location={path('ca.pem')}"]
    if cert:
        cmd += ["-X", f"ssl.certificate.location={path(cert + '.pem')}",
                "-X", f"ssl.key.location={path(cert + '.key')}"]
    p = subprocess.run(cmd + list(args), input=input, capture_output=True, timeout=60)
    if check_rc:
        check(p.returncode == 0, f"{' '.join(cmd + list(args))} exited {p.returncode}: "
                                 f"{p.stderr.decode(errors='replace')[-2000:]}")
    return p


def test_kcat_over_ssl(b):
    t = h.unique("tls-kcat")
    create_topic(ssl_conf(b.ssl_port), t)
    kcat_ssl(b.ssl_port, "-P", "-t", t, input=b"one\ntwo\nthree\n")
    out = kcat_ssl(b.ssl_port, "-C", "-t", t, "-o", "beginning", "-e", "-c", "3").stdout
    check_eq(out.decode().split(), ["one", "two", "three"], "kcat read back over TLS")


def test_mtls_listener_accepts_a_trusted_client_certificate(b):
    conf = ssl_conf(b.mtls_port, cert="alice")
    t = h.unique("tls-mtls")
    create_topic(conf, t)
    produce(conf, t, ["from alice"])
    check_eq(consume(conf, t, 1), ["from alice"], "read back over mTLS")
    kcat_ssl(b.mtls_port, "-P", "-t", t, cert="alice", input=b"kcat alice\n")
    out = kcat_ssl(b.mtls_port, "-C", "-t", t, "-o", "beginning", "-e", "-c", "2", cert="alice")
    check_eq(out.stdout.decode().splitlines(), ["from alice", "kcat alice"], "kcat over mTLS")


def test_mtls_listener_refuses_untrusted_and_missing_client_certificates(b):
    for cert in ("mallory", None):
        p = kcat_ssl(b.mtls_port, "-L", cert=cert, check_rc=False)
        check(p.returncode != 0, f"kcat -L with client cert {cert} succeeded on the mTLS port")
        a = AdminClient(ssl_conf(b.mtls_port, cert=cert))
        try:
            a.list_topics(timeout=3)
            raise h.TestFailure(f"librdkafka with client cert {cert} got metadata on mTLS")
        except h.TestFailure:
            raise
        except Exception:  # noqa: BLE001 - the expected KafkaException (transport failure)
            pass
    log = open(b.log_paths[-1], errors="replace").read()
    check("listener MTLS: TLS handshake with" in log, "the broker logs the refused handshakes")
    # The plain SSL listener does not ask for a certificate: mallory's is never looked at there.
    check_eq(kcat_ssl(b.ssl_port, "-L").returncode, 0, "kcat -L on the SSL listener")


def test_plaintext_client_on_the_ssl_port_fails_cleanly(b):
    # A raw Kafka ApiVersions request on the TLS port: the broker answers with at most an alert
    # and closes; no Kafka response comes back.
    s = socket.create_connection(("127.0.0.1", b.ssl_port), timeout=5)
    s.sendall(bytes([0, 0, 0, 14, 0, 18, 0, 0, 0, 0, 0, 1, 0, 4]) + b"kcat")
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    s.close()
    check(len(data) < 64 and (not data or data[0] == 0x15),
          f"a plaintext client got {data[:32]!r}, expected at most a TLS alert")
    # A real plaintext client (kcat without TLS) fails instead of hanging.
    p = subprocess.run(["kcat", "-b", f"127.0.0.1:{b.ssl_port}", "-X", "broker.address.family=v4",
                        "-m", "5", "-L"], capture_output=True, timeout=60)
    check(p.returncode != 0, "kcat in plaintext on the SSL port succeeded")
    # The broker is alive and serves both kinds of client.
    check(b.proc.poll() is None, "the broker exited")
    h.api_versions(b.port)
    check_eq(kcat_ssl(b.ssl_port, "-L").returncode, 0, "kcat -L over TLS after the bad clients")


def eddy(args, *more, check_rc=True, input=None):
    p = subprocess.run([h._args.eddy] + list(args) + list(more), capture_output=True,
                       input=input, timeout=60)
    if check_rc:
        check(p.returncode == 0, f"eddy {' '.join(args + list(more))} exited {p.returncode}: "
                                 f"{h.clean_stderr(p.stderr.decode(errors='replace'))}")
    return p


def write_props(name, text):
    f = path(name)
    with open(f, "w") as out:
        out.write(text)
    return f


def test_eddy_cli_with_command_config(b):
    ssl_props = write_props("client-ssl.properties",
                            "security.protocol=SSL\n"
                            f"ssl.ca.location={path('ca.pem')}\n")
    mtls_props = write_props("client-mtls.properties",
                             "security.protocol=SSL\n"
                             f"ssl.ca.location={path('ca.pem')}\n"
                             f"ssl.certificate.location={path('alice.pem')}\n"
                             f"ssl.key.location={path('alice.key')}\n")
    t = h.unique("tls-cli")
    for port, props in ((b.ssl_port, ssl_props), (b.mtls_port, mtls_props)):
        conn = ["-b", f"127.0.0.1:{port}", "--command-config", props]
        topic = f"{t}-{port}"
        eddy(["topic", "create", topic, "-p", "2"] + conn)
        listed = eddy(["topic", "list"] + conn).stdout.decode()
        check(topic in listed, f"eddy topic list over TLS lists {topic}: {listed!r}")
        eddy(["produce", topic, "-p", "0"] + conn, input=b"a\nb\nc\n")
        out = eddy(["consume", topic, "-p", "0", "-n", "3"] + conn).stdout.decode()
        check_eq(out.split(), ["a", "b", "c"], "eddy consume over TLS")
    # Without --command-config the CLI speaks plaintext: the TLS port refuses it.
    p = eddy(["topic", "list", "-b", f"127.0.0.1:{b.ssl_port}", "--timeout-ms", "3000"],
             check_rc=False)
    check(p.returncode != 0, "eddy topic list in plaintext on the SSL port succeeded")
    # An untrusted CA in the command config: a clear TLS error, not a hang.
    bad = write_props("client-bad.properties",
                      f"security.protocol=SSL\nssl.ca.location={path('evil-ca.pem')}\n")
    p = eddy(["topic", "list", "-b", f"127.0.0.1:{b.ssl_port}", "--command-config", bad,
              "--timeout-ms", "3000"], check_rc=False)
    err = p.stderr.decode(errors="replace")
    check(p.returncode != 0 and "certificate verify failed" in err,
          f"untrusted server certificate: exit {p.returncode}, stderr {err!r}")
    sasl = write_props("client-sasl.properties", "security.protocol=SASL_SSL\n")
    p = eddy(["topic", "list", "-b", f"127.0.0.1:{b.ssl_port}", "--command-config", sasl],
             check_rc=False)
    check(p.returncode != 0 and "SASL_SSL needs sasl.username and sasl.password" in
          p.stderr.decode(), f"SASL without credentials in the command config: {p.stderr!r}")


def server_subject(port):
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                        path("ca.pem")], input=b"", capture_output=True, timeout=30)
    for line in p.stdout.decode(errors="replace").splitlines():
        if line.startswith("subject="):
            return line[len("subject="):].strip()
    return None


def test_keystore_replaced_without_restart(b):
    check_eq(server_subject(b.ssl_port), "CN = broker-1", "the server certificate before")
    server_keystore("server2", path("keystore.pem"))
    # The files are checked at most once a second, when a connection is accepted.
    h.wait_until(lambda: server_subject(b.ssl_port) == "CN = broker-1-renewed", 10,
                 "the renewed certificate on new connections")
    conf = ssl_conf(b.ssl_port)
    t = h.unique("tls-reloaded")
    create_topic(conf, t)
    produce(conf, t, ["after the reload"])
    check_eq(consume(conf, t, 1), ["after the reload"], "served with the renewed certificate")


def test_replication_and_the_quorum_over_ssl_inter_broker_and_controller_listeners():
    """Two nodes whose inter-broker and controller listeners are SSL: followers fetch, and the
    quorum, registrations and heartbeats run, over TLS, with host name verification (the
    certificate names 127.0.0.1) and the keystore as the client certificate."""
    nodes = [h.Broker(f"tls-ib-{i}") for i in (1, 2)]
    internal = h.free_ports(2)
    voters = ",".join(f"{i}@127.0.0.1:{n.controller_port}" for i, n in enumerate(nodes, 1))
    for i, n in enumerate(nodes, 1):
        n.overrides.update({
            "node.id": str(i), "controller.quorum.voters": voters,
            "listeners": (f"PLAINTEXT://127.0.0.1:{n.port},INTERNAL://127.0.0.1:{internal[i - 1]},"
                          f"CONTROLLER://127.0.0.1:{n.controller_port}"),
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:SSL,CONTROLLER:SSL",
            "inter.broker.listener.name": "INTERNAL",
            "ssl.keystore.location": path("keystore.pem"),
            "ssl.key.password": KEY_PASSWORD,
            "ssl.truststore.location": path("ca.pem"),
            "ssl.client.auth": "required",
            "offsets.topic.replication.factor": "2",
            "broker.session.timeout.ms": "4000",
            "broker.heartbeat.interval.ms": "500",
        })
    for n in nodes:
        n.launch()
    for n in nodes:
        n.wait_ready(60)
    conf = h.confluent_conf(nodes[0])
    a = AdminClient(conf)
    t = h.unique("tls-repl")
    h.wait_until(lambda: len(a.list_topics(timeout=5).brokers) == 2, 30, "both brokers registered")
    a.create_topics([NewTopic(t, 1, 2)], operation_timeout=10)[t].result(15)

    def full_isr():
        p = a.list_topics(t, timeout=5).topics[t].partitions.get(0)
        return p is not None and p.error is None and sorted(p.isrs) == [1, 2]
    h.wait_until(full_isr, 30, f"{t}-0 with both replicas in sync")
    values = [f"replicated-{i}" for i in range(20)]
    produce(conf, t, values)  # acks=all: both replicas have them

    def replicated(n):
        d = os.path.join(n.data_dir, f"{t}-0")
        return any(f.endswith(".log") and os.path.getsize(os.path.join(d, f)) > 0
                   for f in os.listdir(d))
    h.wait_until(lambda: all(replicated(n) for n in nodes), 30, "the records on both nodes")
    for n in nodes:  # before any stops: a node shutting down cuts handshakes short
        log = open(n.log_paths[-1], errors="replace").read()
        check("TLS handshake" not in log, f"node {n.name} logged a failed TLS handshake")
    for n in nodes:
        n.stop()


def refused_start(overrides):
    ports = h.free_ports(2)
    ov = {"listeners": f"SSL://127.0.0.1:{ports[0]},CONTROLLER://127.0.0.1:{ports[1]}"}
    ov.update(overrides)
    return h.refused_start("tls", ov)

def test_what_this_build_cannot_honour_is_refused_at_start():
    rc, err = refused_start({"listener.security.protocol.map": "SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
                             "sasl.enabled.mechanisms": "PLAIN"})
    check_eq((rc, err), (2, "eddy broker: listener SSL uses SASL_SSL: "
                            "sasl.mechanism.inter.broker.protocol is 'GSSAPI'; Eddy's nodes "
                            "authenticate with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512\n"),
             "a SASL_SSL inter-broker listener with Kafka's default mechanism, GSSAPI")
    rc, err = refused_start({"ssl.keystore.location": path("missing.pem")})
    check(rc == 2 and err.startswith("eddy broker: listener SSL: cannot read keystore")
          and "missing.pem" in err, f"a missing keystore: {rc} {err!r}")
    rc, err = refused_start({})
    check(rc == 2 and "needs a certificate" in err, f"no keystore at all: {rc} {err!r}")
    rc, err = refused_start({"ssl.keystore.location": path("keystore.pem")})
    check(rc == 2 and "ssl.key.password" in err, f"an encrypted key without password: {err!r}")
    rc, err = refused_start({"ssl.keystore.type": "JKS"})
    check(rc == 2 and "JKS" in err, f"JKS: {rc} {err!r}")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
