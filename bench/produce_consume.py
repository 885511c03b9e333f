#!/usr/bin/python3
"""Produce/consume benchmark of a real `eddy broker` with librdkafka as the load generator.

    bench/produce_consume.py --eddy build/eddy [--loadgen build/eddy-loadgen] [--quick]

Starts `eddy broker` on free 127.0.0.1 ports with a temporary log.dirs (twice: once with the
default durable acks -- fsync per group commit -- and once in page-cache mode,
log.flush.interval.messages=2^63-1, which is what Kafka does), creates one topic per case, and runs
eddy-loadgen (bench/loadgen.cpp):

  * max-rate produce of 100 B and 1 KiB messages with acks=1 and acks=all (each mode);
  * a fixed-rate produce (10k msgs/s, linger 0) for ack latency at moderate load;
  * consume of the 1 KiB acks=1 topic from offset 0 (hot: the data was just written);
  * the raw loopback TCP throughput and round trip in the same run, as the reference.

Prints one line per case and a last `summary ...` line of key=value pairs with the ratios to
loopback. Never asserts speed: exits non-zero only if something broke (a broker died, a delivery
failed, a message is missing on consume). --quick runs a few seconds in total (for ctest).
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PAGE_CACHE = str(2**63 - 1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, eddy, name, overrides, extra_listeners=""):
        """extra_listeners: more NAME://host:port entries after PLAINTEXT (tls_fetch.py)."""
        self.eddy = eddy
        self.dir = tempfile.mkdtemp(prefix=f"eddy-bench-{name}-")
        self.port = free_port()
        cport = free_port()
        ov = {"listeners": f"PLAINTEXT://127.0.0.1:{self.port},{extra_listeners}"
                           f"CONTROLLER://127.0.0.1:{cport}",
              "log.dirs": os.path.join(self.dir, "data")}
        ov.update(overrides)
        cmd = [eddy, "broker"]
        for k, v in ov.items():
            cmd += ["--override", f"{k}={v}"]
        self.log = open(os.path.join(self.dir, "broker.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.dir)
        self.bootstrap = f"127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            self.check_alive()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"broker did not listen on {self.bootstrap}")
                time.sleep(0.05)

    def check_alive(self):
        rc = self.proc.poll()
        if rc is not None:
            self.log.flush()
            with open(self.log.name, errors="replace") as f:
                tail = f.read()[-4000:]
            raise RuntimeError(f"eddy broker exited with code {rc}; its log ends:\n{tail}")

    def create_topic(self, name):
        subprocess.run([self.eddy, "topic", "create", "-b", self.bootstrap, "-p", "1", name],
                       check=True, stdout=subprocess.DEVNULL)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_loadgen(loadgen, args):
    """Runs eddy-loadgen; returns its key=value line as a dict (raises if it failed)."""
    p = subprocess.run([loadgen] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=900)
    line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    if p.returncode != 0:
        raise RuntimeError(f"eddy-loadgen {' '.join(map(str, args))} failed ({p.returncode}):\n"
                           f"{line}\n{p.stderr[-3000:]}")
    return dict(kv.split("=", 1) for kv in line.split())


def bench_args(doc, script):
    """The options every bench script takes (--eddy, --loadgen, --quick), parsed; returns
    (args, eddy-loadgen's path). Both paths are made absolute -- the broker runs in its own
    temporary directory (cwd), where a relative path such as build/eddy would name nothing --
    and the script exits with one line if either is not an executable."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--eddy", required=True, help="path to the eddy binary")
    ap.add_argument("--loadgen", help="path to eddy-loadgen (default: next to --eddy)")
    ap.add_argument("--quick", action="store_true", help="a few seconds in total (CI)")
    args = ap.parse_args()
    args.eddy = os.path.abspath(args.eddy)
    loadgen = os.path.abspath(args.loadgen or os.path.join(os.path.dirname(args.eddy),
                                                           "eddy-loadgen"))
    for path in (args.eddy, loadgen):
        if not os.access(path, os.X_OK):
            sys.exit(f"{script}: {path} is not an executable (build it first: "
                     "cmake --build build --target eddy eddy-loadgen)")
    return args, loadgen


def main():
    args, loadgen = bench_args(__doc__, "produce_consume.py")
    if args.quick:
        count = {100: 200_000, 1024: 50_000}
        seconds_max, lat_count, loop_bytes = 1.5, 5_000, 256 << 20
    else:
        count = {100: 5_000_000, 1024: 2_000_000}
        seconds_max, lat_count, loop_bytes = 20, 100_000, 4 << 30
    lat_rate = 10_000

    results = {}  # summary keys
    loop = run_loadgen(loadgen, ["loopback", "--bytes", loop_bytes])
    loop_mb_s = float(loop["mb_s"])
    print(f"loopback: {loop_mb_s:.0f} MB/s, rtt p50/p99/p99.9 {loop['rtt_p50_us']}/"
          f"{loop['rtt_p99_us']}/{loop['rtt_p999_us']} us", flush=True)
    results["loopback_mb_s"] = f"{loop_mb_s:.0f}"
    results["loopback_rtt_p50_us"] = loop["rtt_p50_us"]

    failed = []
    for mode, overrides in (("durable", {}),
                            ("pagecache", {"log.flush.interval.messages": PAGE_CACHE})):
        broker = Broker(args.eddy, mode, overrides)
        try:
            cases = [(size, acks) for size in (100, 1024) for acks in ("1", "all")]
            if mode == "durable":
                cases = [c for c in cases if c[1] == "all"]  # acks=1 does not wait for fsync
            for size, acks in cases:
                sname = "100" if size == 100 else "1k"
                aname = "acks1" if acks == "1" else "acksall"
                key = f"produce_{sname}_{aname}" + ("_durable" if mode == "durable" else "")
                topic = key
                try:
                    broker.create_topic(topic)
                    cpu0 = broker.cpu_seconds()
                    r = run_loadgen(loadgen, ["produce", "--brokers", broker.bootstrap,
                                              "--topic", topic, "--count", count[size],
                                              "--size", size, "--acks", acks,
                                              "--seconds-max", seconds_max])
                    cpu = broker.cpu_seconds() - cpu0
                    broker.check_alive()
                except (RuntimeError, subprocess.CalledProcessError) as e:
                    print(f"{key}: FAILED: {e}", flush=True)
                    failed.append(key)
                    broker.check_alive()
                    continue
                mb_s = float(r["mb_s"])
                delivered = int(r["delivered"])
                core_s_per_m = cpu / max(delivered, 1) * 1e6
                print(f"{key}: {int(r['msgs_s']):,} msgs/s {mb_s:.1f} MB/s "
                      f"({mb_s / loop_mb_s:.3f}x loopback), ack p50/p99/p99.9 "
                      f"{r['p50_us']}/{r['p99_us']}/{r['p999_us']} us, {delivered:,} msgs, "
                      f"broker {core_s_per_m:.2f} core-s/1M msgs", flush=True)
                results[f"{key}_msgs_s"] = r["msgs_s"]
                results[f"{key}_mb_s"] = r["mb_s"]
                results[f"{key}_ratio"] = f"{mb_s / loop_mb_s:.3f}"
                results[f"{key}_p99_us"] = r["p99_us"]
                if mode == "pagecache" and size == 1024 and acks == "1":
                    # Hot consume of what was just written (+1: the loadgen's warm-up message).
                    try:
                        c = run_loadgen(loadgen, ["consume", "--brokers", broker.bootstrap,
                                                  "--topic", topic, "--count", delivered + 1,
                                                  "--size", size, "--timeout", 120])
                        broker.check_alive()
                    except RuntimeError as e:
                        print(f"consume_1k: FAILED: {e}", flush=True)
                        failed.append("consume_1k")
                        continue
                    cmb = float(c["mb_s"])
                    print(f"consume_1k: {int(c['msgs_s']):,} msgs/s {cmb:.1f} MB/s "
                          f"({cmb / loop_mb_s:.3f}x loopback), {int(c['received']):,} msgs in "
                          f"order", flush=True)
                    results["consume_1k_msgs_s"] = c["msgs_s"]
                    results["consume_1k_mb_s"] = c["mb_s"]
                    results["consume_1k_ratio"] = f"{cmb / loop_mb_s:.3f}"
            # Moderate load: fixed rate, linger 0, latency from the intended send time.
            for acks in (("all",) if mode == "durable" else ("1", "all")):
                aname = "acks1" if acks == "1" else "acksall"
                key = f"latency_1k_{aname}_{lat_rate // 1000}k_{mode}"
                try:
                    broker.create_topic(key)
                    r = run_loadgen(loadgen, ["produce", "--brokers", broker.bootstrap, "--topic",
                                              key, "--count", lat_count, "--size", 1024, "--acks",
                                              acks, "--rate", lat_rate, "--linger-ms", 0])
                    broker.check_alive()
                    print(f"{key}: {int(r['msgs_s']):,} msgs/s, ack p50/p99/p99.9/max "
                          f"{r['p50_us']}/{r['p99_us']}/{r['p999_us']}/{r['max_us']} us",
                          flush=True)
                    results[f"{key}_p50_us"] = r["p50_us"]
                    results[f"{key}_p99_us"] = r["p99_us"]
                    results[f"{key}_p999_us"] = r["p999_us"]
                except (RuntimeError, subprocess.CalledProcessError) as e:
                    print(f"{key}: FAILED: {e}", flush=True)
                    failed.append(key)
                    broker.check_alive()
        except RuntimeError as e:
            print(f"{mode} broker: FAILED: {e}", flush=True)
            failed.append(f"{mode}_broker")
        finally:
            broker.stop()

    print("summary " + " ".join(f"{k}={v}" for k, v in results.items())
          + f" failed={','.join(failed) or 'none'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
