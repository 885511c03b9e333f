#!/usr/bin/python3
"""Configuration from environment variables (runtime/env_config.h), the way Kafka's container
image reads them: a real `eddy broker` started with KAFKA_* and EDDY_* variables next to a
--config file and an --override, checked through librdkafka (DescribeConfigs of the broker
resource, a topic the broker creates with its default partition count) and on disk (log.dirs from
EDDY_LOG_DIRS). Precedence: --override > environment (EDDY_ > KAFKA_) > file > defaults. A
variable that names no key is named in one warning line and ignored; Kafka's image's own
variables (KAFKA_HEAP_OPTS) are ignored silently; an invalid value fails the start with exit 2
and one line naming the variable."""
import os
import subprocess

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource

import harness as h
from harness import check, check_eq


def clean_environment(**extra):
    """This process's environment without any KAFKA_/EDDY_ variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "EDDY_"))}
    env.update(extra)
    return env


class EnvBroker(h.Broker):
    """A broker whose log.dirs comes from the environment: the harness's log.dirs override is
    left out."""

    def command(self):
        cmd = super().command()
        i = cmd.index(f"log.dirs={self.data_dir}")
        return cmd[:i - 1] + cmd[i + 1:]


class State:
    broker = None
    env_data = None


def setup():
    b = EnvBroker("env")
    State.env_data = os.path.join(b.workdir, "env-data")
    config = os.path.join(b.workdir, "server.properties")
    with open(config, "w") as f:
        f.write("num.partitions=2\nlog.retention.ms=1000\nlog.segment.bytes=2000000\n"
                f"log.dirs={b.workdir}/file-data\n")
    b.args = ["--config", config]
    b.overrides["message.max.bytes"] = "3000000"
    b.env = clean_environment(
        KAFKA_NUM_PARTITIONS="3",
        EDDY_NUM_PARTITIONS="4",           # EDDY_ beats KAFKA_
        KAFKA_LOG_RETENTION_MS="5000",     # the environment beats the file
        EDDY_MESSAGE_MAX_BYTES="2000000",  # --override beats the environment
        EDDY_LOG_DIRS=State.env_data,      # ... and the file's log.dirs
        KAFKA_HEAP_OPTS="-Xmx1G",          # Kafka's image's own: ignored without a word
        EDDY_NOT_A_KEY="1")                # named in the warning
    State.broker = b.start()
    return b


def broker_configs(b):
    res = ConfigResource(ConfigResource.Type.BROKER, "1")
    admin = AdminClient(h.confluent_conf(b))  # alive until the answer is in
    entries = admin.describe_configs([res])[res].result(15)
    return {k: e.value for k, e in entries.items()}


def test_describe_configs_shows_each_layer(b):
    cfg = broker_configs(b)
    check_eq(cfg["num.partitions"], "4", "num.partitions (EDDY_ over KAFKA_ over the file)")
    check_eq(cfg["log.retention.ms"], "5000", "log.retention.ms (KAFKA_ over the file)")
    check_eq(cfg["log.segment.bytes"], "2000000", "log.segment.bytes (the file alone)")
    check_eq(cfg["message.max.bytes"], "3000000", "message.max.bytes (--override over EDDY_)")
    check_eq(cfg["log.dirs"], State.env_data, "log.dirs (EDDY_LOG_DIRS over the file)")


def test_auto_created_topic_has_the_environments_partition_count(b):
    topic = h.unique("env-auto")
    p = Producer(h.confluent_conf(b))
    h.wait_until(lambda: h.produce_sync(p, topic, value=b"x", timeout=5) is not None, 30,
                 "a produce that auto-creates the topic")
    md = AdminClient(h.confluent_conf(b)).list_topics(topic, timeout=10)
    check_eq(len(md.topics[topic].partitions), 4, "partitions of the auto-created topic")
    check(os.path.isdir(os.path.join(State.env_data, f"{topic}-0")),
          f"{topic}-0 in the EDDY_LOG_DIRS directory {State.env_data}")
    check(os.path.isfile(os.path.join(State.env_data, "meta.properties")),
          "meta.properties in the EDDY_LOG_DIRS directory")
    check(not os.path.exists(os.path.join(b.workdir, "file-data")),
          "nothing in the config file's log.dirs")


def test_unknown_variable_named_once_kafka_image_variables_silent(b):
    with open(b.log_paths[-1], errors="replace") as f:  # the latest start's stderr
        err = f.read()
    lines = [ln for ln in err.splitlines() if "environment:" in ln]
    check_eq(lines, ["eddy broker: environment: ignored, no such configuration key: "
                     "EDDY_NOT_A_KEY (not.a.key)"], "the warning about environment variables")
    check("KAFKA_HEAP_OPTS" not in err, "KAFKA_HEAP_OPTS is not mentioned")


def test_invalid_value_refused_naming_the_variable():
    work = State.broker.workdir
    p = subprocess.run([h._args.eddy, "broker", "--override", f"log.dirs={work}/refused"],
                       env=clean_environment(EDDY_NUM_PARTITIONS="zero"), capture_output=True,
                       timeout=30, cwd=work)
    check_eq(p.returncode, 2, "exit status for an invalid value in the environment")
    check_eq(h.clean_stderr(p.stderr.decode()),
             "eddy broker: environment variable EDDY_NUM_PARTITIONS: num.partitions: expected an "
             "integer, got 'zero'\n", "stderr")


if __name__ == "__main__":
    raise SystemExit(h.main(globals(), setup))
