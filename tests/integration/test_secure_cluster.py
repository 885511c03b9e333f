#!/usr/bin/python3
"""A three-node cluster whose every listener is SASL_SSL (issue 13): each `eddy broker` process on
loopback is a broker and a controller with a client listener CLIENT, an inter-broker listener
INTERNAL and a controller listener CONTROLLER, all SASL_SSL, certificates made by the test with
the openssl CLI. The nodes authenticate to each other with PLAIN (JAAS users, as Kafka operators
bootstrap: SCRAM credentials live in the metadata log) as User:broker, a super user under the
StandardAuthorizer with allow.everyone.if.no.acl.found=false, so every ClusterAction check
(Raft, registration, heartbeats, AlterPartition, replica fetches) runs against that principal.

Shown: the quorum forms over SASL_SSL; a SCRAM-SHA-512 user made through the cluster produces
with acks=all to a topic with replication factor 3 and consumes everything back with librdkafka
over SASL_SSL; the partition's leader is SIGKILLed and produce/consume still work (the followers
replicated over SASL_SSL); a node restarted with a wrong inter-broker password logs why it
cannot replicate, the leader logs the refused login, and the cluster keeps serving."""
import socket
import ssl
import struct
import subprocess

from confluent_kafka.admin import AdminClient, NewTopic

import harness as h
from harness import check, check_eq

PKI = h.Pki("eddy-secure-pki-")
path = PKI.path
WAIT = 60
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule required"
BROKER_PASSWORD = "broker-secret"
ADMIN_PASSWORD = "admin-secret"
ALICE_PASSWORD = "alice=512,secret"


def make_pki():
    """One CA; one certificate for 127.0.0.1 that every node serves and dials with."""
    PKI.ca("ca", "/CN=eddy-secure-cluster-ca")
    PKI.leaf("node", "/CN=eddy-node", "ca", "IP:127.0.0.1,DNS:localhost")
    PKI.keystore("node", "keystore.pem")


def node_jaas(password):
    """The nodes' own PLAIN login (username/password) and the users their listener accepts."""
    return (f'{PLAIN_MODULE} username="broker" password="{password}" '
            f'user_broker="{BROKER_PASSWORD}";')


class SecureBroker(h.Broker):
    """A node whose client port speaks TLS: readiness is ApiVersions over TLS (served before a
    SASL connection authenticates)."""

    def probe(self):
        tls_api_versions(self.port)


def tls_api_versions(port):
    ctx = ssl.create_default_context(cafile=path("ca.pem"))
    with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            client = b"probe"
            req = struct.pack(">hhih", 18, 0, 7, len(client)) + client  # ApiVersions v0
            s.sendall(struct.pack(">i", len(req)) + req)
            size = struct.unpack(">i", h._recv_exact(s, 4))[0]
            body = h._recv_exact(s, size)
            corr, error = struct.unpack(">ih", body[:6])
            check(corr == 7 and error == 0, f"ApiVersions over TLS: corr {corr} error {error}")


class Cluster:
    nodes = []


def node(i):
    return Cluster.nodes[i - 1]


def configure(n, i, voters, internal_port, inter_broker_password=BROKER_PASSWORD):
    n.overrides.update({
        "node.id": str(i), "controller.quorum.voters": voters,
        "process.roles": "broker,controller",
        "listeners": (f"CLIENT://127.0.0.1:{n.port},INTERNAL://127.0.0.1:{internal_port},"
                      f"CONTROLLER://127.0.0.1:{n.controller_port}"),
        "listener.security.protocol.map": "CLIENT:SASL_SSL,INTERNAL:SASL_SSL,CONTROLLER:SASL_SSL",
        "inter.broker.listener.name": "INTERNAL",
        "controller.listener.names": "CONTROLLER",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
        "listener.name.internal.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.client.plain.sasl.jaas.config":
            f'{PLAIN_MODULE} user_admin="{ADMIN_PASSWORD}";',
        "listener.name.internal.plain.sasl.jaas.config": node_jaas(inter_broker_password),
        "listener.name.controller.plain.sasl.jaas.config": node_jaas(BROKER_PASSWORD),
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": path("keystore.pem"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": path("ca.pem"),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:broker;User:admin",
        "allow.everyone.if.no.acl.found": "false",
        "default.replication.factor": "3",
        "offsets.topic.replication.factor": "3",
        "broker.session.timeout.ms": "4000",
        "broker.heartbeat.interval.ms": "500",
        "replica.lag.time.max.ms": "4000",
        "controller.quorum.election.timeout.ms": "1000",
        "controller.quorum.fetch.timeout.ms": "2000",
    })


def setup():
    make_pki()
    nodes = [SecureBroker(f"secure-{i}") for i in range(1, 4)]
    internal = h.free_ports(3)
    voters = ",".join(f"{i}@127.0.0.1:{n.controller_port}" for i, n in enumerate(nodes, 1))
    for i, n in enumerate(nodes, 1):
        n.internal_port = internal[i - 1]
        configure(n, i, voters, n.internal_port)
    Cluster.nodes = nodes
    Cluster.voters = voters
    for n in nodes:
        n.launch()
    for n in nodes:
        n.wait_ready(WAIT)
    return nodes[0]


def client_conf(n, user="admin", password=ADMIN_PASSWORD, mechanism="PLAIN", **extra):
    conf = {"bootstrap.servers": f"127.0.0.1:{n.port}",
            "broker.address.family": "v4", "socket.timeout.ms": 10000,
            "security.protocol": "SASL_SSL", "ssl.ca.location": path("ca.pem"),
            "sasl.mechanism": mechanism, "sasl.username": user, "sasl.password": password}
    conf.update(extra)
    return conf


def alice_conf(n, **extra):
    return client_conf(n, "alice", ALICE_PASSWORD, "SCRAM-SHA-512", **extra)


def live():
    return [n for n in Cluster.nodes if n.proc is not None]


def eddy_cli(args, n):
    props = path("admin.properties")
    with open(props, "w") as f:
        f.write(f"security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.username=admin\n"
                f"sasl.password={ADMIN_PASSWORD}\nssl.ca.location={path('ca.pem')}\n")
    p = subprocess.run([h._args.eddy] + args + ["-b", f"127.0.0.1:{n.port}",
                                                "--command-config", props],
                       capture_output=True, timeout=60)
    check(p.returncode == 0, f"eddy {' '.join(args)}: exit {p.returncode}, "
                             f"{p.stderr.decode(errors='replace')}")
    return p.stdout.decode()


def partition(a, topic):
    return a.list_topics(topic, timeout=5).topics[topic].partitions.get(0)


def produce(conf, topic, values):
    h.produce_values(dict(conf, **{"message.timeout.ms": 30000}), topic, values, timeout=40,
                     what="produce over SASL_SSL")


def consume(conf, topic, count):
    # Errors are skipped: after a leader change librdkafka reports and retries.
    return h.consume_values(conf, topic, count, 30, group=h.unique("secure-reader"),
                            skip_errors=True, what="consume over SASL_SSL")


def log_of(n):
    return "".join(open(p, errors="replace").read() for p in n.log_paths)


TOPIC = h.unique("secure-rf3")
FIRST = [f"before-{i}" for i in range(30)]
SECOND = [f"after-{i}" for i in range(30)]


def test_quorum_forms_over_sasl_ssl():
    a = AdminClient(client_conf(node(1)))
    h.wait_until(lambda: sorted(a.list_topics(timeout=5).brokers) == [1, 2, 3], WAIT,
                 "three brokers registered over the SASL_SSL controller listener")
    out = eddy_cli(["cluster", "quorum"], node(2))
    for i in (1, 2, 3):
        check(f"{i}" in out, f"voter {i} in `eddy cluster quorum`:\n{out}")
    for n in Cluster.nodes:
        log = log_of(n)
        check("SASL authentication failed" not in log, f"{n.name} refused a login:\n{log[-3000:]}")
        check("TLS handshake" not in log, f"{n.name} logged a failed TLS handshake")


def test_scram_user_produces_and_consumes_rf3_with_acks_all():
    # The client's SCRAM user, set through the cluster by a PLAIN super user; ACLs let it in.
    eddy_cli(["user", "set-password", "alice", "--mechanism", "SCRAM-SHA-512",
              "--password", ALICE_PASSWORD], node(1))
    eddy_cli(["acl", "add", "--allow-principal", "User:alice", "--topic", "secure-",
              "--group", "secure-", "--resource-pattern-type", "prefixed"], node(1))
    a = AdminClient(client_conf(node(1)))
    a.create_topics([NewTopic(TOPIC, 1, 3)], operation_timeout=10)[TOPIC].result(20)

    def full_isr():
        p = partition(a, TOPIC)
        return p is not None and p.error is None and sorted(p.isrs) == [1, 2, 3]
    h.wait_until(full_isr, WAIT, f"{TOPIC}-0 with three replicas in sync")
    # The credential reaches every node's metadata image shortly after the controller commits it.
    h.wait_until(lambda: AdminClient(alice_conf(node(3))).list_topics(TOPIC, timeout=5)
                 .topics[TOPIC].error is None, 20, "alice authenticated with SCRAM-SHA-512")
    produce(alice_conf(node(1)), TOPIC, FIRST)
    check_eq(consume(alice_conf(node(1)), TOPIC, len(FIRST)), FIRST, "consumed back over SASL_SSL")


def test_leader_killed_produce_and_consume_still_work():
    a = AdminClient(client_conf(node(1)))
    leader = partition(a, TOPIC).leader
    check(leader in (1, 2, 3), f"a leader: {leader}")
    node(leader).kill()
    Cluster.killed = leader
    survivor = next(n for n in live())
    a = AdminClient(client_conf(survivor))

    def moved():
        p = partition(a, TOPIC)
        return p is not None and p.error is None and p.leader not in (-1, leader) and \
            leader not in p.isrs
    h.wait_until(moved, WAIT, f"{TOPIC}-0 led by another node, {leader} out of the ISR")
    produce(alice_conf(survivor), TOPIC, SECOND)
    check_eq(consume(alice_conf(survivor), TOPIC, len(FIRST) + len(SECOND)), FIRST + SECOND,
             "every record after the failover (replicated over SASL_SSL)")


def test_wrong_inter_broker_password_is_refused_and_the_cluster_keeps_serving():
    killed = node(Cluster.killed)
    survivors = live()
    # Restarted with a wrong password for its inter-broker login (its controller login is right,
    # so it rejoins the quorum and registers): it cannot fetch from the leader.
    configure(killed, Cluster.killed, Cluster.voters, killed.internal_port,
              inter_broker_password="wrong-password")
    killed.launch()
    killed.wait_ready(WAIT)

    def refused():
        return "replica fetcher: cannot connect to broker" in log_of(killed) and \
            "SASL_AUTHENTICATION_FAILED" in log_of(killed)
    h.wait_until(refused, WAIT, f"{killed.name} logs its refused inter-broker login")
    h.wait_until(lambda: any("SASL authentication failed from 127.0.0.1" in log_of(n)
                             for n in survivors), 20, "the leader logs the refused login")
    a = AdminClient(client_conf(survivors[0]))
    p = partition(a, TOPIC)
    check(Cluster.killed not in p.isrs, f"{killed.name} is not in the ISR: {p.isrs}")
    third = [f"still-{i}" for i in range(10)]
    produce(alice_conf(survivors[0]), TOPIC, third)
    check_eq(consume(alice_conf(survivors[0]), TOPIC, len(FIRST) + len(SECOND) + len(third)),
             FIRST + SECOND + third, "the cluster keeps serving")
    for n in Cluster.nodes:
        n.stop()


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
