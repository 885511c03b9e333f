#include "services/kafka/topic_configs.h"

#include <algorithm>
#include <charconv>

#include "core/protocol/wire.h"

namespace eddy::kafka {

namespace {

int8_t kafka_type(config::ConfigType t) {
    switch (t) {
        case config::ConfigType::boolean:
            return 1;
        case config::ConfigType::string:
        case config::ConfigType::choice:
            return 2;
        case config::ConfigType::double_:
            return 6;
        case config::ConfigType::int32:
            return 3;
        case config::ConfigType::int64:
            return 5;
        case config::ConfigType::list:
        case config::ConfigType::policy:
            return 7;
    }
    return 0;
}

std::optional<int64_t> to_int(const std::string& s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

// The static broker value behind a topic key, with the broker key's name, if set explicitly.
std::optional<ConfigSynonym> broker_value(const config::BrokerConfig& b,
                                          const config::TopicKeyDef& k) {
    auto explicit_value = [&b](std::string_view key) -> std::optional<std::string> {
        if (b.is_set(key) && !b.get(key).empty()) {
            return b.get(key);
        }
        return std::nullopt;
    };
    auto scaled = [&](std::string_view key, int64_t factor) -> std::optional<ConfigSynonym> {
        if (auto v = explicit_value(key)) {
            if (auto n = to_int(*v)) {
                const int64_t ms = *n < 0 ? -1 : *n * factor;
                return ConfigSynonym{std::string(key), std::to_string(ms),
                                     config_source::static_broker};
            }
        }
        return std::nullopt;
    };
    if (k.name == "retention.ms") {
        if (auto v = scaled("log.retention.ms", 1)) {
            return v;
        }
        if (auto v = scaled("log.retention.minutes", 60'000)) {
            return v;
        }
        return scaled("log.retention.hours", 3'600'000);
    }
    if (k.name == "segment.ms") {
        if (auto v = scaled("log.roll.ms", 1)) {
            return v;
        }
        return scaled("log.roll.hours", 3'600'000);
    }
    if (k.name == "segment.jitter.ms") {
        if (auto v = scaled("log.roll.jitter.ms", 1)) {
            return v;
        }
        return scaled("log.roll.jitter.hours", 3'600'000);
    }
    if (k.broker_key.empty()) {
        return std::nullopt;
    }
    if (auto v = explicit_value(k.broker_key)) {
        return ConfigSynonym{std::string(k.broker_key), *v, config_source::static_broker};
    }
    return std::nullopt;
}

}  // namespace

std::vector<ConfigEntry> describe_topic_configs(const config::BrokerConfig& broker,
                                                const std::map<std::string, std::string>& dynamic) {
    std::vector<ConfigEntry> out;
    for (const auto& k : config::topic_keys()) {
        ConfigEntry e;
        e.name = std::string(k.name);
        e.type = kafka_type(k.type);
        e.doc = std::string(k.doc);
        if (auto it = dynamic.find(e.name); it != dynamic.end()) {
            e.synonyms.push_back({e.name, it->second, config_source::topic});
        }
        if (auto b = broker_value(broker, k)) {
            e.synonyms.push_back(*b);
        }
        const std::string default_name =
            k.broker_key.empty() ? std::string(k.name) : std::string(k.broker_key);
        e.synonyms.push_back(
            {default_name, std::string(k.default_value), config_source::default_config});
        e.value = e.synonyms.front().value;
        e.source = e.synonyms.front().source;
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<ConfigEntry> describe_broker_configs(const config::BrokerConfig& broker) {
    std::vector<ConfigEntry> out;
    for (const auto& k : config::broker_keys()) {
        ConfigEntry e;
        e.name = std::string(k.name);
        e.value = broker.get(k.name);
        e.source =
            broker.is_set(k.name) ? config_source::static_broker : config_source::default_config;
        e.read_only = true;
        e.type = kafka_type(k.type);
        e.doc = std::string(k.doc);
        if (broker.is_set(k.name)) {
            e.synonyms.push_back({e.name, e.value, config_source::static_broker});
        }
        e.synonyms.push_back({e.name, std::string(k.default_value), config_source::default_config});
        e.sensitive = config::is_sensitive(k.name);
        out.push_back(std::move(e));
    }
    return out;
}

std::optional<std::string> validate_topic_config(const std::string& key, const std::string& value) {
    const auto* k = config::find_topic_key(key);
    if (k == nullptr) {
        return "unknown topic config '" + protocol::echo(key) + "'";
    }
    if (value.empty() && k->type != config::ConfigType::string &&
        k->type != config::ConfigType::list) {
        return protocol::echo(key) + ": empty value";
    }
    if (auto why = config::check_value(k->type, k->min, k->max, key, value)) {
        return why;
    }
    if (key == "remote.storage.enable" && value == "true") {
        return "remote.storage.enable: tiered storage is not supported by this broker";
    }
    if (key == "leader.replication.throttled.replicas" ||
        key == "follower.replication.throttled.replicas") {
        // Kafka's ThrottledReplicaListValidator: "*" or partition:broker pairs.
        if (value.empty() || value == "*") {
            return std::nullopt;
        }
        size_t start = 0;
        while (start <= value.size()) {
            const size_t comma = std::min(value.find(',', start), value.size());
            const std::string item = value.substr(start, comma - start);
            const size_t colon = item.find(':');
            if (colon == std::string::npos || !to_int(item.substr(0, colon)) ||
                !to_int(item.substr(colon + 1))) {
                return protocol::echo(key) + ": expected * or partition:broker pairs, got '" +
                       protocol::echo(value) + "'";
            }
            start = comma + 1;
        }
        return std::nullopt;
    }
    if (key == "message.format.version") {
        // Kafka 3.x accepts any known version (0.8.0 … 3.x-IVn) and ignores it.
        const bool versionish = !value.empty() && value.front() >= '0' && value.front() <= '9' &&
                                value.find_first_not_of("0123456789.-IV") == std::string::npos;
        if (!versionish) {
            return protocol::echo(key) + ": '" + protocol::echo(value) + "' is not a Kafka version";
        }
        return std::nullopt;
    }
    if (!has_log_meaning(key)) {
        return std::nullopt;  // accepted by type (see log_config.h for what each one means here)
    }
    log::LogConfig probe;
    if (!probe.set(key, value).ok()) {
        return protocol::echo(key) + ": invalid value '" + protocol::echo(value) + "'";
    }
    return std::nullopt;
}

bool has_log_meaning(std::string_view key) {
    static constexpr std::string_view accepted_only[] = {
        "file.delete.delay.ms",
        "follower.replication.throttled.replicas",
        "leader.replication.throttled.replicas",
        "local.retention.bytes",
        "local.retention.ms",
        "message.downconversion.enable",
        "message.format.version",
        "min.insync.replicas",
        "preallocate",
        "remote.log.copy.disable",
        "remote.log.delete.on.disable",
        "remote.storage.enable",
        "unclean.leader.election.enable",
    };
    for (const auto k : accepted_only) {
        if (k == key) {
            return false;
        }
    }
    return true;
}

log::LogConfig broker_log_defaults(const config::BrokerConfig& broker) {
    log::LogConfig c;
    for (const auto& k : config::topic_keys()) {
        if (!has_log_meaning(k.name)) {
            continue;
        }
        if (auto b = broker_value(broker, k)) {
            (void)c.set(k.name, b->value);  // validated when the broker config was loaded
        }
    }
    return c;
}

log::LogConfig topic_log_config(const log::LogConfig& defaults,
                                const std::map<std::string, std::string>& dynamic) {
    log::LogConfig c = defaults;
    for (const auto& [key, value] : dynamic) {
        (void)c.set(key, value);  // validated when written; unknown-to-the-log keys are skipped
    }
    return c;
}

}  // namespace eddy::kafka
