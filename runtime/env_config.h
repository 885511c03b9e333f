// Broker configuration from environment variables, the way Apache Kafka's container image
// (apache/kafka, docker/examples/README.md) reads it, so a container or a Kubernetes pod is
// configured without a file: KAFKA_<NAME> or EDDY_<NAME> sets the key <name>, where NAME is
// lower-cased and its runs of underscores become `.` (one), `_` (two) or `-` (three):
//
//     KAFKA_LOG_DIRS=/data              log.dirs=/data
//     EDDY_NUM_PARTITIONS=6             num.partitions=6
//     KAFKA_LISTENER_NAME_INTERNAL_SSL_KEYSTORE_LOCATION=/k.pem
//                                       listener.name.internal.ssl.keystore.location=/k.pem
//
// (Confluent's cp-kafka image swaps the last two rules: `__` is `-` and `___` is `_` there. No
// broker key Eddy knows has a `-` or a `_`, so the difference never shows.)
//
// Precedence, lowest first: defaults, the --config file, the environment, --override (what
// `eddy broker` does with these sources, runtime/main/config_cli.cpp); for one key EDDY_ beats
// KAFKA_. A variable with one of the prefixes that names no key is not an error, unlike such a
// key in a file: the environment is shared with everything else in a container (Kafka's image
// variables such as KAFKA_HEAP_OPTS, Kubernetes' service links such as EDDY_SERVICE_HOST, Eddy's
// own tools' EDDY_BROKERS), so those are only named in one warning line; the ones Kafka's image
// and Eddy's CLI themselves define are skipped without it. A value that is invalid for its key
// is an error naming the variable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/config/config.h"

namespace eddy {

struct EnvConfig {
    // One source per variable that names a key, origin "environment variable NAME": the
    // KAFKA_ ones, then the EDDY_ ones (so EDDY_ wins), each in name order.
    std::vector<config::ConfigSource> sources;
    // Prefixed variables that name no key, in name order: "NAME (key)".
    std::vector<std::string> ignored;
};

// The key a variable name stands for; nullopt when the name does not start with KAFKA_ or
// EDDY_, has nothing after it, starts or ends the rest with an underscore or has a run of four
// or more underscores (Kafka's image leaves those undefined).
std::optional<std::string> config_key_from_env_name(std::string_view name);

// The configuration in `environment` ("NAME=VALUE" entries, as environ holds them).
EnvConfig config_from_environment(const std::vector<std::string>& environment);

// The same for this process's environment.
EnvConfig config_from_process_environment();

}  // namespace eddy
