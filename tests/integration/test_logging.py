"""The broker's log (issue 14, point 4) from real `eddy broker` processes: --log-format json
writes one JSON object per line with time, level, node, component and message; --log-level sets
a level for everything with per-component overrides (here warn, with kafka and net at debug: the
request log and the connection lines appear, the controller's info lines do not); the default text lines
carry the same fields; a client's string with line breaks in it cannot forge a line; bad levels
and formats are refused with one line (exit 2); the levels change at run time through Kafka's
BROKER_LOGGER config resource (KIP-412: DescribeConfigs and IncrementalAlterConfigs of type 8);
and `eddy sim run --log-level` shows a replayed run's node logs, on simulated time."""
import json
import re
import socket
import struct
import subprocess

from confluent_kafka import Producer

import harness as h
from harness import check, check_eq

FIELDS = ["time", "level", "node", "component", "message"]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TEXT_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (DEBUG|INFO |WARN |ERROR) "
                       r"\[(node-\d+)\] ([a-z]+): (.*)$")


def stderr_lines(b):
    with open(b.log_paths[-1], errors="replace") as f:
        return h.clean_stderr(f.read()).splitlines()


def json_records(b):
    out = []
    for line in stderr_lines(b):
        try:
            rec = json.loads(line)
        except ValueError:
            raise h.TestFailure(f"a stderr line that is not JSON: {line!r}")
        check_eq(list(rec.keys()), FIELDS, f"fields of {line!r}")
        check(TIME.match(rec["time"]), f"RFC 3339 time in {line!r}")
        check(rec["level"] in ("debug", "info", "warn", "error"), f"level in {line!r}")
        out.append(rec)
    return out


def produce(b, topic, n):
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 5, "acks": "all"})
    for i in range(n):
        p.produce(topic, b"v", key=str(i).encode())
    check_eq(p.flush(30), 0, "records left unflushed")


def setup():
    b = h.Broker("logs-json")
    b.args = ["--log-format", "json", "--log-level", "warn,kafka=debug,net=debug"]
    return b.start()


def test_json_lines_with_per_component_levels(b):
    t = h.unique("logs")
    h.create_topics(b, t)
    produce(b, t, 5)
    recs = h.wait_until(
        lambda: (lambda r: r if any("request Produce" in x["message"] for x in r) else None)(
            json_records(b)), 10, "a request line for Produce")
    check(all(r["node"] == "node-1" for r in recs), "every line names node-1")
    produce_lines = [r for r in recs if r["message"].startswith("request Produce v")]
    check(produce_lines, "the request log has Produce")
    check(all(r["component"] == "kafka" and r["level"] == "debug" for r in produce_lines),
          "request lines are kafka debug lines")
    check(re.match(r"^request Produce v\d+ correlation \d+ from 127\.0\.0\.1:\d+ \(connection \d+, "
                   r"PLAINTEXT\): \d+\.\d{3} ms$", produce_lines[0]["message"]),
          f"a request line's fields: {produce_lines[0]['message']!r}")
    check(any(r["component"] == "net" and re.match(r"^connection \d+ from 127\.0\.0\.1:\d+ opened$",
                                                   r["message"]) for r in recs),
          "net logs connections opened at debug")
    # Everything else logs at warn: no info or debug line from any other component (the
    # controller and the replicas log at info as a topic is created: the next test sees them).
    quiet = [r for r in recs if r["level"] in ("debug", "info") and
             r["component"] not in ("kafka", "net")]
    check_eq(quiet, [], "info/debug lines from components at warn")


def test_client_strings_cannot_forge_lines(b):
    # Metadata v99 is not served: the broker logs the client id it was sent and closes.
    client_id = b'x\n{"time":"forged","level":"error"}\r\x1b[31m'
    body = struct.pack(">hhih", 3, 99, 7, len(client_id)) + client_id + b"\x00"
    with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        s.settimeout(5)
        check_eq(s.recv(64), b"", "the connection closed")
    recs = h.wait_until(
        lambda: (lambda r: r if any("is not served" in x["message"] for x in r) else None)(
            json_records(b)), 10, "the refusal logged")
    line = [r for r in recs if "is not served" in r["message"]][-1]
    check_eq(line["level"], "warn", "level of the refusal")
    check(client_id.decode() in line["message"], f"the client id, whole: {line['message']!r}")
    check(not any(r["time"] == "forged" for r in recs), "no forged line")


def describe_loggers(b, name="1"):
    """DescribeConfigs v1 of the BROKER_LOGGER resource `name`: (error, {logger: (level,
    source)})."""
    body = struct.pack(">i", 1) + struct.pack(">b", 8) + h._str(name) + struct.pack(">i", -1)
    body += struct.pack(">b", 0)  # include_synonyms
    r = h.kafka_request(b.port, 32, 1, body)
    r.i32()  # throttle
    check_eq(r.i32(), 1, "results")
    err, _msg, _rtype, _rname = r.i16(), r.string(), r.i8(), r.string()
    out = {}
    for _ in range(r.i32()):
        key, value, _ro, source, _sensitive = r.string(), r.string(), r.i8(), r.i8(), r.i8()
        check_eq(r.i32(), 0, "synonyms (not asked for)")
        out[key] = (value, source)
    check(r.done(), "DescribeConfigs v1 response has trailing bytes")
    return err, out


def test_broker_loggers_change_levels_at_run_time(b):
    # KIP-412: the broker's loggers as the BROKER_LOGGER config resource (type 8).
    err, loggers = describe_loggers(b)
    check_eq(err, 0, "describe error")
    check_eq(loggers["root"], ("WARN", 6), "root: WARN, source DYNAMIC_BROKER_LOGGER_CONFIG")
    check_eq(loggers["kafka"][0], "DEBUG", "kafka's level")
    check_eq(loggers["controller"][0], "WARN", "the controller follows root")
    # The controller to info, net back to root's level: a topic's creation is logged by the
    # controller now, and connections no longer are.
    res = h.incremental_alter_configs(b.port, [(8, "1", [("controller", 0, "INFO"),
                                                         ("net", 1, None)])])
    check_eq(res, [(0, None, 8, "1")], "alter the loggers")
    err, loggers = describe_loggers(b)
    check_eq((loggers["controller"][0], loggers["net"][0]), ("INFO", "WARN"), "levels now")
    before = len(json_records(b))
    t = h.unique("loggers")
    h.create_topics(b, t)
    recs = h.wait_until(
        lambda: (lambda r: r if any(t in x["message"] and x["component"] == "controller"
                                    for x in r) else None)(json_records(b)[before:]),
        10, "the controller's info line about the new topic")
    check(not any(r["component"] == "net" for r in recs), "no net lines after its reset")
    # Refusals change nothing: an unknown logger, a bad level, APPEND, root's DELETE, another
    # node's name.
    for configs, code in [([("kafkaa", 0, "DEBUG")], 40), ([("raft", 0, "LOUD")], 40),
                          ([("raft", 2, "DEBUG")], 42), ([("root", 1, None)], 40),
                          ([("raft", 0, "DEBUG"), ("nope", 0, "DEBUG")], 40)]:
        (e, msg, _t, _n), = h.incremental_alter_configs(b.port, [(8, "1", configs)])
        check_eq(e, code, f"error for {configs} ({msg})")
    (e, _m, _t, _n), = h.incremental_alter_configs(b.port, [(8, "7", [("raft", 0, "DEBUG")])])
    check_eq(e, 42, "another node's loggers")
    check_eq(describe_loggers(b, "7")[0], 42, "describe another node's loggers")
    check_eq(describe_loggers(b)[1]["raft"][0], "WARN", "raft unchanged by the refusals")
    # validate_only changes nothing either; a topic and the loggers in one request both apply.
    h.incremental_alter_configs(b.port, [(8, "1", [("raft", 0, "DEBUG")])], validate_only=True)
    check_eq(describe_loggers(b)[1]["raft"][0], "WARN", "raft unchanged by validate_only")
    res = h.incremental_alter_configs(b.port, [(2, t, [("retention.ms", 0, "60000")]),
                                               (8, "1", [("root", 0, "ERROR")])])
    check_eq(sorted(x[0] for x in res), [0, 0], f"both resources altered: {res}")
    check_eq(describe_loggers(b)[1]["replica"][0], "ERROR", "replica follows root to ERROR")


def test_default_text_lines_at_info():
    b = h.Broker("logs-text").start()
    try:
        t = h.unique("logs")
        h.create_topics(b, t)
        produce(b, t, 3)
        lines = stderr_lines(b)
        check(lines, "the broker logged at start-up")
        components = set()
        for line in lines:
            m = TEXT_LINE.match(line)
            check(m, f"a text line: {line!r}")
            check(m.group(2) != "DEBUG", f"no debug line at the default level: {line!r}")
            components.add(m.group(4))
        check({"controller", "kafka", "replica"} <= components,
              f"the controller, the broker and the replicas log at info: {components}")
    finally:
        b.stop()


def test_bad_levels_and_formats_are_refused():
    for args, expect in [
            (["--log-level", "loud"], "'loud' is not debug, info, warn, error or off"),
            (["--log-level", "info,kafkaa=debug"], "no component 'kafkaa' (components: admin,"),
            (["--log-format", "xml"], "log.format: expected one of text, json, got 'xml'"),
            (["--override", "log.level=info,warn"], "two levels for everything")]:
        b = h.Broker("logs-bad")
        b.args = args
        p = subprocess.run(b.command(), capture_output=True, timeout=30, cwd=b.workdir)
        err = h.clean_stderr(p.stderr.decode(errors="replace"))
        check_eq(p.returncode, 2, f"exit status for {args}")
        check_eq(len(err.splitlines()), 1, f"one line for {args}: {err!r}")
        check(expect in err, f"{args}: {err!r} names {expect!r}")
        b.close()


def test_sim_run_shows_node_logs_on_simulated_time():
    cmd = [h._args.eddy, "sim", "run", "--scenario", "admin-metrics", "--seed", "3"]
    quiet = subprocess.run(cmd, capture_output=True, timeout=300)
    loud = subprocess.run(cmd + ["--log-level", "info,raft=debug", "--log-format", "json"],
                          capture_output=True, timeout=300)
    check_eq(loud.returncode, quiet.returncode, "the same verdict with logs on")
    check_eq(h.clean_stderr(quiet.stderr.decode()), "", "no log lines by default")
    hash_of = lambda p: re.search(rb"trace_hash=(\w+)", p.stdout).group(1)  # noqa: E731
    check_eq(hash_of(loud), hash_of(quiet), "the same trace with logs on")
    recs = [json.loads(x) for x in h.clean_stderr(loud.stderr.decode()).splitlines()]
    check(recs, "node logs on stderr")
    check(all(list(r.keys()) == FIELDS for r in recs), "JSON lines")
    check(any(r["component"] == "kafka" for r in recs), "kafka lines")
    check(all(r["level"] != "debug" or r["component"] == "raft" for r in recs),
          "debug lines only from raft")
    # Simulated wall clocks start at the simulator's epoch (2024-01-01), not at the real time.
    check(all("2023" < r["time"] < "2025" for r in recs), f"simulated times: {recs[0]['time']}")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
