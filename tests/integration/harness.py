"""Integration test harness: runs a real `eddy broker` process and drives it with real clients.

Run by /usr/bin/python3 (Debian's python3-confluent-kafka and python3-kafka live there). Each
test script calls `main(globals())`, which runs its `test_*` functions in file order against a
broker started for the script, prints PASS/FAIL per test, prints the broker's stdout/stderr when
anything fails, and always kills the broker at the end.

    /usr/bin/python3 tests/integration/test_kcat.py --eddy build/eddy [-k NAME] [--keep]

The eddy binary comes from --eddy, else $EDDY_BIN (ctest passes $<TARGET_FILE:eddy>).
"""
import argparse
import ctypes
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

_args = None
_brokers = []


# ----------------------------------------------------------------------------------- utilities


class TestFailure(AssertionError):
    pass


def clean_stderr(text):
    """A tool's stderr without the line the sanitizer build's runtime prints at the first fiber
    switch ("==PID==WARNING: ASan doesn't fully support makecontext/swapcontext ...")."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if "doesn't fully support makecontext/swapcontext" not in line)


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def check_eq(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {actual!r}")


def wait_until(fn, timeout, what, interval=0.05):
    """Polls fn() until it returns a truthy value (returned) or the deadline passes (fails).
    Exceptions from fn count as "not yet"; the last one is reported on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
            last = f"returned {v!r}"
        except Exception as e:  # noqa: BLE001 - polled condition, reported on timeout
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise TestFailure(f"timed out after {timeout}s waiting for {what} (last: {last})")
        time.sleep(interval)


def each_case(cases, fn):
    """Runs fn(case) for every case, then fails listing every case that failed (so one broken
    case does not hide the state of the others)."""
    failures = []
    for case in cases:
        try:
            fn(case)
            print(f"  ok   {case}")
        except TestFailure as e:
            print(f"  FAIL {case}: {e}")
            failures.append(f"{case}: {e}")
    check(not failures, f"{len(failures)} case(s) failed:\n  " + "\n  ".join(failures))


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (bound to port 0, then released)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def unique(prefix):
    """A topic name unique within this process run."""
    unique.n += 1
    return f"{prefix}-{os.getpid()}-{unique.n}"


unique.n = 0


def _set_pdeathsig():
    # The broker dies with the test process even if the test is SIGKILLed (ctest timeout).
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001
        pass


# ------------------------------------------------------------------------ minimal Kafka wire client
# Just enough to probe readiness and to call the few APIs no Debian client offers
# (IncrementalAlterConfigs, DescribeCluster).


def _str(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def _uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _cstr(s):
    if s is None:
        return _uvarint(0)
    b = s.encode()
    return _uvarint(len(b) + 1) + b


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        check(self.p + n <= len(self.d), f"response truncated at byte {self.p} (+{n} of {len(self.d)})")
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        shift = n = 0
        while True:
            b = self.take(1)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def cstring(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())

    def done(self):
        return self.p == len(self.d)


def kafka_request(port, api_key, version, body, flexible=False, timeout=5.0, corr=7):
    """Sends one request (header v1, or v2 when flexible) and returns a Reader over the response
    body (the correlation id is checked; for flexible APIs other than ApiVersions the response
    header's tagged fields are skipped)."""
    header = struct.pack(">hhi", api_key, version, corr) + _str("eddy-int")
    if flexible:
        header += _uvarint(0)
    msg = header + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        size = struct.unpack(">i", _recv_exact(s, 4))[0]
        check(0 <= size < 64 << 20, f"absurd response size {size}")
        r = Reader(_recv_exact(s, size))
    check_eq(r.i32(), corr, "response correlation id")
    if flexible and api_key != 18:
        r.tags()
    return r


def request_frame(api_key, version, body, corr):
    """One request frame (request header v1) for a socket of one's own."""
    msg = struct.pack(">hhi", api_key, version, corr) + _str("eddy-int") + body
    return struct.pack(">i", len(msg)) + msg


def read_frame(s):
    """The next response frame on socket s, as a Reader (starting at the correlation id)."""
    size = struct.unpack(">i", _recv_exact(s, 4))[0]
    return Reader(_recv_exact(s, size))


def _recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def api_versions(port, timeout=2.0):
    """ApiVersions v0 -> {api_key: (min, max)}; raises unless error_code is 0."""
    r = kafka_request(port, 18, 0, b"", timeout=timeout)
    err = r.i16()
    check_eq(err, 0, "ApiVersions v0 error code")
    out = {}
    for _ in range(r.i32()):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        out[k] = (lo, hi)
    return out


def incremental_alter_configs(port, resources, validate_only=False):
    """IncrementalAlterConfigs v0. resources: [(type, name, [(key, op, value)])], op 0 SET,
    1 DELETE, 2 APPEND, 3 SUBTRACT. Returns [(error_code, message, type, name)]."""
    body = struct.pack(">i", len(resources))
    for rtype, rname, configs in resources:
        body += struct.pack(">b", rtype) + _str(rname) + struct.pack(">i", len(configs))
        for key, op, value in configs:
            body += _str(key) + struct.pack(">b", op) + _str(value)
    body += struct.pack(">b", 1 if validate_only else 0)
    r = kafka_request(port, 44, 0, body)
    r.i32()  # throttle
    out = []
    for _ in range(r.i32()):
        out.append((r.i16(), r.string(), r.i8(), r.string()))
    check(r.done(), "IncrementalAlterConfigs v0 response has trailing bytes")
    return out


def describe_cluster(port):
    """DescribeCluster v0 (flexible) -> dict(error, cluster_id, controller_id, brokers=[(id,host,port,rack)])."""
    r = kafka_request(port, 60, 0, b"\x00" + _uvarint(0), flexible=True)
    r.i32()  # throttle
    out = {"error": r.i16(), "error_message": r.cstring(), "cluster_id": r.cstring(),
           "controller_id": r.i32(), "brokers": []}
    for _ in range(r.uvarint() - 1):
        b = (r.i32(), r.cstring(), r.i32(), r.cstring())
        r.tags()
        out["brokers"].append(b)
    r.i32()  # authorized operations
    r.tags()
    check(r.done(), "DescribeCluster v0 response has trailing bytes")
    return out


# ----------------------------------------------------------------------- on-disk log inspection


def check_stored_codec(batches, cid, label):
    """Every stored batch carries codec `cid`, except that a batch of a single record may be
    stored uncompressed: librdkafka sends a batch uncompressed when compressing it would make it
    larger (a lone short record)."""
    check(any(x["codec"] == cid for x in batches), f"{label}: no batch stored with codec {cid}")
    wrong = [x for x in batches if x["codec"] != cid and not (x["codec"] == 0 and x["count"] == 1)]
    check_eq(wrong, [], f"{label}: batches stored with another codec")


def log_batches(data_dir, topic, partition):
    """Record batch headers in <data_dir>/<topic>-<partition>/*.log, in file order:
    dicts with base_offset, last_offset, magic, codec (attributes & 7), count, producer_id,
    producer_epoch, base_sequence."""
    pdir = os.path.join(data_dir, f"{topic}-{partition}")
    check(os.path.isdir(pdir), f"partition directory {pdir} missing (Kafka layout, DESIGN.md §5)")
    out = []
    for name in sorted(f for f in os.listdir(pdir) if f.endswith(".log")):
        with open(os.path.join(pdir, name), "rb") as f:
            data = f.read()
        p = 0
        while p + 61 <= len(data):
            base, length = struct.unpack_from(">qi", data, p)
            if length <= 0:
                break  # preallocated tail
            magic = data[p + 16]
            attrs, lod = struct.unpack_from(">hi", data, p + 21)
            pid, epoch, seq, count = struct.unpack_from(">qhii", data, p + 43)
            out.append({"base_offset": base, "last_offset": base + lod, "magic": magic,
                        "codec": attrs & 7, "count": count, "producer_id": pid,
                        "producer_epoch": epoch, "base_sequence": seq})
            p += 12 + length
    return out


# ------------------------------------------------------------------ certificates (openssl CLI)


def openssl(*args):
    p = subprocess.run(["openssl"] + list(args), capture_output=True, timeout=60)
    check(p.returncode == 0, f"openssl {' '.join(args)}: {p.stderr.decode(errors='replace')}")


class Pki:
    """Certificates made with the openssl CLI in a temporary folder of their own (P-256 keys,
    valid two days): CAs, leaves signed by one of them, and Kafka's PEM keystores."""

    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix=f"eddy-{name}-pki-")

    def path(self, name):
        return os.path.join(self.dir, name)

    def make_ca(self, name, subject):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", self.path(f"{name}.key"), "-out", self.path(f"{name}.pem"),
                "-days", "2", "-subj", subject)

    def make_leaf(self, name, subject, ca, san=None):
        """<name>.key and <name>.pem signed by CA <ca>; san e.g. "IP:127.0.0.1,DNS:localhost"."""
        path = self.path
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", path(f"{name}.key"), "-out", path(f"{name}.csr"), "-subj", subject)
        with open(path(f"{name}.ext"), "w") as f:
            f.write("basicConstraints=CA:FALSE\n")
            if san:
                f.write(f"subjectAltName={san}\n")
        openssl("x509", "-req", "-in", path(f"{name}.csr"), "-CA", path(f"{ca}.pem"), "-CAkey",
                path(f"{ca}.key"), "-CAcreateserial", "-out", path(f"{name}.pem"), "-days", "2",
                "-extfile", path(f"{name}.ext"))

    # The short names some tests use.
    def ca(self, name, subject):
        self.make_ca(name, subject)

    def leaf(self, name, subject, ca, san=None):
        self.make_leaf(name, subject, ca, san)

    def keystore(self, name, out=None, key_password=None):
        """Kafka's PEM keystore (KIP-651) of leaf <name>: its private key (PKCS#8-encrypted with
        key_password when given) and its certificate in one file, written whole at once (as a
        rotation should); returns the file's path (default <name>-keystore.pem; a relative `out`
        is in the Pki's folder)."""
        out = self.path(out) if out and not os.path.isabs(out) else out
        out = out or self.path(f"{name}-keystore.pem")
        key = self.path(f"{name}.key")
        if key_password is not None:
            key = self.path(f"{name}.enc.key")
            openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", self.path(f"{name}.key"),
                    "-out", key, "-passout", f"pass:{key_password}")
        with open(out + ".tmp", "w") as f:
            f.write(open(key).read() + open(self.path(f"{name}.pem")).read())
        os.rename(out + ".tmp", out)
        return out


# ------------------------------------------------------------------------------------ the broker


class BrokerError(TestFailure):
    pass


def kraft_cluster(prefix, n, overrides):
    """n Brokers (not launched) that form one cluster: node.id 1..n, each a broker and a
    controller, all with the same controller.quorum.voters, and `overrides` on top.
    Returns (nodes, voters)."""
    nodes = [Broker(f"{prefix}-{i}") for i in range(1, n + 1)]
    voters = ",".join(f"{i}@127.0.0.1:{b.controller_port}" for i, b in enumerate(nodes, 1))
    for i, b in enumerate(nodes, 1):
        b.overrides.update({"node.id": str(i), "controller.quorum.voters": voters,
                            "process.roles": "broker,controller"})
        b.overrides.update(overrides)
    return nodes, voters


class Broker:
    """One `eddy broker` process on 127.0.0.1 with its own ports and data directory."""

    def __init__(self, name, overrides=None):
        self.name = name
        self.workdir = tempfile.mkdtemp(prefix=f"eddy-int-{name}-")
        self.data_dir = os.path.join(self.workdir, "data")
        self.port, self.controller_port, self.admin_port = free_ports(3)
        self.overrides = dict(overrides or {})
        self.args = []  # more `eddy broker` arguments (e.g. --add-scram)
        self.env = None  # the process's environment (None: this one's)
        self.proc = None
        self.starts = 0
        self.log_paths = []
        _brokers.append(self)

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def admin_get(self, path, timeout=5.0):
        """GET on the admin API: (status, body text)."""
        import urllib.error
        import urllib.request
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}{path}",
                                        timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def command(self):
        ov = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "log.dirs": self.data_dir,
            # The HTTP admin API on a port of its own (the default 9644 is for one node).
            "admin.listener": f"127.0.0.1:{self.admin_port}",
        }
        ov.update(self.overrides)
        cmd = [_args.eddy, "broker"]
        for k, v in ov.items():
            cmd += ["--override", f"{k}={v}"]
        return cmd + self.args

    def start(self, timeout=30.0):
        self.launch()
        return self.wait_ready(timeout)

    def launch(self):
        """Starts the process without waiting for it to serve (a cluster's nodes serve only once
        the controller quorum has a leader, so all of them start before any is waited for)."""
        check(self.proc is None, "broker already running")
        self.starts += 1
        out = os.path.join(self.workdir, f"broker-{self.starts}.out")
        err = os.path.join(self.workdir, f"broker-{self.starts}.err")
        self.log_paths += [out, err]
        cmd = self.command()
        with open(out, "wb") as fo, open(err, "wb") as fe:
            fo.write(("$ " + " ".join(cmd) + "\n").encode())
            fo.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                                         cwd=self.workdir, env=self.env,
                                         preexec_fn=_set_pdeathsig)
        return self

    def probe(self):
        """One readiness check of the client port (raises when not ready): ApiVersions in the
        clear. A broker whose client listener speaks TLS overrides this."""
        self.api_versions = api_versions(self.port, timeout=1.0)

    def wait_ready(self, timeout=30.0):
        """Waits until the launched broker answers ApiVersions on its client port (probe())."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                raise BrokerError(f"eddy broker exited with code {rc} during start-up "
                                  f"(start #{self.starts}; its output is printed below)")
            try:
                self.probe()
                return self
            except Exception as e:  # noqa: BLE001 - not ready yet
                last = f"{type(e).__name__}: {e}"
            if time.monotonic() >= deadline:
                raise BrokerError(f"eddy broker did not answer ApiVersions on {self.bootstrap} "
                                  f"within {timeout}s (last: {last})")
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Sends sig and waits for the exit; returns the exit code (negative: killed by signal).
        A broker that ignores SIGTERM past the timeout is SIGKILLed and the test fails."""
        check(self.proc is not None, "broker not running")
        p, self.proc = self.proc, None
        p.send_signal(sig)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise BrokerError(f"eddy broker still running {timeout}s after signal {sig}; killed")

    def restart(self, sig=signal.SIGTERM):
        rc = self.stop(sig)
        self.start()
        return rc

    def kill(self):
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(10)
            except Exception:  # noqa: BLE001
                pass
            self.proc = None

    def stdout(self, start=None):
        """Broker stdout of the given start (default: the latest)."""
        n = start or self.starts
        with open(os.path.join(self.workdir, f"broker-{n}.out"), errors="replace") as f:
            return f.read()

    def logs(self, tail=200):
        parts = []
        for path in self.log_paths:
            try:
                with open(path, errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            shown = lines[-tail:]
            head = f"----- {os.path.basename(path)} ({len(lines)} lines"
            head += f", last {len(shown)})" if len(shown) < len(lines) else ")"
            parts.append(head + " -----\n" + "\n".join(shown))
        return "\n".join(parts)

    def close(self, keep=False):
        self.kill()
        if keep:
            print(f"[harness] kept {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def refused_start(prefix, overrides, data_untouched=True):
    """Runs `eddy broker` with a PLAINTEXT and a CONTROLLER listener on free ports, a fresh data
    directory and `overrides` (which may replace the listeners), expecting it to refuse the
    configuration: returns (exit code, stderr text). With data_untouched, checks that the
    refusal came before anything made the data directory."""
    ports = free_ports(2)
    d = tempfile.mkdtemp(prefix=f"eddy-{prefix}-refused-")
    ov = {"listeners": f"PLAINTEXT://127.0.0.1:{ports[0]},CONTROLLER://127.0.0.1:{ports[1]}",
          "log.dirs": f"{d}/data"}
    ov.update(overrides)
    cmd = [_args.eddy, "broker"]
    for k, v in ov.items():
        cmd += ["--override", f"{k}={v}"]
    p = subprocess.run(cmd, capture_output=True, timeout=30)
    made = os.path.exists(f"{d}/data")
    shutil.rmtree(d, ignore_errors=True)
    check(not (data_untouched and made), "a refused configuration created the data directory")
    return p.returncode, clean_stderr(p.stderr.decode(errors="replace"))


# ------------------------------------------------------------------------------- client helpers


def kcat(broker, *args, input=None, timeout=30, check_rc=True):
    """Runs kcat against the broker; returns CompletedProcess (stdout as bytes)."""
    cmd = ["kcat", "-b", broker.bootstrap, "-X", "broker.address.family=v4", "-m", "10"] + list(args)
    p = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise TestFailure(f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout[-2000:]!r}\n"
                          f"stderr: {p.stderr.decode(errors='replace')[-3000:]}")
    return p


def confluent_conf(broker, **extra):
    conf = {"bootstrap.servers": broker.bootstrap, "broker.address.family": "v4",
            "socket.timeout.ms": 10000}
    conf.update(extra)
    return conf


def consume_all(broker, topic, partition, start, count, timeout=20.0, **extra):
    """Reads exactly `count` messages of topic/partition from offset `start` with a
    confluent_kafka Consumer (assign(), no group subscription) and returns them; fails on a
    consumer error or if fewer arrive by the deadline. The caller checks their contents."""
    from confluent_kafka import Consumer, TopicPartition
    conf = confluent_conf(broker, **{"group.id": "eddy-int-reader", "enable.auto.commit": False,
                                     "enable.partition.eof": False, "auto.offset.reset": "error"})
    conf.update(extra)
    c = Consumer(conf)
    try:
        c.assign([TopicPartition(topic, partition, start)])
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            left = deadline - time.monotonic()
            check(left > 0, f"read {len(got)} of {count} messages from {topic}[{partition}] "
                            f"at {start} before the deadline")
            m = c.poll(min(left, 1.0))
            if m is None:
                continue
            if m.error():
                if m.topic() is None:
                    # Not about the partition: with group.id set (librdkafka requires one) the
                    # consumer looks for a group coordinator it does not use here; groups are
                    # not what this reads. Partition errors fail; a stuck fetch hits the deadline.
                    print(f"[harness] consumer (not partition) error ignored: {m.error()}")
                    continue
                raise TestFailure(f"consumer error on {topic}[{partition}]: {m.error()}")
            got.append(m)
        return got
    finally:
        c.close()


def eddy_cli(broker, command, *args, check_rc=True):
    """Runs `eddy COMMAND ARGS -b <broker>` (an admin command such as acl, quota, user); returns
    (stdout, stderr) as text, failing the test on a non-zero exit unless check_rc is False."""
    cmd = [_args.eddy, command] + list(args) + ["-b", broker.bootstrap]
    if "--timeout-ms" not in args:
        cmd += ["--timeout-ms", "10000"]
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    if check_rc:
        check(p.returncode == 0, f"{' '.join(cmd)} exited {p.returncode}: "
                                 f"{p.stderr.decode(errors='replace')}")
    return p.stdout.decode(), p.stderr.decode()


def create_topics(broker, *names):
    """Creates single-partition topics (replication factor 1) over the broker's PLAINTEXT port
    with confluent_kafka's AdminClient; fails on any error."""
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient(confluent_conf(broker))
    for name, f in a.create_topics([NewTopic(n, 1, 1) for n in names],
                                   operation_timeout=10).items():
        f.result(15)


def end_offset(broker, topic, partition=0):
    """The partition's high watermark as the broker answers it (not a cached one)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer(confluent_conf(broker, **{"group.id": "eddy-int-watermarks"}))
    try:
        return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10,
                                       cached=False)[1]
    finally:
        c.close()


def produce_values(conf, topic, values, timeout=20.0, what="produce"):
    """Produces `values` (strings) to `topic` with acks=all through a confluent_kafka Producer
    made from `conf`; fails unless every one is delivered within `timeout`."""
    from confluent_kafka import Producer
    p = Producer(dict(conf, acks="all"))
    errors = []
    for v in values:
        p.produce(topic, v.encode(), on_delivery=lambda e, m: e and errors.append(e))
    left = p.flush(timeout)
    check(left == 0 and not errors, f"{what}: {left} undelivered, errors {errors}")


def consume_values(conf, topic, count, timeout=20.0, group="eddy-int-reader", skip_errors=False,
                   what="consume"):
    """Reads up to `count` values of topic/0 from offset 0 (assign(), no group subscription)
    with a confluent_kafka Consumer made from `conf`; returns those read by `timeout`, decoded.
    A consumer error fails, unless `skip_errors` (librdkafka retries through a leader change)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer(dict(conf, **{"group.id": group, "enable.auto.commit": False,
                               "auto.offset.reset": "earliest"}))
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got, deadline = [], time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            m = c.poll(1.0)
            if m is None:
                continue
            if m.error() is not None and skip_errors:
                continue
            check(m.error() is None, f"{what}: {m.error()}")
            got.append(m.value().decode())
        return got
    finally:
        c.close()


def produce_sync(producer, topic, timeout=20.0, **kw):
    """Produces one message and waits for its delivery report; returns the Message (raises on
    a delivery error, carrying the KafkaError)."""
    res = []
    producer.produce(topic, on_delivery=lambda err, msg: res.append((err, msg)), **kw)
    deadline = time.monotonic() + timeout
    while not res:
        check(time.monotonic() < deadline, f"no delivery report for a message to {topic}")
        producer.poll(0.1)
    err, msg = res[0]
    if err is not None:
        raise DeliveryError(err)
    return msg


class DeliveryError(Exception):
    def __init__(self, err):
        super().__init__(str(err))
        self.err = err


JS = os.path.join(HERE, "js")


def node_js():
    """The node binary, once kafkajs is known to be installed in JS/node_modules."""
    node = shutil.which("node")
    check(node, "node is not installed: kafkajs needs Node.js (see tools/install-deps.sh)")
    check(os.path.isdir(os.path.join(JS, "node_modules", "kafkajs")),
          f"kafkajs is not installed in {JS}/node_modules: run `npm ci` there "
          f"(tools/install-deps.sh does it when npm is available)")
    return node


# ------------------------------------------------------------------------------------ test runner


def parse_args():
    global _args
    ap = argparse.ArgumentParser()
    ap.add_argument("--eddy", default=os.environ.get("EDDY_BIN"))
    ap.add_argument("-k", dest="only", action="append", default=[],
                    help="run only tests whose name contains this (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep broker data dirs and logs")
    _args = ap.parse_args()
    if not _args.eddy:
        for cand in ("build/eddy", "build-int/eddy"):
            if os.path.exists(os.path.join(REPO, cand)):
                _args.eddy = os.path.join(REPO, cand)
                break
    if _args.eddy:
        _args.eddy = os.path.abspath(_args.eddy)
    if not _args.eddy or not os.access(_args.eddy, os.X_OK):
        sys.exit(f"eddy binary not found: pass --eddy PATH or set EDDY_BIN (got {_args.eddy!r})")
    return _args


def main(namespace, setup=None):
    """Runs the test_* functions of `namespace` in definition order. `setup()` (optional) returns
    the shared broker (started); each test receives it as its only argument when it takes one."""
    args = parse_args()
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    if args.only:
        tests = [(n, f) for n, f in tests if any(o in n for o in args.only)]
    passed, failed = [], []
    broker = None
    started = time.monotonic()
    try:
        if setup is not None:
            try:
                broker = setup()
            except Exception:  # noqa: BLE001
                print("SETUP FAILED\n" + traceback.format_exc(), flush=True)
                _dump_all()
                print(f"\n0 passed, {len(tests)} failed")
                return 1
        for name, fn in tests:
            t0 = time.monotonic()
            print(f"=== {name}", flush=True)
            try:
                if fn.__code__.co_argcount:
                    fn(broker)
                else:
                    fn()
                passed.append(name)
                print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
            except Exception:  # noqa: BLE001
                failed.append(name)
                print(f"FAIL {name} ({time.monotonic() - t0:.1f}s)\n{traceback.format_exc()}",
                      flush=True)
                # A crashed shared broker fails everything after it: restart it so the remaining
                # tests still say something, and say so.
                if broker is not None and broker.proc is not None and broker.proc.poll() is not None:
                    print(f"[harness] broker died (exit {broker.proc.returncode}); restarting",
                          flush=True)
                    broker.proc = None
                    try:
                        broker.start()
                    except Exception:  # noqa: BLE001
                        print(traceback.format_exc(), flush=True)
    finally:
        if failed:
            _dump_all()
        for b in _brokers:
            b.close(keep=args.keep or bool(failed and os.environ.get("EDDY_INT_KEEP_ON_FAILURE")))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    print(f"\n{len(passed)} passed, {len(failed)} failed")
    print(f"({time.monotonic() - started:.1f}s)")
    return 1 if failed else 0


def _dump_all():
    for b in _brokers:
        print(f"\n===== broker '{b.name}' on {b.bootstrap}, data {b.data_dir} =====")
        print(b.logs())
