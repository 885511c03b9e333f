// Broker configuration with Kafka's key names, so operators carry their server.properties over.
//
// A ConfigDef lists every key Eddy understands: its type, default, bounds and a one-line doc.
// parse_properties() reads Java-properties text; BrokerConfig::load() applies the file and then
// the --override pairs (or any list of sources: `eddy broker` puts the environment between them,
// runtime/env_config.h) over the defaults, rejecting unknown keys and invalid values with one
// clear line. Topic-level keys (cleanup.policy, retention.ms, …) have broker-level defaults
// (log.cleanup.policy, log.retention.ms, …) as in Kafka; TopicConfig resolves them with their
// source (default, broker, or dynamic topic config).
//
// This file does no I/O: the runtime reads the file and passes its text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/result.h"
#include "core/base/time.h"
#include "core/env/log.h"
#include "services/security/sasl_config.h"

namespace eddy::config {

// policy: cleanup.policy's list; double_: Kafka's DOUBLE (min.cleanable.dirty.ratio, bounds 0-1);
// choice: a string from the fixed set in the key's doc line (`a|b|c` before the first space).
enum class ConfigType : uint8_t { boolean, int32, int64, double_, string, list, policy, choice };

struct KeyDef {
    std::string_view name;
    ConfigType type;
    std::string_view default_value;
    int64_t min = INT64_MIN;
    int64_t max = INT64_MAX;
    std::string_view doc;
};

// Every broker-level key, sorted by name.
const std::vector<KeyDef>& broker_keys();
// Every topic-level key with the broker key that supplies its default.
struct TopicKeyDef {
    std::string_view name;
    std::string_view broker_key;  // empty: no broker-level default
    ConfigType type;
    std::string_view default_value;
    int64_t min = INT64_MIN;
    int64_t max = INT64_MAX;
    std::string_view doc;
};
const std::vector<TopicKeyDef>& topic_keys();
const TopicKeyDef* find_topic_key(std::string_view name);

// Parses Java-properties text: `key=value` or `key: value`, # and ! comments, trailing-backslash
// continuations. Errors name the line.
Result<std::vector<std::pair<std::string, std::string>>, std::string> parse_properties(
    std::string_view text);

// The values a ConfigType::choice key takes (Kafka's ValidString: exact, case-sensitive).
std::vector<std::string_view> choice_values(std::string_view key);

// Checks one value against its type and bounds; returns a one-line reason when invalid.
std::optional<std::string> check_value(ConfigType type, int64_t min, int64_t max,
                                       std::string_view key, std::string_view value);

struct Listener {
    std::string name;  // PLAINTEXT, CONTROLLER, …
    std::string host;
    uint16_t port = 0;
};

// Kafka's security protocols, with the ids Kafka gives them on the wire (BrokerRegistration).
enum class SecurityProtocol : uint8_t { plaintext = 0, ssl = 1, sasl_plaintext = 2, sasl_ssl = 3 };
const char* to_string(SecurityProtocol p);
// SSL and SASL_SSL run over TLS.
inline bool uses_tls(SecurityProtocol p) {
    return p == SecurityProtocol::ssl || p == SecurityProtocol::sasl_ssl;
}

// Every ssl.* key of a TLS endpoint with its value: what net-posix's TLS settings are built from.
using SslProperties = std::map<std::string, std::string, std::less<>>;

// One entry of controller.quorum.voters: `id@host:port` (an IPv6 host in brackets).
struct QuorumVoter {
    int32_t id = -1;
    std::string host;  // lower-cased, without brackets
    uint16_t port = 0;
    bool operator==(const QuorumVoter&) const = default;
};

// Parses controller.quorum.voters ("1@host:9093,2@other:9093"): at least one voter, ids unique
// and >= 0, ports 1-65535. Fails with one line naming the bad entry.
Result<std::vector<QuorumVoter>, std::string> parse_quorum_voters(std::string_view value);
// The voters as "id@host:port,…" sorted by id, hosts lower-cased, IPv6 hosts in brackets: the
// same set of voters always gives the same text, however the config spelled it.
std::string normalized_quorum_voters(std::vector<QuorumVoter> voters);

// How this node dials a listener of another node: the listener (its name in this node's config),
// its security protocol (TLS for SSL / SASL_SSL) and, for SASL_PLAINTEXT / SASL_SSL, the login.
struct OutboundSecurity {
    std::string listener;
    SecurityProtocol protocol = SecurityProtocol::plaintext;
    std::optional<security::SaslLogin> sasl;
};

// Whether load() accepts `key`: a broker key, a listener.name.<listener>. form of an ssl.* or
// sasl.* key, or an admin. form of an ssl.* key.
bool is_broker_key(const std::string& key);

// One layer of configuration: key/value pairs and where they came from, the prefix of any error
// about them ("config file", "--override", "environment variable KAFKA_NUM_PARTITIONS").
struct ConfigSource {
    std::string origin;
    std::vector<std::pair<std::string, std::string>> pairs;
};

class BrokerConfig {
public:
    // Defaults, then the file's pairs, then the overrides (later wins). Fails with one line.
    static Result<BrokerConfig, std::string> load(
        const std::vector<std::pair<std::string, std::string>>& file,
        const std::vector<std::pair<std::string, std::string>>& overrides);
    // Defaults, then each source in order (later wins): an unknown key or an invalid value fails
    // with one line that starts with the source's origin.
    static Result<BrokerConfig, std::string> load(const std::vector<ConfigSource>& sources);

    const std::string& get(std::string_view key) const;
    int64_t get_int(std::string_view key) const;
    bool get_bool(std::string_view key) const;
    std::vector<std::string> get_list(std::string_view key) const;
    // Keys set explicitly (by the file or an override), for DescribeConfigs' source field.
    bool is_set(std::string_view key) const { return explicitly_set_.contains(std::string(key)); }

    int32_t node_id() const { return static_cast<int32_t>(get_int("node.id")); }
    const std::string& log_dir() const { return log_dir_; }
    // log.level and log.format, checked when the configuration was read.
    LogLevels log_levels() const;
    LogFormat log_format() const;
    const std::vector<Listener>& listeners() const { return listeners_; }
    const std::vector<Listener>& advertised_listeners() const { return advertised_; }
    bool is_controller_listener(const std::string& name) const;
    // "broker" or "controller" is in process.roles.
    bool has_role(std::string_view role) const;
    // controller.quorum.voters, parsed (load() refuses a config where it does not parse).
    const std::vector<QuorumVoter>& quorum_voters() const { return voters_; }
    // What this build cannot honour, as one line (nullopt: servable): a listener without a
    // listener.security.protocol.map entry, a SASL listener without a mechanism Eddy serves, an
    // inter-broker or controller connection this node could not authenticate
    // (inter_broker_client(), controller_client()). load() refuses such a config: it is never
    // served differently from what it asks.
    std::optional<std::string> check_servable() const;
    // The security protocol of a configured listener (names are case-insensitive, as in Kafka).
    // load() guarantees every listener has one.
    SecurityProtocol security_protocol(std::string_view listener) const;
    // The ssl.* settings of a listener: every broker-level ssl.* key, overridden by
    // listener.name.<listener, lower-cased>.<ssl key> (Kafka's per-listener prefix).
    SslProperties listener_ssl(std::string_view listener) const;
    // The admin listener's ssl.* settings (admin.listener https://…): every broker-level ssl.*
    // key, overridden by admin.<ssl key>.
    SslProperties admin_ssl() const;
    // A sasl.* setting of a listener: listener.name.<listener, lower-cased>.<key>, else <key>.
    std::string listener_sasl(std::string_view listener, std::string_view key) const;
    // The JAAS line for a mechanism on a listener: listener.name.<l>.<mechanism lower-cased>
    // .sasl.jaas.config, else listener.name.<l>.sasl.jaas.config, else sasl.jaas.config.
    std::string listener_sasl_jaas(std::string_view listener, std::string_view mechanism) const;
    // The listener brokers replicate over: inter.broker.listener.name when it names a configured
    // listener, else the first client listener (empty if there is none).
    std::string inter_broker_listener() const;
    // How replica fetchers dial the other brokers: the inter-broker listener; when it is SASL,
    // the mechanism is sasl.mechanism.inter.broker.protocol and the login is that mechanism's
    // JAAS line on that listener (listener_sasl_jaas: `username`, `password`). Errors (one line):
    // no inter-broker listener, GSSAPI or another mechanism Eddy does not speak, a mechanism the
    // listener does not enable, no usable JAAS username/password.
    Result<OutboundSecurity, std::string> inter_broker_client() const;
    // How this node dials the controllers (the quorum's Raft traffic, broker registration and
    // heartbeats, forwarded requests): the first of controller.listener.names, as in Kafka, with
    // sasl.mechanism.controller.protocol and the same JAAS lookup. The same errors.
    Result<OutboundSecurity, std::string> controller_client() const;
    Duration duration_ms(std::string_view key) const { return Duration::millis(get_int(key)); }

    const std::map<std::string, std::string, std::less<>>& values() const { return values_; }

private:
    // The quorum rules, as Kafka's: a controller is among the voters and has a listener named in
    // controller.listener.names; a broker-only node is neither; node.id is set explicitly when
    // there are several voters. One line, or nullopt.
    std::optional<std::string> check_quorum() const;
    // Every ssl.* key, overridden by <prefix><ssl key> where set.
    SslProperties ssl_with_prefix(const std::string& prefix) const;
    // inter_broker_client() and controller_client(): dialling `listener` with the mechanism
    // named by `mechanism_key`.
    Result<OutboundSecurity, std::string> outbound(const std::string& listener,
                                                   std::string_view mechanism_key) const;

    std::map<std::string, std::string, std::less<>> values_;
    std::map<std::string, bool, std::less<>> explicitly_set_;
    std::string log_dir_;
    std::vector<Listener> listeners_;
    std::vector<Listener> advertised_;
    std::vector<QuorumVoter> voters_;
    std::map<std::string, SecurityProtocol, std::less<>> protocols_;  // upper-cased listener name
};

// Keys whose values DescribeConfigs must not reveal (passwords, inline private keys), including
// their listener.name.<listener>. and admin. forms.
bool is_sensitive(std::string_view key);

// "NAME://host:port,…" → listeners.
Result<std::vector<Listener>, std::string> parse_listeners(std::string_view key,
                                                           std::string_view value);

}  // namespace eddy::config
