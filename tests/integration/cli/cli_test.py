#!/usr/bin/python3
"""integration_cli: the client commands against a real `eddy broker`.

Starts a broker on free loopback ports with a temporary data directory, then drives
`eddy topic create|list|describe|alter-config|add-partitions|delete`, `eddy produce`,
`eddy consume` and `eddy cluster info|quorum|health` with exact-output assertions (quorum times
as patterns); kcat reads what `eddy produce` wrote with every codec (and the codecs are checked in
the segment file), `--follow` is stopped by SIGINT and ends when its pipe closes, and every command
answers `--help`. The broker is killed at the end whatever happens.

    /usr/bin/python3 tests/integration/cli/cli_test.py build/eddy    (default: build/eddy)
"""
import glob
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

EDDY = sys.argv[1] if len(sys.argv) > 1 else "build/eddy"
failures = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, stdin=None, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    p = subprocess.run([EDDY] + args, input=stdin, capture_output=True, text=True, env=env,
                       timeout=60)
    # Without the line the sanitizer build's runtime prints at the first fiber switch.
    err = "".join(line for line in p.stderr.splitlines(keepends=True)
                  if "doesn't fully support makecontext/swapcontext" not in line)
    return p.returncode, p.stdout, err


def check(name, args, want_out=None, want_code=0, want_err=None, stdin=None, env_extra=None):
    code, out, err = run(args, stdin, env_extra)
    ok = code == want_code
    if want_out is not None and out != want_out:
        ok = False
    if want_err is not None and err != want_err:
        ok = False
    if not ok:
        failures.append(name)
        print(f"FAIL {name}: eddy {' '.join(args)}\n  exit {code} (want {want_code})\n"
              f"  stdout: {out!r}\n  want:   {want_out!r}\n  stderr: {err!r}\n"
              f"  want:   {want_err!r}")
    else:
        print(f"ok   {name}")
    return out


def read_line(proc, timeout):
    """One line of proc's stdout, or None when none comes within timeout seconds."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else None


def quorum_checks(b, cluster_id):
    # One node: the only voter leads, nobody lags, no observers; times vary, so a pattern.
    out = check("cluster quorum", ["cluster", "quorum", "--bootstrap-server", b[1]])
    want = (rf"ClusterId:             {re.escape(cluster_id)}\n"
            r"LeaderId:              1\n"
            r"LeaderEpoch:           [1-9][0-9]*\n"
            r"HighWatermark:         ([1-9][0-9]*)\n"
            r"MaxFollowerLag:        0\n"
            r"MaxFollowerLagTimeMs:  0\n"
            r"CurrentVoters:         \[1\]\n"
            r"CurrentObservers:      \[\]\n"
            r"\n"
            r"NodeId  LogEndOffset  Lag  LastFetchTimestamp  LastCaughtUpTimestamp  Status\n"
            r"1       ([1-9][0-9]*) +0    \d+ ms ago +\d+ ms ago +Leader\n")
    if not re.fullmatch(want, out):
        failures.append("cluster quorum shape")
        print(f"FAIL cluster quorum shape: {out!r}")
    check("cluster health", ["cluster", "health"] + b, None)
    out = check("cluster health line", ["cluster", "health"] + b)
    if not re.fullmatch(r"ok: quorum leader 1 \(epoch [1-9][0-9]*\), 1 brokers live\n", out):
        failures.append("cluster health line")
        print(f"FAIL cluster health line: {out!r}")
    port = free_port()
    check("cluster quorum unreachable", ["cluster", "quorum", "-b", f"127.0.0.1:{port}",
                                         "--timeout-ms", "1000"], "", 1,
          f"eddy cluster quorum: cannot reach the cluster: cannot connect to 127.0.0.1:{port}: "
          "connection refused (NETWORK_EXCEPTION)\n")
    check("cluster health unreachable", ["cluster", "health", "-b", f"127.0.0.1:{port}",
                                         "--timeout-ms", "1000"],
          f"cannot reach the cluster: cannot connect to 127.0.0.1:{port}: connection refused "
          "(NETWORK_EXCEPTION)\n", 1)
    check("cluster health usage", ["cluster", "health", "--bogus"], "", 2,
          "The following argument was not expected: --bogus\nRun with --help for more "
          "information.\n")


def follow_checks(b):
    # --follow prints records produced after it started, and SIGINT stops it.
    f = subprocess.Popen([EDDY, "consume", "logs", "-o", "end", "-F", "-f", "%o %v"] + b,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    try:
        got = []
        deadline = time.time() + 20
        n = 0
        while len(got) < 2 and time.time() < deadline:
            # Produce until the follower (which may still be starting) has seen two records.
            run(["produce", "logs", "-p", "0"] + b, stdin=f"live-{n}\n")
            n += 1
            line = read_line(f, 0.5)
            while line:
                got.append(line)
                line = read_line(f, 0.2) if len(got) < 2 else None
        f.send_signal(signal.SIGINT)
        f.wait(10)
        ok = (len(got) == 2 and got[0].split(" ")[1].startswith("live-") and
              int(got[1].split(" ")[0]) == int(got[0].split(" ")[0]) + 1 and
              f.returncode == 0)  # SIGINT ends it cleanly
        if not ok:
            failures.append("follow")
            print(f"FAIL follow: {got!r} exit {f.returncode}")
        else:
            print("ok   follow + SIGINT")
    finally:
        if f.poll() is None:
            f.kill()
            f.wait()
    # A follower whose reader goes away (| head -1) ends at its next write instead of writing
    # into a closed pipe forever.
    p = subprocess.Popen(f"'{EDDY}' consume logs -F -b {b[1]} | head -1", shell=True,
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    out = p.stdout.readline()
    deadline = time.time() + 20
    while p.poll() is None and time.time() < deadline:
        run(["produce", "logs", "-p", "0"] + b, stdin="wake\n")
        try:
            p.wait(0.5)
        except subprocess.TimeoutExpired:
            pass
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        out += " (did not end)"
    if out != "first\n":
        failures.append("follow | head")
        print(f"FAIL follow | head: {out!r}")
    else:
        print("ok   follow | head")


def main():
    for cmd in [["topic"], ["topic", "create"], ["topic", "list"], ["topic", "describe"],
                ["topic", "delete"], ["topic", "alter-config"], ["topic", "add-partitions"],
                ["produce"], ["consume"], ["cluster"], ["cluster", "info"],
                ["cluster", "quorum"], ["cluster", "health"]]:
        code, out, _ = run(cmd + ["--help"])
        if code != 0 or f"Usage: {EDDY} {' '.join(cmd)} [OPTIONS]" not in out:
            failures.append("help " + " ".join(cmd))
            print(f"FAIL help {' '.join(cmd)}: exit {code} {out!r}")
    check("bad option", ["consume", "x", "--bogus"], "", 109,
          "The following argument was not expected: --bogus\nRun with --help for more "
          "information.\n")

    # What this build cannot honour is a one-line error at start, never served otherwise.
    scratch = tempfile.mkdtemp(prefix="eddy-cli-config-")
    nodir = ["--override", f"log.dirs={scratch}/data"]
    check("broker SSL listener without a certificate",
          ["broker", "--override", "listeners=SSL://127.0.0.1:0,CONTROLLER://127.0.0.1:0"] + nodir,
          "", 2, "eddy broker: listener SSL: a TLS listener needs a certificate: set "
          "ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain)\n")
    check("broker SASL listener without mechanisms",
          ["broker", "--override",
           "listeners=PLAINTEXT://127.0.0.1:0,EXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
           "--override", "listener.security.protocol.map="
           "PLAINTEXT:PLAINTEXT,EXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"] + nodir,
          "", 2, "eddy broker: listener EXT: sasl.enabled.mechanisms: unsupported mechanism "
          "'GSSAPI' (Eddy serves PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)\n")
    if os.path.exists(f"{scratch}/data"):
        failures.append("refused config created the data directory")
    shutil.rmtree(scratch, ignore_errors=True)

    port, cport = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="eddy-cli-test-")
    broker = subprocess.Popen(
        [EDDY, "broker", "--override",
         f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
         "--override", f"log.dirs={data}/data"],
        stdout=open(f"{data}/broker.out", "w"), stderr=subprocess.STDOUT)
    try:
        b = ["-b", f"127.0.0.1:{port}"]
        deadline = time.time() + 30
        while True:
            code, out, _ = run(["topic", "list"] + b)
            if code == 0:
                break
            if broker.poll() is not None or time.time() > deadline:
                print("broker did not start:\n" + open(f"{data}/broker.out").read())
                return 1
            time.sleep(0.2)

        check("list empty", ["topic", "list"] + b, "NAME  PARTITIONS  REPLICAS\n")
        check("create", ["topic", "create", "orders", "-p", "3", "-c", "retention.ms=60000"] + b,
              "created topic orders\n")
        check("create again", ["topic", "create", "orders"] + b, "", 1,
              "eddy topic create: topic 'orders' already exists (TOPIC_ALREADY_EXISTS)\n")
        check("create if-not-exists", ["topic", "create", "orders", "--if-not-exists"] + b, "")
        check("create second (EDDY_BROKERS)", ["topic", "create", "logs", "-p", "1"],
              "created topic logs\n", env_extra={"EDDY_BROKERS": f"127.0.0.1:{port}"})
        check("list", ["topic", "list"] + b,
              "NAME    PARTITIONS  REPLICAS\nlogs    1           1\norders  3           1\n")
        check("describe", ["topic", "describe", "orders"] + b,
              "TOPIC       orders\nPARTITIONS  3\nREPLICAS    1\nCONFIGS\n"
              "  retention.ms=60000\n"
              "PARTITION  LEADER  EPOCH  REPLICAS  ISR\n"
              "0          1       0      [1]       [1]\n"
              "1          1       0      [1]       [1]\n"
              "2          1       0      [1]       [1]\n")
        check("describe missing", ["topic", "describe", "nope"] + b, "", 1,
              "eddy topic describe: topic 'nope' does not exist (UNKNOWN_TOPIC_OR_PARTITION)\n")

        lines = "".join(f"k{i % 5}:value-{i}\n" for i in range(100))
        check("produce keyed", ["produce", "orders", "-k", ":", "-H", "src=test"] + b, "",
              stdin=lines)
        check("produce p0 gzip", ["produce", "logs", "-p", "0", "-z", "gzip", "-a", "1"] + b, "",
              stdin="first\nsecond\n\nfourth")
        for codec in ["snappy", "lz4", "zstd", "none"]:
            extra = ["--no-idempotence"] if codec == "none" else []
            check(f"produce {codec}", ["produce", "logs", "-z", codec] + extra + b, "",
                  stdin=f"{codec}-a\n{codec}-b\n")
        check("produce acks=0", ["produce", "logs", "-a", "0"] + b, "", stdin="fire\n")
        # acks=0 returns before the broker appends (as in Kafka): wait until the record is there.
        deadline = time.time() + 10
        while run(["consume", "logs", "-o", "12"] + b)[1] != "fire\n" and time.time() < deadline:
            time.sleep(0.05)

        check("consume logs", ["consume", "logs", "-f", "%p %o %k|%v"] + b,
              "0 0 |first\n0 1 |second\n0 2 |\n0 3 |fourth\n0 4 |snappy-a\n0 5 |snappy-b\n"
              "0 6 |lz4-a\n0 7 |lz4-b\n0 8 |zstd-a\n0 9 |zstd-b\n0 10 |none-a\n"
              "0 11 |none-b\n0 12 |fire\n")
        if shutil.which("kcat"):
            # Another client reads the same records: every codec decodes outside Eddy too.
            p = subprocess.run(["kcat", "-b", f"127.0.0.1:{port}", "-C", "-e", "-q", "-t", "logs",
                                "-f", "%p %o %k|%s\n"], capture_output=True, text=True, timeout=30)
            if p.stdout != ("0 0 |first\n0 1 |second\n0 2 |\n0 3 |fourth\n0 4 |snappy-a\n"
                            "0 5 |snappy-b\n0 6 |lz4-a\n0 7 |lz4-b\n0 8 |zstd-a\n0 9 |zstd-b\n"
                            "0 10 |none-a\n0 11 |none-b\n0 12 |fire\n"):
                failures.append("kcat reads logs")
                print(f"FAIL kcat reads logs: {p.stdout!r} {p.stderr!r}")
            else:
                print("ok   kcat reads logs")
        # The batches on disk carry the codec asked for (attributes & 7 of each batch header).
        # Idempotence: on with acks=all (each process its own producer id, sequence 0), off with
        # acks 0 or 1 and with --no-idempotence (producer id -1).
        codecs, pids = [], []
        for seg in sorted(glob.glob(f"{data}/data/logs-0/*.log")):
            raw = open(seg, "rb").read()
            i = 0
            while i + 61 <= len(raw):
                length = struct.unpack(">i", raw[i + 8:i + 12])[0]
                codecs.append(struct.unpack(">h", raw[i + 21:i + 23])[0] & 7)
                pid, _epoch, seq = struct.unpack(">qhi", raw[i + 43:i + 57])
                pids.append((pid, seq))
                i += 12 + length
        if codecs != [1, 2, 3, 4, 0, 0]:
            failures.append("codecs on disk")
            print(f"FAIL codecs on disk: {codecs}")
        else:
            print("ok   codecs on disk")
        idem = [p for p, _ in pids[1:4]]
        if (len(pids) != 6 or [p for p, _ in pids[:1] + pids[4:]] != [-1, -1, -1]
                or [q for _, q in pids[1:4]] != [0, 0, 0] or min(idem) < 0
                or len(set(idem)) != 3):
            failures.append("producer ids on disk")
            print(f"FAIL producer ids on disk: {pids}")
        else:
            print("ok   producer ids on disk")
        check("consume -3", ["consume", "logs", "-o", "-3"] + b, "none-a\nnone-b\nfire\n")
        check("consume N count", ["consume", "logs", "-o", "4", "-n", "2"] + b,
              "snappy-a\nsnappy-b\n")
        check("consume end", ["consume", "logs", "-o", "end"] + b, "")
        check("consume @ts", ["consume", "logs", "-o", "@0", "-n", "1"] + b, "first\n")
        check("consume @future", ["consume", "logs", "-o", "@2999-01-01T00:00:00Z"] + b, "")
        check("consume bad offset", ["consume", "logs", "-o", "soon"] + b, "", 1,
              "eddy consume: invalid offset 'soon' (expected start, end, N, -N, +N, @MS or "
              "@YYYY-MM-DDTHH:MM:SS)\n")
        out = check("consume json", ["consume", "logs", "-n", "1", "--output", "json"] + b)
        if not out.startswith('{"topic":"logs","partition":0,"offset":0,"timestamp":') or \
                not out.endswith(',"key":null,"value":"first","headers":[]}\n'):
            failures.append("json shape")
            print(f"FAIL json shape: {out!r}")

        # Keyed records: all 100 come back, each key on one partition, in produce order.
        out = check("consume orders", ["consume", "orders", "-f", "%p %k %v %h"] + b)
        got = out.splitlines()
        by_key = {}
        for line in got:
            p, k, v, h = line.split(" ")
            by_key.setdefault(k, []).append((p, v))
            if h != "src=test":
                failures.append("header")
        if len(got) != 100 or any(len({p for p, _ in vs}) != 1 for vs in by_key.values()) or \
                any([v for _, v in vs] != [f"value-{i}" for i in range(100) if f"k{i % 5}" == k]
                    for k, vs in by_key.items()):
            failures.append("keyed order")
            print(f"FAIL keyed order: {got[:10]}...")
        else:
            print("ok   keyed order")

        follow_checks(b)
        check("alter-config", ["topic", "alter-config", "orders", "--set", "cleanup.policy=compact",
                               "--delete", "retention.ms"] + b,
              "altered configs of topic orders\n")
        out = check("describe after alter", ["topic", "describe", "orders"] + b)
        if "CONFIGS\n  cleanup.policy=compact\nPARTITION" not in out:
            failures.append("alter visible")
            print(f"FAIL alter visible: {out!r}")
        check("add-partitions", ["topic", "add-partitions", "logs", "-p", "2"] + b,
              "topic logs now has 2 partitions\n")
        check("list after add", ["topic", "list"] + b,
              "NAME    PARTITIONS  REPLICAS\nlogs    2           1\norders  3           1\n")
        out = check("cluster info", ["cluster", "info"] + b)
        address = f"127.0.0.1:{port}"
        want_tail = (f"CONTROLLER  1\nTOPICS      2\nBROKERS\n"
                     f"  ID  {'ADDRESS'.ljust(len(address))}  STATE\n"
                     f"  1   {address}  live (controller)\n")
        if not out.startswith("CLUSTER     ") or not out.endswith(want_tail):
            failures.append("cluster info shape")
            print(f"FAIL cluster info shape: {out!r}")
        cluster_id = out.split("\n", 1)[0].split()[1]
        quorum_checks(b, cluster_id)
        check("delete", ["topic", "delete", "orders"] + b, "deleted topic orders\n")
        check("delete missing", ["topic", "delete", "orders"] + b, "", 1,
              "eddy topic delete: topic 'orders' does not exist (UNKNOWN_TOPIC_OR_PARTITION)\n")
        check("list after delete", ["topic", "list"] + b,
              "NAME  PARTITIONS  REPLICAS\nlogs  2           1\n")
        check("unreachable", ["topic", "list", "-b", f"127.0.0.1:{free_port()}",
                              "--timeout-ms", "1000"], "", 1)
    finally:
        broker.terminate()
        try:
            broker.wait(10)
        except subprocess.TimeoutExpired:
            broker.kill()
        shutil.rmtree(data, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failure(s): {failures}")
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
