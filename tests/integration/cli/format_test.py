#!/usr/bin/python3
"""integration_cli_format: cluster ids with real `eddy` processes.

`eddy random-uuid` and `eddy format` (Kafka's kafka-storage steps: exit 0 when formatted or already
formatted with the same ids, 1 for another cluster id or node id, 2 for bad arguments), and the
rule that starting every node from the same config is enough: three `eddy broker` processes with
the same controller.quorum.voters (each its own node.id and data directory) print the same
cluster id, the one derived from the voters; a node restarted with other voters, or on another
node's directory, refuses to start with one line and exit status 2. Every broker is killed at the
end whatever happens.

    /usr/bin/python3 tests/integration/cli/format_test.py build/eddy    (default: build/eddy)
"""
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_test import EDDY, check, failures, free_port, run  # noqa: E402  (shared helpers)


def expect(name, cond, detail=""):
    if cond:
        print(f"ok   {name}")
    else:
        failures.append(name)
        print(f"FAIL {name} {detail}")


def derived_id(voters):
    """The cluster id Eddy derives from normalized voters (services/controller/meta_properties)."""
    digest = hashlib.sha256(b"eddy cluster id v1\n" + voters.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def start_broker(args, out_path):
    return subprocess.Popen([EDDY, "broker"] + args, stdout=open(out_path, "w"),
                            stderr=subprocess.STDOUT)


def wait_cluster_id(proc, out_path, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(r"^eddy broker: cluster\.id (\S+)$", open(out_path).read(), re.M)
        if m:
            return m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    print(f"broker did not start:\n{open(out_path).read()}")
    return None


def main():
    for cmd in [["format"], ["random-uuid"]]:
        code, out, _ = run(cmd + ["--help"])
        if code != 0 or f"Usage: {EDDY} {' '.join(cmd)} [OPTIONS]" not in out:
            failures.append("help " + " ".join(cmd))
            print(f"FAIL help {' '.join(cmd)}: exit {code} {out!r}")
    a = check("random-uuid", ["random-uuid"])
    b = check("random-uuid again", ["random-uuid"])
    expect("random-uuid form", re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{20}[AQgw]\n", a), a)
    expect("random-uuid differs", a != b)

    scratch = tempfile.mkdtemp(prefix="eddy-cli-format-")
    procs = []
    try:
        d = f"{scratch}/explicit"
        dirs = ["--override", f"log.dirs={d}"]
        cid = "MkU3OEVBNTcwNTJENDM2Qg"
        check("format bad id", ["format", "--cluster-id", "nope"] + dirs, "", 2,
              "eddy format: --cluster-id 'nope' is not a cluster id (22 characters of base64url, "
              "as `eddy random-uuid` prints)\n")
        check("format bad config", ["format", "-t", cid, "--override", "node.id=x"] + dirs, "", 2,
              "eddy format: --override: node.id: expected an integer, got 'x'\n")
        check("format", ["format", "-t", cid] + dirs,
              f"eddy format: formatted {d} for cluster.id {cid}, node.id 1\n")
        meta = open(f"{d}/meta.properties").read()
        expect("meta.properties", f"\nnode.id=1\ncluster.id={cid}\n" in meta, meta)
        check("format again", ["format", "-t", cid] + dirs,
              f"eddy format: {d} is already formatted for cluster.id {cid}, node.id 1: nothing to "
              "do\n")
        other = "AAAAAAAAAAAAAAAAAAAAAA"
        check("format other id", ["format", "-t", other] + dirs, "", 1,
              f"eddy format: {d}/meta.properties is already formatted for cluster.id {cid}, "
              f"node.id 1, not cluster.id {other}, node.id 1 (--ignore-formatted leaves a "
              "formatted directory as is)\n")
        check("format ignore-formatted", ["format", "-t", other, "--ignore-formatted"] + dirs,
              f"eddy format: {d} is already formatted: left as is (--ignore-formatted)\n")
        check("broker on another node's directory", ["broker", "--override", "node.id=2",
              "--override", "controller.quorum.voters=2@127.0.0.1:9093"] + dirs, "", 2,
              f"eddy broker: {d}/meta.properties says node.id=1 but the configuration says "
              "node.id=2: this data directory belongs to another node\n")
        # An explicitly formatted directory keeps its id whatever the voters.
        port, cport = free_port(), free_port()
        p = start_broker(["--override",
                          f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
                          "--override", f"controller.quorum.voters=1@127.0.0.1:{cport}"] + dirs,
                         f"{scratch}/explicit.out")
        procs.append(p)
        expect("explicit id served", wait_cluster_id(p, f"{scratch}/explicit.out") == cid)
        p.kill()
        p.wait()

        # Three nodes, one config: the same cluster id without `eddy format`.
        cports = [free_port() for _ in range(3)]
        ports = [free_port() for _ in range(3)]
        voters = ",".join(f"{i + 1}@127.0.0.1:{cports[i]}" for i in range(3))
        conf = f"{scratch}/server.properties"
        with open(conf, "w") as f:
            f.write(f"controller.quorum.voters={voters}\nprocess.roles=broker,controller\n")
        ids = []
        for i in range(3):
            node = [
                "--config", conf, "--override", f"node.id={i + 1}", "--override",
                f"listeners=PLAINTEXT://127.0.0.1:{ports[i]},CONTROLLER://127.0.0.1:{cports[i]}",
                "--override", f"log.dirs={scratch}/node{i + 1}"]
            procs.append(start_broker(node, f"{scratch}/node{i + 1}.out"))
        # Each serves once the three have elected a controller, so all start before any waits.
        for i in range(3):
            ids.append(wait_cluster_id(procs[-3 + i], f"{scratch}/node{i + 1}.out"))
        expect("three nodes agree", ids[0] is not None and ids == [ids[0]] * 3, ids)
        expect("the id derived from the voters", ids[0] == derived_id(voters),
               f"{ids[0]} vs {derived_id(voters)}")
        for p in procs:
            p.kill()
            p.wait()
        # Node 2 restarted with other voters: its directory belongs to the first cluster.
        moved = voters.replace(f"3@127.0.0.1:{cports[2]}", f"3@127.0.0.1:{cports[2] + 1}")
        check("broker with other voters", [
            "broker", "--config", conf, "--override", "node.id=2", "--override",
            f"controller.quorum.voters={moved}", "--override",
            f"listeners=PLAINTEXT://127.0.0.1:{ports[1]},CONTROLLER://127.0.0.1:{cports[1]}",
            "--override", f"log.dirs={scratch}/node2"], "", 2,
            f"eddy broker: {scratch}/node2/meta.properties belongs to cluster.id {ids[0]} "
            f"(derived from controller.quorum.voters={voters}), but controller.quorum.voters="
            f"{moved} derives cluster.id {derived_id(moved)}: this data directory belongs to "
            "another cluster\n")
        # A config that names several voters but no node.id is refused before anything starts.
        check("several voters need node.id", ["broker", "--config", conf, "--override",
              f"log.dirs={scratch}/none"], "", 2,
              "eddy broker: node.id: required when controller.quorum.voters lists more than one "
              "voter (each node sets its own)\n")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(scratch, ignore_errors=True)

    if failures:
        print(f"{len(failures)} failed: {', '.join(failures)}")
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
