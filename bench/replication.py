#!/usr/bin/python3
"""acks=all on a three-node cluster next to a single node, with librdkafka as the load generator.

    bench/replication.py --eddy build/eddy [--loadgen build/eddy-loadgen] [--quick]

Starts one `eddy broker` (RF 1), measures, stops it; then three broker+controller processes on
127.0.0.1 forming one cluster, a topic with RF 3 and min.insync.replicas=2, and measures the same
cases (issue 11's benchmark; performance.md W1/W6 with replication):

  * max-rate produce of 1 KiB messages with acks=all (throughput; linger 5 ms);
  * a fixed-rate produce (5k msgs/s, linger 0) with acks=all for ack latency (p50/p99).

Both in the default durable mode (every ISR member syncs before the write is acknowledged). The
raw loopback TCP throughput is measured in the same run as the reference. Prints one line per case
and a `summary` line: each cluster figure also as a ratio to the single node's (cluster ÷ single)
and to loopback. Never asserts speed; exits non-zero only when something broke (a broker died, a
delivery failed).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from produce_consume import bench_args, free_port, run_loadgen  # noqa: E402


class Node:
    """One `eddy broker` process (not waited for: a cluster's nodes serve once the quorum elects)."""

    def __init__(self, eddy, tmp, node_id, port, cport, overrides):
        self.eddy = eddy
        self.dir = os.path.join(tmp, f"node-{node_id}")
        os.makedirs(self.dir)
        self.port = port
        ov = {"listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
              "log.dirs": os.path.join(self.dir, "data"), "node.id": str(node_id)}
        ov.update(overrides)
        cmd = [eddy, "broker"]
        for k, v in ov.items():
            cmd += ["--override", f"{k}={v}"]
        self.log = open(os.path.join(self.dir, "broker.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.dir)

    def check_alive(self):
        rc = self.proc.poll()
        if rc is not None:
            self.log.flush()
            with open(self.log.name, errors="replace") as f:
                tail = f.read()[-4000:]
            raise RuntimeError(f"eddy broker exited with code {rc}; its log ends:\n{tail}")

    def wait_listening(self, seconds):
        deadline = time.monotonic() + seconds
        while True:
            self.check_alive()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"broker did not listen on 127.0.0.1:{self.port}")
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Cluster:
    def __init__(self, eddy, size):
        self.eddy = eddy
        self.tmp = tempfile.mkdtemp(prefix=f"eddy-bench-repl{size}-")
        ports = [(free_port(), free_port()) for _ in range(size)]
        voters = ",".join(f"{i}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports, 1))
        common = {"controller.quorum.voters": voters, "process.roles": "broker,controller",
                  "default.replication.factor": str(min(size, 3)),
                  "offsets.topic.replication.factor": str(min(size, 3))}
        self.nodes = [Node(eddy, self.tmp, i, p, c, common) for i, (p, c) in enumerate(ports, 1)]
        for n in self.nodes:
            n.wait_listening(60)
        self.bootstrap = ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def check_alive(self):
        for n in self.nodes:
            n.check_alive()

    def create_topic(self, name, rf, min_isr):
        cmd = [self.eddy, "topic", "create", "-b", self.bootstrap, "-p", "1", "-r", str(rf),
               "--config", f"min.insync.replicas={min_isr}", name]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        # Wait until the partition has its full ISR (followers fetched once): the last column of
        # `eddy topic describe`'s partition table (PARTITION LEADER EPOCH REPLICAS ISR).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            out = subprocess.run([self.eddy, "topic", "describe", "-b", self.bootstrap, name],
                                 stdout=subprocess.PIPE, text=True).stdout
            rows = [line.split() for line in out.splitlines()]
            isrs = [r[-1] for r in rows if len(r) == 5 and r[0].isdigit()]
            if isrs and all(len(i.strip("[]").split(",")) == rf for i in isrs):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{name}: the ISR did not reach {rf} replicas in 30 s")

    def stop(self):
        for n in self.nodes:
            n.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def measure(loadgen, cluster, label, rf, min_isr, count, seconds_max, lat_count, lat_rate):
    out = {}
    topic = f"tput-{label}"
    cluster.create_topic(topic, rf, min_isr)
    r = run_loadgen(loadgen, ["produce", "--brokers", cluster.bootstrap, "--topic", topic,
                              "--count", count, "--size", 1024, "--acks", "all",
                              "--seconds-max", seconds_max])
    cluster.check_alive()
    out["msgs_s"] = int(r["msgs_s"])
    out["mb_s"] = float(r["mb_s"])
    topic = f"lat-{label}"
    cluster.create_topic(topic, rf, min_isr)
    r = run_loadgen(loadgen, ["produce", "--brokers", cluster.bootstrap, "--topic", topic,
                              "--count", lat_count, "--size", 1024, "--acks", "all",
                              "--rate", lat_rate, "--linger-ms", 0])
    cluster.check_alive()
    out["p50_us"] = int(r["p50_us"])
    out["p99_us"] = int(r["p99_us"])
    print(f"{label}: acks=all 1 KiB {out['msgs_s']:,} msgs/s {out['mb_s']:.1f} MB/s; at "
          f"{lat_rate:,} msgs/s ack p50/p99 {out['p50_us']}/{out['p99_us']} us", flush=True)
    return out


def main():
    args, loadgen = bench_args(__doc__, "replication.py")
    if args.quick:
        count, seconds_max, lat_count, loop_bytes = 30_000, 1.5, 3_000, 256 << 20
    else:
        count, seconds_max, lat_count, loop_bytes = 1_000_000, 15, 50_000, 2 << 30
    lat_rate = 5_000

    loop = run_loadgen(loadgen, ["loopback", "--bytes", loop_bytes])
    loop_mb_s = float(loop["mb_s"])
    print(f"loopback: {loop_mb_s:.0f} MB/s", flush=True)
    results = {"loopback_mb_s": f"{loop_mb_s:.0f}"}
    figures = {}
    failed = []
    for label, size, rf, min_isr in (("single", 1, 1, 1), ("cluster3", 3, 3, 2)):
        cluster = None
        try:
            cluster = Cluster(args.eddy, size)
            figures[label] = measure(loadgen, cluster, label, rf, min_isr, count, seconds_max,
                                     lat_count, lat_rate)
        except (RuntimeError, subprocess.CalledProcessError) as e:
            print(f"{label}: FAILED: {e}", flush=True)
            failed.append(label)
        finally:
            if cluster is not None:
                cluster.stop()
    for label, f in figures.items():
        for k, v in f.items():
            results[f"{label}_{k}"] = v
        results[f"{label}_ratio_loopback"] = f"{f['mb_s'] / loop_mb_s:.3f}"
    if "single" in figures and "cluster3" in figures:
        s, c = figures["single"], figures["cluster3"]
        results["cluster3_over_single_tput"] = f"{c['mb_s'] / max(s['mb_s'], 1e-9):.2f}"
        results["cluster3_over_single_p99"] = f"{c['p99_us'] / max(s['p99_us'], 1):.2f}"
        print(f"cluster of 3 (RF 3, min ISR 2) / single node: throughput "
              f"{results['cluster3_over_single_tput']}x, ack p99 "
              f"{results['cluster3_over_single_p99']}x", flush=True)
    print("summary " + " ".join(f"{k}={v}" for k, v in results.items())
          + f" failed={','.join(failed) or 'none'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
