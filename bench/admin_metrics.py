#!/usr/bin/python3
"""Produce throughput with the admin API scraped, next to the admin API off, in the same run.

    bench/admin_metrics.py --eddy build/eddy [--loadgen build/eddy-loadgen] [--quick]

Starts one `eddy broker` with `admin.listener` empty (no HTTP server at all) and one whose
/metrics a thread scrapes ten times a second (ten times what a Prometheus scrape interval of one
second asks), and produces N 1 KiB messages (acks=1, page-cache mode) to each with eddy-loadgen
(librdkafka), alternating, twice each. The counters behind /metrics are kept either way (they are
plain integers on the produce path); what the scraped broker pays on top is building the text.
Prints one line per run and a `summary` line with `scraped_over_off` (best msgs/s scraped / best
off) and the number of scrapes. Never asserts speed; exits non-zero only when something broke.
"""
import subprocess
import sys
import threading
import urllib.request

from produce_consume import PAGE_CACHE, Broker, bench_args, free_port, run_loadgen


def main():
    args, loadgen = bench_args(__doc__, "admin_metrics.py")
    count = 100_000 if args.quick else 1_000_000
    admin_port = free_port()
    off = Broker(args.eddy, "metrics-off", {"log.flush.interval.messages": PAGE_CACHE,
                                            "admin.listener": ""})
    on = Broker(args.eddy, "metrics-on", {"log.flush.interval.messages": PAGE_CACHE,
                                          "admin.listener": f"127.0.0.1:{admin_port}"})
    stop = threading.Event()
    scrapes = [0]
    scrape_errors = []

    def scraper():
        while not stop.wait(0.1):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics",
                                            timeout=5) as r:
                    r.read()
                scrapes[0] += 1
            except OSError as e:
                scrape_errors.append(str(e))

    failed = False
    best = {"off": 0.0, "scraped": 0.0}
    t = threading.Thread(target=scraper, daemon=True)
    t.start()
    try:
        for b in (off, on):
            b.create_topic("metered")
        for _ in range(2):
            for name, b in (("off", off), ("scraped", on)):
                p = run_loadgen(loadgen, ["produce", "--brokers", b.bootstrap, "--topic",
                                          "metered", "--count", count, "--size", 1024,
                                          "--acks", "1"])
                b.check_alive()
                msgs_s = float(p["msgs_s"])
                best[name] = max(best[name], msgs_s)
                print(f"produce_1k_{name}: {int(msgs_s):,} msgs/s", flush=True)
        if scrape_errors:
            raise RuntimeError(f"{len(scrape_errors)} scrapes failed, first: {scrape_errors[0]}")
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"FAILED: {e}", flush=True)
        failed = True
    finally:
        stop.set()
        t.join()
        off.stop()
        on.stop()
    ratio = best["scraped"] / best["off"] if best["off"] > 0 else 0.0
    print(f"summary off_msgs_s={best['off']:.0f} scraped_msgs_s={best['scraped']:.0f} "
          f"scraped_over_off={ratio:.3f} scrapes={scrapes[0]} failed={int(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
