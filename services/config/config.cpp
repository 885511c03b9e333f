#include "services/config/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "core/base/ascii.h"
#include "core/base/assert.h"
#include "core/protocol/wire.h"
#include "services/security/sasl_config.h"

namespace eddy::config {
namespace {

constexpr int64_t int32_max = INT32_MAX;
// Kafka's per-listener key prefix: listener.name.<listener, lower-cased>.<key>.
constexpr std::string_view listener_prefix = "listener.name.";
// The admin listener's TLS keys: admin.<ssl key>, over the broker's <ssl key>.
constexpr std::string_view admin_prefix = "admin.";

// Kafka's listener names are case-insensitive (it upper-cases them; the per-listener key prefix
// uses the lower-cased name).
std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    return s;
}
constexpr int64_t ms_per_hour = 3600 * 1000;

std::vector<std::string> split_list(std::string_view v) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= v.size()) {
        const size_t comma = v.find(',', start);
        const auto item = trim_whitespace(
            v.substr(start, comma == std::string_view::npos ? v.npos : comma - start));
        if (!item.empty()) {
            out.emplace_back(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

std::optional<int64_t> parse_int(std::string_view v) {
    int64_t x = 0;
    const auto* end = v.data() + v.size();
    auto [p, ec] = std::from_chars(v.data(), end, x);
    if (ec != std::errc() || p != end) {
        return std::nullopt;
    }
    return x;
}

// "<mechanism, lower-cased>.sasl.jaas.config": the per-mechanism JAAS key under a listener prefix.
bool sasl_mechanism_jaas_key(std::string_view base) {
    constexpr std::string_view suffix = ".sasl.jaas.config";
    if (!base.ends_with(suffix) || base.size() == suffix.size()) {
        return false;
    }
    const std::string_view mechanism = base.substr(0, base.size() - suffix.size());
    return mechanism.find('.') == std::string_view::npos;
}

}  // namespace

std::vector<std::string_view> choice_values(std::string_view key) {
    if (key == "compression.type") {
        return {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"};
    }
    if (key == "message.timestamp.type" || key == "log.message.timestamp.type") {
        return {"CreateTime", "LogAppendTime"};
    }
    if (key == "admin.authentication.method") {
        return {"NONE", "BASIC"};
    }
    if (key == "log.format") {
        return {"text", "json"};
    }
    if (key == "ssl.client.auth") {
        return {"none", "requested", "required"};
    }
    if (key == "ssl.keystore.type" || key == "ssl.truststore.type") {
        // JKS is refused here with the rest: Eddy reads no Java keystores.
        return {"PEM", "PKCS12"};
    }
    return {};
}

const std::vector<KeyDef>& broker_keys() {
    using T = ConfigType;
    static const std::vector<KeyDef> keys = {
        {"admin.authentication.method", T::choice, "NONE", 0, 0,
         "NONE|BASIC Eddy: BASIC asks the admin API's clients for HTTP Basic credentials, checked "
         "against the SCRAM users; /v1/health and /v1/ready stay open (docs/operations.md)"},
        {"admin.listener", T::string, "127.0.0.1:9644", 0, 0,
         "Eddy: [http://|https://]host:port of the HTTP admin API (/metrics, /v1/health, "
         "/v1/ready, /v1/cluster, /v1/config); empty disables it; https serves TLS with the "
         "ssl.* keys, each overridden by admin.ssl.*. A busy default port only warns; a set one "
         "must bind"},
        {"advertised.listeners", T::list, "", 0, 0,
         "Listeners to publish to clients (default: listeners without the controller ones)"},
        {"allow.everyone.if.no.acl.found", T::boolean, "false", 0, 0,
         "With an authorizer: a resource no ACL names is open to everyone"},
        {"auto.create.topics.enable", T::boolean, "true", 0, 0,
         "Create a topic on first metadata request or produce to it"},
        {"audit.log.file", T::string, "", 0, 0,
         "Eddy: JSON lines of authorization denials and admin actions, a path relative to the "
         "data directory (empty: no audit log)"},
        {"audit.log.grants", T::boolean, "false", 0, 0,
         "Eddy: also write a line per authorization grant"},
        {"audit.log.max.bytes", T::int64, "104857600", 1024, INT64_MAX,
         "Eddy: rotate the audit log when it would grow past this"},
        {"audit.log.max.files", T::int32, "5", 0, 1000,
         "Eddy: rotated audit log files kept (audit.log.file.1 ... .N)"},
        {"authorizer.class.name", T::string, "", 0, 0,
         "Empty: no authorization; org.apache.kafka.metadata.authorizer.StandardAuthorizer or "
         "eddy.StandardAuthorizer: ACLs from the metadata log (docs/security.md)"},
        {"auto.leader.rebalance.enable", T::boolean, "true", 0, 0,
         "The active controller moves leadership back to preferred replicas when unbalanced"},
        {"broker.heartbeat.interval.ms", T::int32, "2000", 1, int32_max,
         "How often a broker heartbeats to the active controller"},
        {"broker.rack", T::string, "", 0, 0,
         "The broker's rack (unset: none), for rack-aware replica placement"},
        {"broker.session.timeout.ms", T::int32, "9000", 1, int32_max,
         "A broker without a heartbeat for this long is fenced by the controller"},
        {"compression.gzip.level", T::int32, "-1", -1, 9,
         "gzip level (1-9, -1: zlib default) for broker-side recompression"},
        {"compression.lz4.level", T::int32, "9", 1, 17, "lz4 level for broker-side recompression"},
        {"compression.type", T::choice, "producer", 0, 0,
         "producer|uncompressed|gzip|snappy|lz4|zstd (default of topic compression.type)"},
        {"compression.zstd.level", T::int32, "3", -131072, 22,
         "zstd level for broker-side recompression"},
        {"connections.max.idle.ms", T::int64, "600000", 1000, INT64_MAX,
         "Close connections idle for this long"},
        {"connections.max.reauth.ms", T::int64, "0", 0, INT64_MAX,
         "KIP-368: a SASL session's lifetime (0: as long as the connection); clients "
         "re-authenticate before it ends, an expired connection is closed at its next request"},
        {"controller.listener.names", T::list, "CONTROLLER", 0, 0,
         "Listeners used by the controller quorum"},
        {"controller.quorum.election.backoff.max.ms", T::int32, "1000", 1, int32_max,
         "Longest wait before a candidate that lost an election tries again (exponential backoff)"},
        {"controller.quorum.election.timeout.ms", T::int32, "1000", 1, int32_max,
         "A voter that hears no leader for this long (plus jitter) starts an election"},
        {"controller.quorum.fetch.timeout.ms", T::int32, "2000", 1, int32_max,
         "A follower that cannot fetch from the leader for this long starts an election; a leader "
         "without fetches from a majority for this long resigns"},
        {"controller.quorum.request.timeout.ms", T::int32, "2000", 1, int32_max,
         "How long a quorum request (Vote, Fetch, BeginQuorumEpoch, ...) waits for its answer"},
        {"controller.quorum.voters", T::list, "1@127.0.0.1:9093", 0, 0,
         "id@host:port of every controller voter; the same on every node of a cluster (it also "
         "derives the cluster id of a data directory formatted at first start)"},
        {"default.replication.factor", T::int32, "1", 1, 32767,
         "Replication factor of auto-created topics"},
        {"delete.topic.enable", T::boolean, "true", 0, 0, "Allow deleting topics"},
        {"fetch.max.bytes", T::int32, "57671680", 1024, int32_max,
         "Most record bytes in one Fetch response (the first batch is sent whole even if larger)"},
        {"group.initial.rebalance.delay.ms", T::int32, "3000", 0, int32_max,
         "Wait this long for more members before the first rebalance of an empty group"},
        {"producer.id.expiration.ms", T::int32, "86400000", 1, int32_max,
         "Forget an idempotent producer after this long without a write"},
        {"group.max.session.timeout.ms", T::int32, "1800000", 1, int32_max,
         "Largest session timeout a consumer may ask for"},
        {"group.min.session.timeout.ms", T::int32, "6000", 1, int32_max,
         "Smallest session timeout a consumer may ask for"},
        {"inter.broker.listener.name", T::string, "PLAINTEXT", 0, 0,
         "Listener brokers use among themselves"},
        {"leader.imbalance.check.interval.seconds", T::int64, "300", 1, INT64_MAX / 1000,
         "How often the active controller checks leader imbalance"},
        {"leader.imbalance.per.broker.percentage", T::int32, "10", 0, 100,
         "Preferred partitions of a broker led elsewhere (percent) that trigger a rebalance"},
        {"listener.security.protocol.map", T::list,
         "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:"
         "SASL_SSL",
         0, 0, "Security protocol of each listener name"},
        {"listeners", T::list, "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093", 0, 0,
         "NAME://host:port to listen on"},
        {"log.cleaner.delete.retention.ms", T::int64, "86400000", 0, INT64_MAX,
         "How long tombstones are kept in compacted topics"},
        {"log.cleaner.max.compaction.lag.ms", T::int64, "9223372036854775807", 1, INT64_MAX,
         "A record stays uncompacted at most this long"},
        {"log.cleaner.min.cleanable.ratio", T::double_, "0.5", 0, 1,
         "Dirty ratio at which a log gets compacted"},
        {"log.cleaner.min.compaction.lag.ms", T::int64, "0", 0, INT64_MAX,
         "A record stays uncompacted at least this long"},
        {"log.cleanup.policy", T::policy, "delete", 0, 0, "delete, compact, or compact,delete"},
        {"log.dir", T::string, "", 0, 0, "Alias of log.dirs (one directory)"},
        {"log.dirs", T::string, "./eddy-data", 0, 0, "Data directory"},
        {"log.format", T::choice, "text", 0, 0,
         "Eddy: text or json (one JSON object per line) for the broker's log on stderr"},
        {"log.level", T::string, "info", 0, 0,
         "Eddy: debug|info|warn|error|off, with per-component overrides: info,raft=debug "
         "(components: docs/operations.md). --log-level sets it too"},
        {"log.flush.interval.messages", T::int64, "1", 1, INT64_MAX,
         "Sync after this many messages; 1 = acknowledge only synced data (Eddy's default)"},
        {"log.flush.interval.ms", T::int64, "", 0, INT64_MAX,
         "Default flush.ms: with flush.messages > 1, sync once this long has passed since the last "
         "sync (unset: no timer)"},
        {"log.index.interval.bytes", T::int32, "4096", 0, int32_max,
         "Bytes between offset-index entries"},
        {"log.index.size.max.bytes", T::int32, "10485760", 4, int32_max,
         "Roll a segment once its offset or time index holds this many bytes"},
        {"log.local.retention.bytes", T::int64, "-2", -2, INT64_MAX,
         "Tiered storage (not supported; accepted)"},
        {"log.local.retention.ms", T::int64, "-2", -2, INT64_MAX,
         "Tiered storage (not supported; accepted)"},
        {"log.message.downconversion.enable", T::boolean, "true", 0, 0,
         "Accepted; Eddy never down-converts (it serves RecordBatch v2 only)"},
        {"log.message.format.version", T::string, "3.0-IV1", 0, 0,
         "Accepted and ignored, as in Kafka 3.x (always RecordBatch v2)"},
        {"log.message.timestamp.after.max.ms", T::int64, "9223372036854775807", 0, INT64_MAX,
         "Refuse CreateTime timestamps further than this in the future"},
        {"log.message.timestamp.before.max.ms", T::int64, "9223372036854775807", 0, INT64_MAX,
         "Refuse CreateTime timestamps further than this in the past"},
        {"log.message.timestamp.difference.max.ms", T::int64, "9223372036854775807", 0, INT64_MAX,
         "Deprecated: both bounds unless before/after.max.ms are set"},
        {"log.message.timestamp.type", T::choice, "CreateTime", 0, 0, "CreateTime|LogAppendTime"},
        {"log.preallocate", T::boolean, "false", 0, 0,
         "Accepted; Eddy does not preallocate segments"},
        {"log.retention.bytes", T::int64, "-1", -1, INT64_MAX,
         "Per-partition size limit (-1 = none)"},
        {"log.retention.check.interval.ms", T::int64, "300000", 1, INT64_MAX,
         "How often retention is checked"},
        {"log.retention.hours", T::int32, "168", -1, int32_max, "Retention time in hours"},
        {"log.retention.minutes", T::int32, "", -1, int32_max,
         "Retention time in minutes (overrides hours)"},
        {"log.retention.ms", T::int64, "", -1, INT64_MAX,
         "Retention time in ms (overrides minutes)"},
        {"log.roll.hours", T::int32, "168", 1, int32_max, "Roll a segment after this many hours"},
        {"log.roll.jitter.hours", T::int32, "0", 0, int32_max,
         "Random jitter subtracted from segment.ms"},
        {"log.roll.jitter.ms", T::int64, "", 0, INT64_MAX, "Jitter in ms (overrides hours)"},
        {"log.roll.ms", T::int64, "", 1, INT64_MAX,
         "Roll a segment after this many ms (overrides hours)"},
        {"log.segment.bytes", T::int32, "1073741824", 14, int32_max, "Segment size"},
        {"log.segment.delete.delay.ms", T::int64, "60000", 0, INT64_MAX,
         "Accepted; Eddy deletes files at once (readers keep them open)"},
        {"log.storage.quota.bytes", T::int64, "-1", -1, INT64_MAX,
         "Default storage.quota.bytes of topics (Eddy; -1 = none)"},
        {"max.connection.creation.rate", T::int32, "2147483647", 0, int32_max,
         "New connections accepted per second across all listeners; beyond it the acceptors "
         "wait (KIP-612)"},
        {"max.connections", T::int32, "2147483647", 0, int32_max,
         "Connections the broker accepts in all; at the limit it stops accepting until one closes"},
        {"max.connections.per.ip", T::int32, "2147483647", 0, int32_max,
         "Connections accepted from one IP address; more are closed at once"},
        {"max.connections.per.ip.overrides", T::string, "", 0, 0,
         "Per-address exceptions to max.connections.per.ip: host:count,host:count"},
        {"max.incremental.fetch.session.cache.slots", T::int32, "1000", 0, int32_max,
         "Most KIP-227 incremental fetch sessions (consumers' and followers') the broker keeps"},
        {"message.max.bytes", T::int32, "1048588", 0, int32_max, "Largest record batch accepted"},
        {"min.insync.replicas", T::int32, "1", 1, int32_max,
         "Replicas that must have a write for acks=all"},
        {"node.id", T::int32, "1", 0, int32_max, "This node's id"},
        {"num.partitions", T::int32, "1", 1, int32_max, "Partitions of auto-created topics"},
        {"offsets.commit.timeout.ms", T::int32, "5000", 1, int32_max,
         "A group coordinator's write waits this long to be replicated to the ISR"},
        {"offsets.retention.minutes", T::int32, "10080", 1, int32_max,
         "Committed offsets of empty groups are kept this long"},
        {"offsets.topic.num.partitions", T::int32, "50", 1, 1000,
         "Partitions of __consumer_offsets"},
        {"offsets.topic.replication.factor", T::int32, "3", 1, 32767,
         "Replication factor of __consumer_offsets (capped at the live brokers)"},
        {"process.roles", T::list, "broker,controller", 0, 0, "broker, controller, or both"},
        {"queued.max.request.bytes", T::int64, "-1", -1, INT64_MAX,
         "Request bytes the broker holds in all before it stops reading requests (-1 = no limit)"},
        {"quota.window.num", T::int32, "11", 1, int32_max,
         "Windows a client quota's rate is measured over; bounds one throttle to num x size"},
        {"quota.window.size.seconds", T::int32, "1", 1, 3600,
         "Length of one quota window; a client may burst one window's worth of its quota"},
        {"replica.fetch.backoff.ms", T::int32, "1000", 0, int32_max,
         "A follower waits this long after a failed fetch before trying again"},
        {"replica.fetch.max.bytes", T::int32, "1048576", 1, int32_max,
         "Bytes a follower asks per partition in one fetch (a larger first batch still comes)"},
        {"replica.fetch.response.max.bytes", T::int32, "10485760", 1, int32_max,
         "Bytes a follower asks in all in one fetch"},
        {"replica.fetch.wait.max.ms", T::int32, "500", 0, int32_max,
         "How long a leader holds a follower's fetch when it has nothing new"},
        {"replica.lag.time.max.ms", T::int64, "30000", 1, INT64_MAX,
         "A follower that has not caught up with the leader for this long leaves the ISR"},
        {"replica.socket.timeout.ms", T::int32, "30000", 1, int32_max,
         "A follower's fetch fails after this long without an answer"},
        // SASL (docs/security.md): PLAIN users come from the JAAS line's user_<name>="password"
        // options; SCRAM credentials from the metadata log. GSSAPI is Kafka's default and is not
        // served: a SASL listener must enable PLAIN or SCRAM explicitly.
        {"sasl.enabled.mechanisms", T::list, "GSSAPI", 0, 0,
         "Mechanisms a SASL listener offers: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"},
        {"sasl.jaas.config", T::string, "", 0, 0,
         "JAAS line of a SASL listener (per listener and mechanism: "
         "listener.name.<l>.<mechanism>.sasl.jaas.config)"},
        {"sasl.mechanism.controller.protocol", T::string, "GSSAPI", 0, 0,
         "Mechanism nodes authenticate with to a SASL controller listener (PLAIN, SCRAM-SHA-256, "
         "SCRAM-SHA-512)"},
        {"sasl.mechanism.inter.broker.protocol", T::string, "GSSAPI", 0, 0,
         "Mechanism brokers authenticate with to a SASL inter-broker listener (PLAIN, "
         "SCRAM-SHA-256, SCRAM-SHA-512)"},
        {"sasl.server.max.receive.size", T::int32, "524288", 1, int32_max,
         "Largest frame a connection may send before it has authenticated"},
        {"socket.request.max.bytes", T::int32, "104857600", 1, int32_max,
         "Largest request frame accepted; larger ones close the connection"},
        {"ssl.cipher.suites", T::list, "", 0, 0,
         "TLS cipher suites (IANA or OpenSSL names; empty: OpenSSL's defaults)"},
        {"ssl.client.auth", T::choice, "none", 0, 0,
         "none|requested|required: ask SSL clients for a certificate (requested: verified when "
         "sent; required: refuse clients without a trusted one)"},
        {"ssl.enabled.protocols", T::list, "TLSv1.2,TLSv1.3", 0, 0,
         "TLS versions accepted (TLSv1.2, TLSv1.3)"},
        {"ssl.endpoint.identification.algorithm", T::string, "https", 0, 0,
         "https: this broker's outgoing TLS connections check the server's host name; empty: off"},
        {"ssl.key.password", T::string, "", 0, 0, "Password of an encrypted private key"},
        {"ssl.keymanager.algorithm", T::string, "SunX509", 0, 0,
         "Accepted and ignored (a Java setting; Eddy uses OpenSSL)"},
        {"ssl.keystore.certificate.chain", T::string, "", 0, 0,
         "PEM certificate chain, inline (with ssl.keystore.key, instead of a location)"},
        {"ssl.keystore.key", T::string, "", 0, 0,
         "PEM private key, inline (with ssl.keystore.certificate.chain)"},
        {"ssl.keystore.location", T::string, "", 0, 0,
         "Keystore file: PEM (private key and certificate chain) or PKCS12; reloaded when it "
         "changes"},
        {"ssl.keystore.password", T::string, "", 0, 0, "Password of a PKCS12 keystore"},
        {"ssl.keystore.type", T::choice, "PEM", 0, 0, "PEM|PKCS12 (JKS is not supported)"},
        {"ssl.principal.mapping.rules", T::string, "DEFAULT", 0, 0,
         "How an SSL client certificate's subject becomes the principal name (KIP-371 rules)"},
        {"ssl.protocol", T::string, "TLSv1.3", 0, 0,
         "Accepted; the versions are ssl.enabled.protocols"},
        {"ssl.secure.random.implementation", T::string, "", 0, 0,
         "Accepted and ignored (a Java setting; Eddy uses OpenSSL)"},
        {"ssl.trustmanager.algorithm", T::string, "PKIX", 0, 0,
         "Accepted and ignored (a Java setting; Eddy uses OpenSSL)"},
        {"ssl.truststore.certificates", T::string, "", 0, 0,
         "PEM CA certificates, inline (instead of a location)"},
        {"ssl.truststore.location", T::string, "", 0, 0,
         "Truststore file (PEM certificates or PKCS12) of the CAs trusted for client "
         "certificates; empty: the system's CAs; reloaded when it changes"},
        {"ssl.truststore.password", T::string, "", 0, 0, "Password of a PKCS12 truststore"},
        {"ssl.truststore.type", T::choice, "PEM", 0, 0, "PEM|PKCS12 (JKS is not supported)"},
        {"super.users", T::string, "", 0, 0,
         "Principals (User:name) separated by semicolons that every ACL check allows"},
        {"unclean.leader.election.enable", T::boolean, "false", 0, 0,
         "Accepted; leaders are elected from the ISR only (no unclean election yet)"},
    };
    return keys;
}

const std::vector<TopicKeyDef>& topic_keys() {
    using T = ConfigType;
    constexpr int64_t long_max = INT64_MAX;
    // Every topic-level key of Kafka 3.x (its TopicConfig and LogConfig), sorted by name, with the
    // broker key that supplies its default (Kafka's ServerTopicConfigSynonyms). Keys Eddy accepts
    // without acting on them say so in their doc line; docs/broker.md "Configs" says why.
    static const std::vector<TopicKeyDef> keys = {
        {"cleanup.policy", "log.cleanup.policy", T::policy, "delete", 0, 0,
         "delete, compact, or compact,delete"},
        {"compression.gzip.level", "compression.gzip.level", T::int32, "-1", -1, 9,
         "gzip level (1-9, -1: zlib default) for recompression"},
        {"compression.lz4.level", "compression.lz4.level", T::int32, "9", 1, 17,
         "lz4 level for recompression"},
        {"compression.type", "compression.type", T::choice, "producer", 0, 0,
         "producer|uncompressed|gzip|snappy|lz4|zstd: producer keeps batches as sent, any other "
         "value recompresses them"},
        {"compression.zstd.level", "compression.zstd.level", T::int32, "3", -131072, 22,
         "zstd level for recompression"},
        {"delete.retention.ms", "log.cleaner.delete.retention.ms", T::int64, "86400000", 0,
         long_max, "How long tombstones are kept"},
        {"file.delete.delay.ms", "log.segment.delete.delay.ms", T::int64, "60000", 0, long_max,
         "Accepted; Eddy deletes files at once (readers keep them open)"},
        {"flush.messages", "log.flush.interval.messages", T::int64, "1", 1, long_max,
         "Sync after this many messages"},
        {"flush.ms", "log.flush.interval.ms", T::int64, "9223372036854775807", 0, long_max,
         "With flush.messages > 1: sync once this long has passed since the last sync"},
        {"follower.replication.throttled.replicas", "", T::list, "", 0, 0,
         "Accepted; replication throttling is not implemented"},
        {"index.interval.bytes", "log.index.interval.bytes", T::int32, "4096", 0, int32_max,
         "Bytes between offset-index entries"},
        {"leader.replication.throttled.replicas", "", T::list, "", 0, 0,
         "Accepted; replication throttling is not implemented"},
        {"local.retention.bytes", "log.local.retention.bytes", T::int64, "-2", -2, long_max,
         "Tiered storage (not supported; accepted)"},
        {"local.retention.ms", "log.local.retention.ms", T::int64, "-2", -2, long_max,
         "Tiered storage (not supported; accepted)"},
        {"max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", T::int64,
         "9223372036854775807", 1, long_max, "A record stays uncompacted at most this long"},
        {"max.message.bytes", "message.max.bytes", T::int32, "1048588", 0, int32_max,
         "Largest record batch accepted (its size as sent, compressed)"},
        {"message.downconversion.enable", "log.message.downconversion.enable", T::boolean, "true",
         0, 0, "Accepted; Eddy never down-converts"},
        {"message.format.version", "log.message.format.version", T::string, "3.0-IV1", 0, 0,
         "Accepted and ignored, as in Kafka 3.x"},
        {"message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms", T::int64,
         "9223372036854775807", 0, long_max,
         "Refuse CreateTime timestamps further than this in the future"},
        {"message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms", T::int64,
         "9223372036854775807", 0, long_max,
         "Refuse CreateTime timestamps further than this in the past"},
        {"message.timestamp.difference.max.ms", "log.message.timestamp.difference.max.ms", T::int64,
         "9223372036854775807", 0, long_max,
         "Deprecated: both bounds unless before/after.max.ms are set"},
        {"message.timestamp.type", "log.message.timestamp.type", T::choice, "CreateTime", 0, 0,
         "CreateTime|LogAppendTime"},
        {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", T::double_, "0.5", 0, 1,
         "Dirty ratio at which a log gets compacted"},
        {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", T::int64, "0", 0, long_max,
         "A record stays uncompacted at least this long"},
        {"min.insync.replicas", "min.insync.replicas", T::int32, "1", 1, int32_max,
         "Replicas that must have a write for acks=all"},
        {"preallocate", "log.preallocate", T::boolean, "false", 0, 0,
         "Accepted; Eddy does not preallocate segments"},
        {"remote.log.copy.disable", "", T::boolean, "false", 0, 0,
         "Tiered storage (not supported; accepted)"},
        {"remote.log.delete.on.disable", "", T::boolean, "false", 0, 0,
         "Tiered storage (not supported; accepted)"},
        {"remote.storage.enable", "", T::boolean, "false", 0, 0,
         "Tiered storage is not supported: only false is accepted"},
        {"retention.bytes", "log.retention.bytes", T::int64, "-1", -1, long_max, "Size limit"},
        {"retention.ms", "", T::int64, "604800000", -1, long_max, "Retention time (-1 = forever)"},
        {"segment.bytes", "log.segment.bytes", T::int32, "1073741824", 14, int32_max,
         "Segment size"},
        {"segment.index.bytes", "log.index.size.max.bytes", T::int32, "10485760", 4, int32_max,
         "Roll a segment once its offset or time index holds this many bytes"},
        {"segment.jitter.ms", "", T::int64, "0", 0, long_max,
         "Random jitter subtracted from segment.ms"},
        {"segment.ms", "", T::int64, "604800000", 1, long_max, "Roll a segment after this long"},
        {"storage.quota.bytes", "log.storage.quota.bytes", T::int64, "-1", -1, long_max,
         "Eddy: bytes the topic may hold on one broker; produce past it is refused with "
         "POLICY_VIOLATION until retention or a raised quota makes room (-1 = none)"},
        {"unclean.leader.election.enable", "unclean.leader.election.enable", T::boolean, "false", 0,
         0, "Accepted; a single node has no other replica to elect"},
    };
    return keys;
}

const TopicKeyDef* find_topic_key(std::string_view name) {
    for (const auto& k : topic_keys()) {
        if (k.name == name) {
            return &k;
        }
    }
    return nullptr;
}

Result<std::vector<std::pair<std::string, std::string>>, std::string> parse_properties(
    std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string logical;
    int line_no = 0;
    int logical_start = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t nl = text.find('\n', pos);
        std::string_view raw =
            text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++line_no;
        std::string_view line = trim_whitespace(raw);
        if (logical.empty()) {
            logical_start = line_no;
            if (line.empty() || line.front() == '#' || line.front() == '!') {
                continue;
            }
        }
        if (!line.empty() && line.back() == '\\') {
            logical.append(line.substr(0, line.size() - 1));
            continue;
        }
        logical.append(line);
        const size_t sep = logical.find_first_of("=:");
        if (sep == std::string::npos) {
            return fail("line " + std::to_string(logical_start) + ": expected key=value, got '" +
                        logical + "'");
        }
        std::string key(trim_whitespace(std::string_view(logical).substr(0, sep)));
        std::string value(trim_whitespace(std::string_view(logical).substr(sep + 1)));
        if (key.empty()) {
            return fail("line " + std::to_string(logical_start) + ": empty key");
        }
        out.emplace_back(std::move(key), std::move(value));
        logical.clear();
    }
    return out;
}

std::optional<std::string> check_value(ConfigType type, int64_t min, int64_t max,
                                       std::string_view key, std::string_view value) {
    // Both may come from a request (topic configs): bounded before they are built into a message.
    const std::string k = protocol::echo(key);
    const std::string v = protocol::echo(value);
    switch (type) {
        case ConfigType::boolean:
            if (value != "true" && value != "false") {
                return k + ": expected true or false, got '" + v + "'";
            }
            return std::nullopt;
        case ConfigType::int32:
        case ConfigType::int64: {
            if (value.empty()) {
                return std::nullopt;  // unset optional key
            }
            auto x = parse_int(value);
            if (!x) {
                return k + ": expected an integer, got '" + v + "'";
            }
            if (*x < min || *x > max) {
                return k + ": " + v + " is out of range [" + std::to_string(min) + ", " +
                       std::to_string(max) + "]";
            }
            return std::nullopt;
        }
        case ConfigType::policy: {
            auto items = split_list(value);
            if (items.empty()) {
                return k + ": expected delete, compact or compact,delete";
            }
            for (const auto& p : items) {
                if (p != "delete" && p != "compact") {
                    return k + ": unknown cleanup policy '" + protocol::echo(p) + "'";
                }
            }
            return std::nullopt;
        }
        case ConfigType::double_: {
            double x = 0;
            const auto* end = value.data() + value.size();
            auto [p, ec] = std::from_chars(value.data(), end, x);
            if (value.empty() || ec != std::errc() || p != end) {
                return k + ": expected a number, got '" + v + "'";
            }
            if (!(x >= static_cast<double>(min) && x <= static_cast<double>(max))) {
                return k + ": " + v + " is out of range [" + std::to_string(min) + ", " +
                       std::to_string(max) + "]";
            }
            return std::nullopt;
        }
        case ConfigType::choice: {
            const auto allowed = choice_values(key);
            if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) {
                return std::nullopt;
            }
            std::string list;
            for (const auto a : allowed) {
                list += (list.empty() ? "" : ", ") + std::string(a);
            }
            return k + ": expected one of " + list + ", got '" + v + "'";
        }
        case ConfigType::string:
            if (key == "log.level") {
                auto levels = parse_log_levels(value);
                if (!levels.ok()) {
                    return protocol::echo(levels.error());
                }
            }
            return std::nullopt;
        case ConfigType::list:
            return std::nullopt;
    }
    return std::nullopt;
}

Result<std::vector<Listener>, std::string> parse_listeners(std::string_view key,
                                                           std::string_view value) {
    std::vector<Listener> out;
    for (const auto& item : split_list(value)) {
        const auto scheme = item.find("://");
        if (scheme == std::string::npos || scheme == 0) {
            return fail(std::string(key) + ": expected NAME://host:port, got '" + item + "'");
        }
        Listener l;
        l.name = item.substr(0, scheme);
        std::string hostport = item.substr(scheme + 3);
        const auto colon = hostport.rfind(':');
        if (colon == std::string::npos) {
            return fail(std::string(key) + ": missing port in '" + item + "'");
        }
        l.host = hostport.substr(0, colon);
        if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']') {
            l.host = l.host.substr(1, l.host.size() - 2);
        }
        auto port = parse_int(std::string_view(hostport).substr(colon + 1));
        if (!port || *port < 0 || *port > 65535) {
            return fail(std::string(key) + ": bad port in '" + item + "'");
        }
        l.port = static_cast<uint16_t>(*port);
        for (const auto& other : out) {
            if (other.name == l.name) {
                return fail(std::string(key) + ": listener name " + l.name + " appears twice");
            }
        }
        out.push_back(std::move(l));
    }
    return out;
}

Result<std::vector<QuorumVoter>, std::string> parse_quorum_voters(std::string_view value) {
    const char* key = "controller.quorum.voters";
    std::vector<QuorumVoter> out;
    for (const auto& item : split_list(value)) {
        const auto at = item.find('@');
        const auto colon = item.rfind(':');
        if (at == std::string::npos || at == 0 || colon == std::string::npos || colon < at) {
            return fail(std::string(key) + ": expected id@host:port, got '" + item + "'");
        }
        auto id = parse_int(std::string_view(item).substr(0, at));
        if (!id || *id < 0 || *id > int32_max) {
            return fail(std::string(key) + ": bad node id in '" + item + "'");
        }
        std::string host = item.substr(at + 1, colon - at - 1);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
            host = host.substr(1, host.size() - 2);
        }
        if (host.empty()) {
            return fail(std::string(key) + ": missing host in '" + item + "'");
        }
        auto port = parse_int(std::string_view(item).substr(colon + 1));
        if (!port || *port < 1 || *port > 65535) {
            return fail(std::string(key) + ": bad port in '" + item + "'");
        }
        for (const auto& other : out) {
            if (other.id == *id) {
                return fail(std::string(key) + ": node id " + std::to_string(*id) +
                            " appears twice");
            }
        }
        // Host names are case-insensitive: one spelling, so every node derives the same text.
        std::transform(host.begin(), host.end(), host.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        out.push_back(
            QuorumVoter{static_cast<int32_t>(*id), std::move(host), static_cast<uint16_t>(*port)});
    }
    if (out.empty()) {
        return fail(std::string(key) + ": at least one voter (id@host:port) is required");
    }
    return out;
}

std::string normalized_quorum_voters(std::vector<QuorumVoter> voters) {
    std::sort(voters.begin(), voters.end(),
              [](const QuorumVoter& a, const QuorumVoter& b) { return a.id < b.id; });
    std::string out;
    for (const auto& v : voters) {
        const bool ipv6 = v.host.find(':') != std::string::npos;
        out += (out.empty() ? "" : ",") + std::to_string(v.id) + "@" +
               (ipv6 ? "[" + v.host + "]" : v.host) + ":" + std::to_string(v.port);
    }
    return out;
}

bool BrokerConfig::has_role(std::string_view role) const {
    const auto roles = get_list("process.roles");
    return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::optional<std::string> BrokerConfig::check_quorum() const {
    const int32_t id = node_id();
    const auto is_voter = std::any_of(voters_.begin(), voters_.end(),
                                      [id](const QuorumVoter& v) { return v.id == id; });
    // Several voters are several nodes: a node.id left at its default would make them all node 1.
    if (voters_.size() > 1 && !is_set("node.id")) {
        return std::string(
            "node.id: required when controller.quorum.voters lists more than one voter (each "
            "node sets its own)");
    }
    std::string ids;
    for (const auto& v : voters_) {
        ids += (ids.empty() ? "" : ", ") + std::to_string(v.id);
    }
    const bool has_controller_listener =
        std::any_of(listeners_.begin(), listeners_.end(),
                    [this](const Listener& l) { return is_controller_listener(l.name); });
    if (has_role("controller")) {
        if (!is_voter) {
            return "node.id " + std::to_string(id) +
                   " has the controller role but is not among controller.quorum.voters (" + ids +
                   ")";
        }
        if (!has_controller_listener) {
            return "listeners: the controller role needs a listener named in "
                   "controller.listener.names (" +
                   get("controller.listener.names") + ")";
        }
    } else {
        if (is_voter) {
            return "node.id " + std::to_string(id) +
                   " is among controller.quorum.voters but process.roles has no controller";
        }
        if (has_controller_listener) {
            return "listeners: a broker-only node must not listen on a controller listener ("
                   "controller.listener.names=" +
                   get("controller.listener.names") + ")";
        }
    }
    return std::nullopt;
}

namespace {

// A key as load() stores it and the definition its value is checked against.
struct ResolvedKey {
    std::string stored;
    const KeyDef* def = nullptr;
};

// Resolves a key of a config source: a broker key, or listener.name.<listener>.<ssl or sasl key>
// (a per-listener value, checked as the key it overrides, stored under the lower-cased listener
// name as Kafka spells it). Fails with the reason, without the source's name.
Result<ResolvedKey, std::string> resolve_key(const std::string& name) {
    std::string stored = name;
    std::string_view base = name;
    if (name.starts_with(admin_prefix) && base.substr(admin_prefix.size()).starts_with("ssl.")) {
        base = base.substr(admin_prefix.size());  // admin.ssl.*: checked as the ssl.* key
    } else if (name.starts_with(listener_prefix)) {
        const auto dot = name.find('.', listener_prefix.size());
        if (dot != std::string::npos && dot > listener_prefix.size()) {
            base = std::string_view(name).substr(dot + 1);
            stored =
                std::string(listener_prefix) +
                ascii_lower(name.substr(listener_prefix.size(), dot - listener_prefix.size())) +
                "." + std::string(base);
        }
        if (!base.starts_with("ssl.") && !base.starts_with("sasl.") &&
            !sasl_mechanism_jaas_key(base)) {
            return fail("unknown configuration key '" + name +
                        "' (per-listener keys: listener.name.<listener>.ssl.*, .sasl.*, "
                        ".<mechanism>.sasl.jaas.config)");
        }
    }
    // listener.name.<l>.<mechanism>.sasl.jaas.config is checked as sasl.jaas.config.
    const std::string_view def_name =
        sasl_mechanism_jaas_key(base) ? std::string_view("sasl.jaas.config") : base;
    const auto it = std::find_if(broker_keys().begin(), broker_keys().end(),
                                 [def_name](const KeyDef& d) { return d.name == def_name; });
    if (it == broker_keys().end()) {
        return fail("unknown configuration key '" + name + "'");
    }
    return ResolvedKey{std::move(stored), &*it};
}

}  // namespace

bool is_broker_key(const std::string& key) { return resolve_key(key).ok(); }

Result<BrokerConfig, std::string> BrokerConfig::load(
    const std::vector<std::pair<std::string, std::string>>& file,
    const std::vector<std::pair<std::string, std::string>>& overrides) {
    return load({{"config file", file}, {"--override", overrides}});
}

Result<BrokerConfig, std::string> BrokerConfig::load(const std::vector<ConfigSource>& sources) {
    BrokerConfig c;
    for (const auto& k : broker_keys()) {
        c.values_.emplace(std::string(k.name), std::string(k.default_value));
    }
    for (const auto& source : sources) {
        for (const auto& [key, value] : source.pairs) {
            auto resolved = resolve_key(key);
            if (!resolved.ok()) {
                return fail(source.origin + ": " + resolved.error());
            }
            const KeyDef& def = *resolved->def;
            // A per-listener JAAS key is checked as sasl.jaas.config (def.name).
            if (auto why = check_value(def.type, def.min, def.max, def.name, value)) {
                return fail(source.origin + ": " + *why);
            }
            c.values_[resolved->stored] = value;
            c.explicitly_set_[resolved->stored] = true;
        }
    }
    // Derived values, as Kafka resolves them.
    if (c.get("log.retention.ms").empty()) {
        const std::string& minutes = c.get("log.retention.minutes");
        c.values_["log.retention.ms"] =
            !minutes.empty() ? std::to_string(*parse_int(minutes) * 60 * 1000)
                             : std::to_string(c.get_int("log.retention.hours") * ms_per_hour);
        if (c.get_int("log.retention.hours") < 0 && minutes.empty()) {
            c.values_["log.retention.ms"] = "-1";
        }
    }
    if (c.get("log.roll.ms").empty()) {
        c.values_["log.roll.ms"] = std::to_string(c.get_int("log.roll.hours") * ms_per_hour);
    }
    c.log_dir_ =
        c.is_set("log.dirs") || c.get("log.dir").empty() ? c.get("log.dirs") : c.get("log.dir");
    if (c.log_dir_.find(',') != std::string::npos) {
        return fail("log.dirs: one data directory per broker is supported, got '" + c.log_dir_ +
                    "'");
    }
    auto listeners = parse_listeners("listeners", c.get("listeners"));
    if (!listeners.ok()) {
        return fail(listeners.error());
    }
    c.listeners_ = std::move(listeners).value();
    for (const auto& item : c.get_list("listener.security.protocol.map")) {
        const auto colon = item.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == item.size()) {
            return fail("listener.security.protocol.map: expected NAME:PROTOCOL, got '" + item +
                        "'");
        }
        const std::string protocol = upper(item.substr(colon + 1));
        SecurityProtocol p = SecurityProtocol::plaintext;
        if (protocol == "SSL") {
            p = SecurityProtocol::ssl;
        } else if (protocol == "SASL_PLAINTEXT") {
            p = SecurityProtocol::sasl_plaintext;
        } else if (protocol == "SASL_SSL") {
            p = SecurityProtocol::sasl_ssl;
        } else if (protocol != "PLAINTEXT") {
            return fail("listener.security.protocol.map: unknown security protocol '" +
                        item.substr(colon + 1) + "'");
        }
        c.protocols_[upper(item.substr(0, colon))] = p;
    }
    if (auto e = c.check_servable()) {
        return fail(*e);
    }
    const auto roles = c.get_list("process.roles");
    for (const auto& r : roles) {
        if (r != "broker" && r != "controller") {
            return fail("process.roles: unknown role '" + r + "' (broker, controller)");
        }
    }
    if (roles.empty()) {
        return fail("process.roles: at least one of broker, controller");
    }
    const auto ts = c.get("log.message.timestamp.type");
    if (ts != "CreateTime" && ts != "LogAppendTime") {
        return fail("log.message.timestamp.type: expected CreateTime or LogAppendTime, got '" + ts +
                    "'");
    }
    if (c.get("advertised.listeners").empty()) {
        for (const auto& l : c.listeners_) {
            if (!c.is_controller_listener(l.name)) {
                c.advertised_.push_back(l);
            }
        }
    } else {
        auto adv = parse_listeners("advertised.listeners", c.get("advertised.listeners"));
        if (!adv.ok()) {
            return fail(adv.error());
        }
        c.advertised_ = std::move(adv).value();
    }
    for (auto& a : c.advertised_) {
        if (a.host.empty() || a.host == "0.0.0.0" || a.host == "::") {
            return fail("advertised.listeners: " + a.name + " advertises '" + a.host +
                        "', which clients cannot connect to; set advertised.listeners");
        }
    }
    const bool broker_role = std::find(roles.begin(), roles.end(), "broker") != roles.end();
    if (broker_role && c.advertised_.empty()) {
        return fail("listeners: a broker needs at least one non-controller listener");
    }
    auto voters = parse_quorum_voters(c.get("controller.quorum.voters"));
    if (!voters.ok()) {
        return fail(voters.error());
    }
    c.voters_ = std::move(voters).value();
    if (auto e = c.check_quorum()) {
        return fail(*e);
    }
    return c;
}

LogLevels BrokerConfig::log_levels() const {
    auto levels = parse_log_levels(get("log.level"));
    ASSERT(levels.ok(), "log.level was checked when read");
    return std::move(levels).value();
}

LogFormat BrokerConfig::log_format() const {
    const auto format = parse_log_format(get("log.format"));
    ASSERT(format.has_value(), "log.format was checked when read");
    return *format;
}

const std::string& BrokerConfig::get(std::string_view key) const {
    auto it = values_.find(key);
    ASSERT(it != values_.end(), "unknown config key");
    return it->second;
}

int64_t BrokerConfig::get_int(std::string_view key) const {
    auto v = parse_int(get(key));
    ASSERT(v.has_value(), "config value is not an integer");
    return *v;
}

bool BrokerConfig::get_bool(std::string_view key) const { return get(key) == "true"; }

std::vector<std::string> BrokerConfig::get_list(std::string_view key) const {
    return split_list(get(key));
}

const char* to_string(SecurityProtocol p) {
    switch (p) {
        case SecurityProtocol::plaintext:
            return "PLAINTEXT";
        case SecurityProtocol::ssl:
            return "SSL";
        case SecurityProtocol::sasl_plaintext:
            return "SASL_PLAINTEXT";
        case SecurityProtocol::sasl_ssl:
            return "SASL_SSL";
    }
    return "?";
}

bool is_sensitive(std::string_view key) {
    if (key.starts_with(listener_prefix)) {
        key = key.substr(listener_prefix.size());
        const auto dot = key.find('.');
        key = dot == std::string_view::npos ? std::string_view() : key.substr(dot + 1);
    } else if (key.starts_with(admin_prefix)) {
        key = key.substr(admin_prefix.size());
    }
    return key == "ssl.key.password" || key == "ssl.keystore.password" ||
           key == "ssl.truststore.password" || key == "ssl.keystore.key" ||
           key.ends_with("sasl.jaas.config");  // holds passwords
}

std::optional<std::string> BrokerConfig::check_servable() const {
    for (const auto& l : listeners_) {
        const auto it = protocols_.find(upper(l.name));
        if (it == protocols_.end()) {
            return "listeners: no security protocol for listener " + l.name +
                   " in listener.security.protocol.map";
        }
        const SecurityProtocol p = it->second;
        const bool sasl = p == SecurityProtocol::sasl_plaintext || p == SecurityProtocol::sasl_ssl;
        if (sasl) {
            // Checked here, before anything touches the disk (the broker parses the list again
            // into its SASL settings). Kafka's default, GSSAPI, is not served.
            auto m = security::parse_sasl_enabled_mechanisms(
                listener_sasl(l.name, "sasl.enabled.mechanisms"));
            if (!m.ok()) {
                return "listener " + l.name + ": " + m.error();
            }
        }
    }
    // Every node dials the controllers; a broker dials the other brokers too.
    if (auto c = controller_client(); !c.ok()) {
        return c.error();
    }
    if (has_role("broker") && !inter_broker_listener().empty()) {
        if (auto c = inter_broker_client(); !c.ok()) {
            return c.error();
        }
    }
    return std::nullopt;
}

SecurityProtocol BrokerConfig::security_protocol(std::string_view listener) const {
    const auto it = protocols_.find(upper(std::string(listener)));
    ASSERT(it != protocols_.end(), "a listener without a security protocol (load() checks)");
    return it->second;
}

SslProperties BrokerConfig::listener_ssl(std::string_view listener) const {
    return ssl_with_prefix(std::string(listener_prefix) + ascii_lower(listener) + ".");
}

SslProperties BrokerConfig::admin_ssl() const { return ssl_with_prefix(std::string(admin_prefix)); }

SslProperties BrokerConfig::ssl_with_prefix(const std::string& prefix) const {
    SslProperties out;
    for (const auto& k : broker_keys()) {
        if (!k.name.starts_with("ssl.")) {
            continue;
        }
        const auto over = values_.find(prefix + std::string(k.name));
        out.emplace(std::string(k.name), over != values_.end() ? over->second : get(k.name));
    }
    return out;
}

std::string BrokerConfig::listener_sasl(std::string_view listener, std::string_view key) const {
    const auto over =
        values_.find(std::string(listener_prefix) + ascii_lower(listener) + "." + std::string(key));
    return over != values_.end() ? over->second : get(key);
}

std::string BrokerConfig::listener_sasl_jaas(std::string_view listener,
                                             std::string_view mechanism) const {
    const auto over = values_.find(std::string(listener_prefix) + ascii_lower(listener) + "." +
                                   ascii_lower(mechanism) + ".sasl.jaas.config");
    return over != values_.end() ? over->second : listener_sasl(listener, "sasl.jaas.config");
}

std::string BrokerConfig::inter_broker_listener() const {
    const std::string& named = get("inter.broker.listener.name");
    for (const auto& l : listeners_) {
        if (upper(l.name) == upper(named)) {
            return l.name;
        }
    }
    for (const auto& l : listeners_) {
        if (!is_controller_listener(l.name)) {
            return l.name;
        }
    }
    return "";
}

Result<OutboundSecurity, std::string> BrokerConfig::inter_broker_client() const {
    const std::string listener = inter_broker_listener();
    if (listener.empty()) {
        return fail(
            std::string("inter.broker.listener.name: no client listener to replicate over"));
    }
    return outbound(listener, "sasl.mechanism.inter.broker.protocol");
}

Result<OutboundSecurity, std::string> BrokerConfig::controller_client() const {
    const auto names = get_list("controller.listener.names");
    if (names.empty()) {
        return fail(std::string("controller.listener.names: empty"));
    }
    return outbound(names.front(), "sasl.mechanism.controller.protocol");
}

Result<OutboundSecurity, std::string> BrokerConfig::outbound(const std::string& listener,
                                                             std::string_view mechanism_key) const {
    OutboundSecurity out;
    out.listener = listener;
    // A broker-only node does not listen on the controller listener but still needs its protocol.
    const auto it = protocols_.find(upper(listener));
    if (it == protocols_.end()) {
        return fail("listener " + listener + ": no security protocol in " +
                    "listener.security.protocol.map");
    }
    out.protocol = it->second;
    if (out.protocol != SecurityProtocol::sasl_plaintext &&
        out.protocol != SecurityProtocol::sasl_ssl) {
        return out;
    }
    const std::string where = "listener " + listener + " uses " + to_string(out.protocol) + ": ";
    const std::string& name = get(mechanism_key);
    const auto mechanism = security::parse_sasl_mechanism(name);
    if (!mechanism) {
        // Kafka's default is GSSAPI (Kerberos), which Eddy does not speak.
        return fail(where + std::string(mechanism_key) + " is '" + name +
                    "'; Eddy's nodes authenticate with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
    }
    const bool listening =
        std::any_of(listeners_.begin(), listeners_.end(),
                    [&listener](const Listener& l) { return upper(l.name) == upper(listener); });
    if (listening) {
        // As Kafka checks: a mechanism this node's own listener does not offer would be refused
        // by every other node configured alike.
        auto enabled = security::parse_sasl_enabled_mechanisms(
            listener_sasl(listener, "sasl.enabled.mechanisms"));
        if (enabled.ok() &&
            std::find(enabled->begin(), enabled->end(), *mechanism) == enabled->end()) {
            return fail(where + std::string(mechanism_key) + " " + name +
                        " is not in the listener's sasl.enabled.mechanisms");
        }
    }
    auto login = security::sasl_login_from_jaas(*mechanism, listener_sasl_jaas(listener, name));
    if (!login.ok()) {
        return fail(where + "listener.name." + ascii_lower(listener) + "." + ascii_lower(name) +
                    ".sasl.jaas.config: " + login.error());
    }
    out.sasl = std::move(login).value();
    return out;
}

bool BrokerConfig::is_controller_listener(const std::string& name) const {
    const auto names = get_list("controller.listener.names");
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace eddy::config
