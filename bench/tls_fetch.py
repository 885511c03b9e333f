#!/usr/bin/python3
"""Fetch throughput over TLS next to plaintext, from the same broker and the same log.

    bench/tls_fetch.py --eddy build/eddy [--loadgen build/eddy-loadgen] [--quick]

Makes a CA and a server certificate with the openssl CLI, starts one `eddy broker` with a
PLAINTEXT and an SSL listener (page-cache mode, so producing the data is quick), produces N 1 KiB
messages to one partition through the PLAINTEXT listener, then consumes all of them with
eddy-loadgen (librdkafka) twice through each listener, alternating. On PLAINTEXT the broker sends
the records with sendfile(2); on SSL it reads and encrypts them (docs/security.md "Zero copy and
TLS"), so the ratio is what TLS costs a consumer here. Prints one line per run and a `summary`
line with `tls_over_plaintext` (best SSL MB/s / best PLAINTEXT MB/s). Never asserts speed; exits
non-zero only when something broke (the broker died, a message is missing).
"""
import shutil
import subprocess
import sys
import tempfile

from produce_consume import PAGE_CACHE, Broker, bench_args, free_port, run_loadgen


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60)


def make_certs(d):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem", "-days", "2", "-subj", "/CN=bench-ca")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr", "-subj", "/CN=bench")
    with open(f"{d}/ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem", "-CAkey",
            f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/server.pem", "-days", "2",
            "-extfile", f"{d}/ext")
    with open(f"{d}/keystore.pem", "w") as f:
        f.write(open(f"{d}/server.key").read() + open(f"{d}/server.pem").read())


def main():
    args, loadgen = bench_args(__doc__, "tls_fetch.py")
    count = 100_000 if args.quick else 1_000_000
    certs = tempfile.mkdtemp(prefix="eddy-bench-tls-")
    make_certs(certs)
    ssl_port = free_port()
    broker = Broker(args.eddy, "tls", {"log.flush.interval.messages": PAGE_CACHE,
                                       "ssl.keystore.location": f"{certs}/keystore.pem"},
                    extra_listeners=f"SSL://127.0.0.1:{ssl_port},")
    plain_port = broker.port
    failed = False
    best = {"PLAINTEXT": 0.0, "SSL": 0.0}
    try:
        broker.create_topic("fetch")
        run_loadgen(loadgen, ["produce", "--brokers", broker.bootstrap, "--topic", "fetch",
                              "--count", count, "--size", 1024, "--acks", "1"])
        tls = ["-X", "security.protocol=ssl", "-X", f"ssl.ca.location={certs}/ca.pem"]
        for _ in range(2):
            for name, port, extra in (("PLAINTEXT", plain_port, []), ("SSL", ssl_port, tls)):
                # +1: the producer's warm-up message.
                c = run_loadgen(loadgen, ["consume", "--brokers", f"127.0.0.1:{port}", "--topic",
                                          "fetch", "--count", count + 1, "--size", 1024,
                                          "--timeout", 300] + extra)
                broker.check_alive()
                mb_s = float(c["mb_s"])
                best[name] = max(best[name], mb_s)
                print(f"consume_1k_{name.lower()}: {int(c['msgs_s']):,} msgs/s {mb_s:.1f} MB/s",
                      flush=True)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"FAILED: {e}", flush=True)
        failed = True
    finally:
        broker.stop()
        shutil.rmtree(certs, ignore_errors=True)
    ratio = best["SSL"] / best["PLAINTEXT"] if best["PLAINTEXT"] > 0 else 0.0
    print(f"summary plaintext_mb_s={best['PLAINTEXT']:.1f} ssl_mb_s={best['SSL']:.1f} "
          f"tls_over_plaintext={ratio:.3f} failed={int(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
