// Broker: one Eddy node serving Kafka clients: the broker role (client listeners, request
// handlers, partition logs) and the controller role (the metadata log and image, single voter).
//
// start() formats or loads the data directory (meta.properties), opens every partition log,
// opens `__cluster_metadata-0` and replays it into the MetadataImage, makes the partition logs
// match the image (creates missing ones, applies topic configs, deletes logs of deleted topics),
// then binds the client listeners and serves. stop() drains in-flight requests and closes
// everything durably.
//
// Requests: each frame is decoded (request header, then the body with the generated codec for
// its API key and version) and dispatched to one handler per API (handle_*.cpp); the response is
// encoded with the generated codec in the same version. ApiVersions of a version we do not serve
// gets a v0 UNSUPPORTED_VERSION answer listing our ranges; any other undecodable request, unknown
// key or unsupported version closes the connection (what Kafka does) and is logged.
//
// Concurrency: all on the node's fibers. The requests of one connection are pipelined and take
// effect in arrival order: a request starts only once the one before it has released its turn
// (net::RequestTurn), which it does when it is done, or — the exceptions — as soon as all that is
// left of it is a wait that later requests need not stay behind: a Produce once its batches are
// appended (only the wait for the sync remains, so pipelined produce requests share a group
// commit while appends keep the connection's order), a Fetch before it long-polls, a JoinGroup or
// SyncGroup once the coordinator has taken it and it waits for its deferred reply. Responses leave
// in request order (FrameServer). One consequence: a request pipelined behind a durable-mode
// Produce can run before that Produce is acknowledged, so a Fetch or ListOffsets there need not
// see its records yet (they are not below the high watermark until synced). Handlers hold
// partition logs by shared_ptr across suspensions, so a concurrent topic deletion closes the log
// under them but never frees it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "core/protocol/generated/all_messages.h"
#include "core/protocol/wire.h"
#include "services/config/config.h"
#include "services/controller/controller.h"
#include "services/controller/meta_properties.h"
#include "services/controller/metadata_log.h"
#include "services/kafka/api_table.h"
#include "services/kafka/audit_log.h"
#include "services/kafka/broker_metrics.h"
#include "services/kafka/fetch_sessions.h"
#include "services/kafka/controller_channel.h"
#include "services/kafka/group_manager.h"
#include "services/kafka/metadata_publisher.h"
#include "services/kafka/produce_view.h"
#include "services/kafka/quota_manager.h"
#include "services/log/log_manager.h"
#include "services/net/frame_server.h"
#include "services/kafka/broker_lifecycle.h"
#include "services/kafka/connection_auth.h"
#include "services/security/principal_mapping.h"
#include "services/security/sasl_random.h"
#include "services/raft/kafka_transport.h"
#include "services/raft/quorum_driver.h"
#include "services/replica/replica_manager.h"
#include "services/security/authorizer.h"
#include "services/security/principal.h"
#include "services/security/principal_mapping.h"

namespace eddy::kafka {

// The client id of the requests a node sends the active controller for itself (internal topics,
// producer id blocks, registration); only these may create internal topics.
inline constexpr const char* internal_client_id = "eddy-node";
// How long a forwarded admin request without a timeout of its own waits for the controller.
inline constexpr Duration admin_timeout = Duration::seconds(30);
inline constexpr const char* transaction_state_topic = "__transaction_state";

// Topics only the broker writes and that admin requests may not delete or grow: Kafka's internal
// topics (__consumer_offsets, __transaction_state) and the metadata log.
inline bool is_internal_topic(std::string_view name) {
    return name == "__consumer_offsets" || name == transaction_state_topic ||
           name == metadata_topic;
}

// What the admin listener's /v1/health and /v1/ready answer: the process is live while it
// answers at all; ready once it serves (started, registered with the controller, unfenced —
// which the controller grants once the node has caught up with the metadata log).
struct NodeStatus {
    bool ready = false;
    std::string reason;  // one line: why not ready, or "serving"
};

struct BrokerOptions {
    std::string data_dir;         // relative to the Disk root; "" is the root itself
    std::string log_dir_display;  // the log dir as configured (DescribeLogDirs shows it)
    // What the data directory was formatted with (controller::read_bootstrap_records, read by
    // the runtime before the broker starts): a controller commits them to a new cluster.
    std::vector<controller::MetadataRecord> bootstrap_records;
    // false: bind nothing; the advertised listeners are taken as they are configured and requests
    // arrive only through handle_frame() (the fuzz target).
    bool listen = true;
    // Fetch: send records as file ranges (zero copy) rather than copying them into the response.
    bool zero_copy = true;
    // Planted bugs for the simulator's checkers to catch (never set outside scenarios).
    group::GroupKnobs group_knobs;
    log::TestingKnobs log_knobs;
    raft::QuorumKnobs quorum_knobs;
    raft::DriverKnobs quorum_driver_knobs;
    replica::ReplicaKnobs replica_knobs;
    controller::ReassignmentKnobs reassignment_knobs;
    // The simulator's checkers watch the quorum through this (never set outside scenarios).
    raft::QuorumObserver* quorum_observer = nullptr;
    // Snapshot the metadata image every this many metadata log entries (0: never).
    int64_t metadata_snapshot_every = 1024;
    // CRC-check every segment when the logs open, not only the unsynced tail (the simulator's
    // cluster scenarios, whose crashed nodes' disks rot).
    bool verify_logs_on_open = false;
    // Planted bug `quota-ignores-throttle` (scenarios/planted_bugs.h; never set in production):
    // throttles are computed and reported but the connection is neither muted nor held.
    bool quota_ignores_throttle = false;
    // Planted bug `metrics-count-duplicates` (never set in production): idempotent retries
    // answered from the producer state count as messages in.
    bool metrics_count_duplicates = false;
    // Binds configured listener `l` at `at` (its configured address). Unset: env.network.listen.
    // The runtime sets it to wrap each listener whose security protocol runs over TLS in a TLS
    // listener (net-posix), with that listener's ssl.* settings: the broker itself never sees
    // TLS, only connections that may carry a verified peer identity. One line on failure.
    std::function<Result<std::unique_ptr<Listener>, std::string>(const config::Listener& l,
                                                                 const Address& at)>
        bind_listener;
    // The network for replica fetches from other brokers, whose inter-broker listener
    // (config::BrokerConfig::inter_broker_listener) may run over TLS. Null: env.network.
    Network* inter_broker_network = nullptr;
    // The network for this node's connections to the controllers' listener (the first of
    // controller.listener.names): the quorum's Raft traffic, registration, heartbeats, forwarded
    // requests. TLS when that listener is SSL / SASL_SSL. Null: env.network.
    Network* controller_network = nullptr;
    // The subject of the client certificate this node presents on the controller listener (RFC
    // 2253), when it is SSL: the principal of the requests it runs through its own controller
    // listener without a connection (ControllerChannel's local path). Nullopt: none.
    std::optional<std::string> controller_client_identity;
    // Where SASL draws nonces and keys. Production must pass a cryptographic source (the runtime
    // wraps OpenSSL's RAND_bytes); null: a stream of env.random (the simulator and tests only).
    security::SaslRandom* sasl_random = nullptr;
};

// A fetched partition whose records go out as file ranges: the response is encoded with a
// 16-byte marker in place of the records, which splice_records() replaces by the ranges.
struct RecordsSplice {
    Bytes marker;
    std::vector<log::FileRange> ranges;
    uint64_t bytes = 0;
};

// A client listener as clients see it.
struct Endpoint {
    std::string listener;  // PLAINTEXT, …
    std::string host;
    int32_t port = 0;
};

namespace limits {
// Principals of TLS subjects a broker remembers (authorization.cpp).
inline constexpr size_t principal_cache_max = 4096;
}  // namespace limits

// What one request handler sees.
struct RequestContext {
    protocol::RequestHeader header;
    protocol::ApiKey key = protocol::ApiKey::api_versions;
    int16_t version = 0;
    size_t listener = 0;      // index into the configured listeners (Broker::listeners_)
    ListenerKind listener_kind = ListenerKind::client;
    std::string client_host;  // the peer's address (DescribeGroups shows it)
    // The request's listener, as the security layer needs it: its name, its security protocol
    // and, over TLS, the verified client certificate's subject (RFC 2253, "CN=alice,O=acme";
    // nullopt without a client certificate).
    std::string_view listener_name;
    config::SecurityProtocol security_protocol = config::SecurityProtocol::plaintext;
    std::optional<std::string> peer_identity;
    // Who sent the request, computed once per connection (connection_auth.h): User:ANONYMOUS on
    // PLAINTEXT, the mapped certificate subject on SSL (ANONYMOUS without one), User:<name> once a
    // SASL connection has authenticated (ApiVersions before that: User:ANONYMOUS).
    security::KafkaPrincipal principal = security::anonymous_principal();
    // The request's turn on its connection (never null inside handlers); release_turn() passes it.
    net::RequestTurn* turn = nullptr;
    // When the handler entered and when it released its turn: the span a request_percentage quota
    // charges (the waits a handler passes its turn for — a sync, replicas, a long poll — are not
    // request time).
    mutable Instant started;
    mutable std::optional<Instant> turn_released_at;
    // The controller_mutation_rate throttle the request earned (KIP-599; admit_mutations()).
    mutable Duration mutation_throttle;
};

class Broker {
public:
    Broker(Env& env, config::BrokerConfig config, BrokerOptions options = {});
    ~Broker();
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    // Opens storage, replays the metadata log and starts serving. One-line error on failure, after
    // which whatever was opened is closed again (stop() is then a no-op). Suspends.
    Result<void, std::string> start();
    // Makes a start() that is still waiting for the controller quorum give up (a signal during
    // start). Does not suspend.
    void abort_start() { start_aborted_ = true; }
    // Graceful shutdown: stop accepting and reading, finish in-flight requests, close the logs.
    // Suspends.
    void stop();

    // The advertised client endpoints (the real port when the listener asked for port 0).
    const std::vector<Endpoint>& endpoints() const { return endpoints_; }
    const std::string& cluster_id() const { return meta_.cluster_id; }
    int32_t node_id() const { return node_id_; }
    controller::Controller& controller() { return *controller_; }
    raft::QuorumDriver& quorum() { return *quorum_; }
    log::LogManager& logs() { return *logs_; }
    replica::ReplicaManager& replicas() { return *replicas_; }

    // One request frame (without its size prefix) received on listener `listener`: the response
    // frame body, nothing (acks=0), or close_connection. What the FrameServer calls; public for
    // tests. Suspends.
    // Fetch responses carry their records as file ranges (sent with sendfile on POSIX) unless
    // BrokerOptions::zero_copy is off.
    // The frame is modified in place (Produce stamps offsets into its batches). `turn` is the
    // request's turn on its connection (see the file comment); null means no other request waits.
    // `peer_identity`: the connection's verified TLS client certificate subject, if any.
    // `control`: the connection's FrameServer state (null: a frame without a connection, which
    // on a SASL listener is never authenticated).
    Result<std::optional<net::FrameParts>, net::HandlerError> handle_frame(
        size_t listener, MutableByteSpan frame, std::string client_host = "",
        net::RequestTurn* turn = nullptr, std::optional<std::string> peer_identity = std::nullopt,
        net::ConnectionControl* control = nullptr);
    // The same over a frame of its own (tests, fuzzing).
    Result<std::optional<net::FrameParts>, net::HandlerError> handle_frame(
        size_t listener, Bytes frame, std::string client_host = "");
    // The group coordinators (`__consumer_offsets`); for tests.
    GroupManager& groups() { return *groups_; }
    // For the admin listener: safe before start() and after stop() (nothing there yet or still).
    NodeStatus status() const;
    // The broker's metrics in Prometheus text format (broker_metrics.h). Does not suspend.
    void collect_metrics(metrics::Exposition& out) const;
    const controller::MetadataImage* metadata_image() const {
        return metadata_ ? &metadata_->image() : nullptr;
    }
    const raft::QuorumDriver* quorum_driver() const { return quorum_.get(); }
    const config::BrokerConfig& config() const { return config_; }
    // The SCRAM credentials of the committed metadata image, what SASL/SCRAM logins check; the
    // admin API checks HTTP Basic passwords against them. Does not suspend.
    const security::ScramCredentialStore& scram_credentials() const { return scram_credentials_; }
    // For the admin API: true when no authorizer is configured or `principal`, from `host`, may
    // perform `op` on the cluster; `request` ("GET /metrics") names it in the log and the audit
    // log, as a Kafka request's check is. Suspends only to write the audit log.
    bool admin_api_allowed(const security::KafkaPrincipal& principal, const std::string& host,
                           security::AclOperation op, std::string_view request);
    // The KIP-227 fetch sessions of the fetchers of this broker; for tests.
    const FetchSessionCache& fetch_sessions() const { return fetch_sessions_; }
    // The bytes of a response made of parts (reads the file ranges). For tests and fuzzing.
    static Result<Bytes, DiskError> flatten(const net::FrameParts& parts);

private:
    Result<void, std::string> open_and_serve();
    template <typename Resp>
    Bytes encode_response(const RequestContext& ctx, const Resp& resp) const;

    // Lets the request's connection start its next request (see the file comment). Does not
    // suspend.
    void release_turn(const RequestContext& ctx) const {
        if (!ctx.turn_released_at) {
            ctx.turn_released_at = env_.clock.now();
        }
        ctx.turn->release();
    }

    // Client quotas (quota_manager.h): the throttle this request earned (produce: its request
    // bytes; fetch: its response bytes; every request: its time), zero when no quota applies or
    // the request is exempt (the controller listener, followers, SASL). Does not suspend.
    Duration quota_throttle(const RequestContext& ctx, security::QuotaKey bytes_key,
                            double bytes);
    Duration quota_throttle(const RequestContext& ctx);
    // Waits out the throttle the request's client still owes (for `bytes_key`, if any, and for
    // request_percentage) before the request is served, holding its turn: librdkafka and
    // kafka-python do not throttle themselves (KIP-219's client side), so the requests they
    // pipelined behind a throttled one must not each add debt on top of it. Suspends.
    void wait_quota(const RequestContext& ctx, std::optional<security::QuotaKey> bytes_key);
    // KIP-599: whether a topic change of `partitions` partition creations or deletions may go
    // ahead under the client's controller_mutation_rate, charging it if so. Strict request
    // versions (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+) are refused while the
    // client is already over its quota (THROTTLING_QUOTA_EXCEEDED for that topic); older ones
    // are always admitted and only throttled. The throttle goes into the response.
    bool admit_mutations(const RequestContext& ctx, double partitions);
    // Tells the client: throttle_time_ms in the response (when it has the field), the connection
    // muted for `throttle`, and for request versions older than KIP-219 the response itself held
    // back that long (suspends then).
    template <typename Resp>
    void throttle_response(const RequestContext& ctx, Resp& resp, Duration throttle,
                           net::ConnectionControl* control);
    void mute(const RequestContext& ctx, Duration throttle, net::ConnectionControl* control);

    // Fills listeners_ from the config (advertised addresses; ports fixed when bound).
    void declare_listeners();
    // Binds and serves the listeners of `kind` (nothing when options_.listen is off).
    Result<void, std::string> serve(ListenerKind kind, const net::FrameServerOptions& so);
    // Creates a topic at the active controller for this node itself (auto-creation, internal
    // topics) and waits until the local image has it. Suspends.
    controller::CreatedTopic create_topic_via_controller(const controller::NewTopic& nt);
    // Runs a request frame through this node's controller listener (ControllerChannel's local
    // path). Suspends.
    Result<Bytes, std::string> call_controller_listener(Bytes frame);
    // Waits until the active controller has unfenced this broker. Suspends.
    Result<void, std::string> wait_until_unfenced();
    // Waits until the quorum has a leader and this node has applied what it committed. Suspends.
    Result<void, std::string> wait_for_metadata();
    // After a forwarded change: waits (a few seconds at most) until this node's image shows it,
    // so the client's next request here sees its change; then reconciles the logs. Suspends.
    void await_image(const std::function<bool()>& done);
    // Makes the partition logs match the metadata image. Suspends.
    void reconcile();
    // Wakes long-polling fetches (after an append or a high-watermark change).
    void notify_data();
    // Appends whose Produce answered REQUEST_TIMED_OUT before they were durable: a fiber waits
    // for them and then moves the high watermark, as a completed Produce would have (the data
    // is in the log; consumers must see it once it is durable even if no Produce follows).
    struct LateDurable {
        std::shared_ptr<log::PartitionLog> log;
        Offset last_offset;
    };
    void advance_when_durable(std::vector<LateDurable> late);
    // True when the image names this node the partition's leader.
    bool leads(const std::string& topic, int32_t partition) const;
    // Appends to a partition this node leads (the log from partition_log()), stamping its leader
    // epoch into the batches; `epoch` receives that epoch. Suspends.
    Result<log::AppendInfo, log::LogError> leader_append(log::PartitionLog& l,
                                                         MutableByteSpan batches,
                                                         log::AppendRejection* rejection,
                                                         int32_t& epoch);
    // What a Produce with `acks` waits for once leader_append() returned `info`: the sync
    // (durable mode), then with acks=-1 the high watermark passing the batch and
    // min.insync.replicas. 0 or a Kafka error code; `late` is set when the sync itself timed out
    // (the caller moves the high watermark once it lands). Suspends.
    int16_t wait_for_acks(const std::shared_ptr<log::PartitionLog>& l, const log::AppendInfo& info,
                          int16_t acks, int32_t epoch, Instant deadline, bool& late);
    // min.insync.replicas of a topic (its own config, else the broker's).
    int32_t min_insync_replicas(const std::string& topic) const;
    // Asks the active controller to change partitions' ISRs (one AlterPartition). Suspends.
    std::vector<Result<replica::Assignment, int16_t>> alter_isr(
        const std::vector<replica::IsrChange>& changes);
    // Where a broker serves replica fetches: its registered listener named like this node's
    // first client listener.
    std::optional<Address> replica_address(int32_t broker) const;
    // The log of a partition this node leads, else null.
    std::shared_ptr<log::PartitionLog> partition_log(const std::string& topic, int32_t partition);
    int16_t partition_error(const std::string& topic, int32_t partition) const;
    bool auto_create_allowed() const;
    // Creates `__consumer_offsets` if missing (compacted, offsets.topic.num.partitions); true
    // once its logs are open. Suspends.
    bool ensure_offsets_topic();

    // The unfenced brokers as clients on the request's listener reach them, by id.
    struct LiveBroker {
        int32_t id = -1;
        std::string host;
        int32_t port = 0;
        std::optional<std::string> rack;
    };
    std::vector<LiveBroker> live_brokers(const RequestContext& ctx) const;
    int32_t controller_id_for_clients(const std::vector<LiveBroker>& live) const;
    static const LiveBroker* find_live(const std::vector<LiveBroker>& live, int32_t id);

    // Authorization (authorization.cpp; docs/security.md). Reads authorizer.class.name,
    // super.users, allow.everyone.if.no.acl.found and each listener's
    // ssl.principal.mapping.rules; one line on a bad value.
    Result<void, std::string> configure_authorization();
    // The principal of a connection on `listener` with this TLS peer identity, or why none
    // (no mapping rule matched: the connection is closed, as Kafka fails the authentication).
    Result<security::KafkaPrincipal, std::string> principal_of(
        size_t listener, const std::optional<std::string>& peer_identity);
    bool authorization_enabled() const { return authorization_enabled_; }
    // The image's ACLs with this broker's super.users and allow.everyone.if.no.acl.found,
    // refreshed when the image's ACL set changed. Does not suspend.
    const security::Authorizer& authorizer();
    // True when no authorizer is configured or the request's principal may perform `op` on
    // the resource; denials are logged and audited unless `filtering` (a listing that silently
    // leaves the resource out); grants are audited with audit.log.grants. Suspends only to
    // write the audit log.
    bool allowed(const RequestContext& ctx, security::AclOperation op,
                 security::ResourceType type, std::string_view name, bool filtering = false);
    // allowed() for a request named `request` (a Kafka API's name, or the admin API's method
    // and path).
    bool allowed_as(const security::KafkaPrincipal& principal, const std::string& host,
                    std::string_view request, security::AclOperation op,
                    security::ResourceType type, std::string_view name, bool filtering);
    // Why a produce to `topic` is refused by its storage.quota.bytes (the topic's logs on this
    // broker hold that much already), or nullopt. Does not suspend.
    std::optional<std::string> storage_quota_refusal(const std::string& topic,
                                                     const log::PartitionLog& log);
    // KIP-430: the bitset of the operations the principal may perform on the resource
    // (authorized_operations.cpp). Suspends only to write the audit log.
    int32_t authorized_operations(const RequestContext& ctx, security::ResourceType type,
                                  std::string_view name);
    bool allowed_on_cluster(const RequestContext& ctx, security::AclOperation op) {
        return allowed(ctx, op, security::ResourceType::cluster,
                       security::cluster_resource_name);
    }
    // DescribeConfigs / AlterConfigs / IncrementalAlterConfigs on one config resource: BROKER
    // (and BROKER_LOGGER) check the cluster, TOPIC the topic, GROUP the group
    // (security::api_acl_rule); the *_AUTHORIZATION_FAILED code, or none.
    int16_t config_resource_denied(const RequestContext& ctx, int8_t resource_type,
                                   std::string_view name, security::AclOperation op);
    // AlterConfigs / IncrementalAlterConfigs from a client: the resources the principal may
    // alter are forwarded to the controller, the others answered *_AUTHORIZATION_FAILED here;
    // the outcomes are audited. Suspends.
    template <typename Resp, typename Req>
    Resp forward_authorized_configs(const RequestContext& ctx, const Req& req);
    // An admin action on one resource, for the audit log (nothing without one). Suspends.
    void audit_admin(const RequestContext& ctx, std::string_view resource_type,
                     std::string_view resource, int16_t error_code);
    // An authentication on `listener` (connection_auth.cpp), for the audit log (nothing without
    // one): `principal` authenticated or claimed ("" when none was named), `error` empty on
    // success. Suspends.
    void audit_authentication(size_t listener, std::string_view client, std::string_view principal,
                              std::string_view mechanism, bool reauthentication,
                              std::string_view error);
    // The same for the SASL exchange of `auth` that just ended (a re-authentication when
    // `reauthentication`).
    void audit_sasl(const ConnectionAuth& auth, size_t listener, std::string_view client,
                    std::string_view mechanism, bool reauthentication, std::string_view error);
    // The ACL admin APIs: Describe from this node's image, Create/Delete at the active
    // controller (forwarded from client listeners).
    protocol::CreateAclsResponse handle_create_acls(const RequestContext& ctx,
                                                    const protocol::CreateAclsRequest& req);
    protocol::DescribeAclsResponse handle_describe_acls(const RequestContext& ctx,
                                                        const protocol::DescribeAclsRequest& req);
    protocol::DeleteAclsResponse handle_delete_acls(const RequestContext& ctx,
                                                    const protocol::DeleteAclsRequest& req);

    // Handlers (handle_*.cpp).
    protocol::ApiVersionsResponse handle_api_versions(const RequestContext& ctx,
                                                      const protocol::ApiVersionsRequest& req);
    protocol::FindCoordinatorResponse handle_find_coordinator(
        const RequestContext& ctx, const protocol::FindCoordinatorRequest& req);
    protocol::MetadataResponse handle_metadata(const RequestContext& ctx,
                                               const protocol::MetadataRequest& req);
    // The response, also for acks=0 (handle_frame sends none then, or closes the connection
    // when a partition failed, as Kafka does so the producer learns of it).
    protocol::ProduceResponse handle_produce(const RequestContext& ctx, ProduceRequestView& req);
    protocol::FetchResponse handle_fetch(const RequestContext& ctx,
                                         const protocol::FetchRequest& req,
                                         std::vector<RecordsSplice>* splices);
    protocol::ListOffsetsResponse handle_list_offsets(const RequestContext& ctx,
                                                      const protocol::ListOffsetsRequest& req);
    protocol::DeleteRecordsResponse handle_delete_records(
        const RequestContext& ctx, const protocol::DeleteRecordsRequest& req);
    // KIP-101/279: where an epoch ends in this leader's log (followers and KIP-320 consumers).
    protocol::OffsetForLeaderEpochResponse handle_offset_for_leader_epoch(
        const RequestContext& ctx, const protocol::OffsetForLeaderEpochRequest& req);
    protocol::CreateTopicsResponse handle_create_topics(const RequestContext& ctx,
                                                        const protocol::CreateTopicsRequest& req);
    protocol::DeleteTopicsResponse handle_delete_topics(const RequestContext& ctx,
                                                        const protocol::DeleteTopicsRequest& req);
    protocol::CreatePartitionsResponse handle_create_partitions(
        const RequestContext& ctx, const protocol::CreatePartitionsRequest& req);
    protocol::DescribeConfigsResponse handle_describe_configs(
        const RequestContext& ctx, const protocol::DescribeConfigsRequest& req);
    protocol::AlterConfigsResponse handle_alter_configs(const RequestContext& ctx,
                                                        const protocol::AlterConfigsRequest& req);
    // One BROKER_LOGGER resource of an IncrementalAlterConfigs (broker_loggers.h).
    protocol::IncrementalAlterConfigsResponse::AlterConfigsResourceResponse alter_loggers(
        const RequestContext& ctx,
        const protocol::IncrementalAlterConfigsRequest::AlterConfigsResource& res,
        bool validate_only);
    protocol::IncrementalAlterConfigsResponse handle_incremental_alter_configs(
        const RequestContext& ctx, const protocol::IncrementalAlterConfigsRequest& req);
    protocol::DescribeClusterResponse handle_describe_cluster(
        const RequestContext& ctx, const protocol::DescribeClusterRequest& req);
    protocol::DescribeLogDirsResponse handle_describe_log_dirs(
        const RequestContext& ctx, const protocol::DescribeLogDirsRequest& req);
    // Idempotent producers (handle_producers.cpp).
    protocol::InitProducerIdResponse handle_init_producer_id(
        const RequestContext& ctx, const protocol::InitProducerIdRequest& req);
    // Controller listener: a block of producer ids for a broker (handle_producers.cpp).
    protocol::AllocateProducerIdsResponse handle_allocate_producer_ids(
        const RequestContext& ctx, const protocol::AllocateProducerIdsRequest& req);
    // Controller listener: the broker lifecycle (handle_controller.cpp).
    protocol::BrokerRegistrationResponse handle_broker_registration(
        const RequestContext& ctx, const protocol::BrokerRegistrationRequest& req);
    protocol::BrokerHeartbeatResponse handle_broker_heartbeat(
        const RequestContext& ctx, const protocol::BrokerHeartbeatRequest& req);
    // Controller listener: a partition leader's ISR change (handle_controller.cpp).
    protocol::AlterPartitionResponse handle_alter_partition(
        const RequestContext& ctx, const protocol::AlterPartitionRequest& req);
    // DescribeQuorum from a client: forwarded to the active controller, which answers with its
    // view of the quorum (handle_controller.cpp).
    protocol::DescribeQuorumResponse handle_describe_quorum(
        const RequestContext& ctx, const protocol::DescribeQuorumRequest& req);
    // ElectLeaders (KIP-460): preferred or unclean leader elections at the active controller
    // (forwarded from client listeners).
    protocol::ElectLeadersResponse handle_elect_leaders(const RequestContext& ctx,
                                                        const protocol::ElectLeadersRequest& req);
    // Partition reassignment (KIP-455): AlterPartitionReassignments at the active controller
    // (forwarded from client listeners); ListPartitionReassignments from this node's image.
    protocol::AlterPartitionReassignmentsResponse handle_alter_partition_reassignments(
        const RequestContext& ctx, const protocol::AlterPartitionReassignmentsRequest& req);
    protocol::ListPartitionReassignmentsResponse handle_list_partition_reassignments(
        const RequestContext& ctx, const protocol::ListPartitionReassignmentsRequest& req);
    // Groups (handle_groups.cpp).
    protocol::JoinGroupResponse handle_join_group(const RequestContext& ctx,
                                                  const protocol::JoinGroupRequest& req);
    protocol::SyncGroupResponse handle_sync_group(const RequestContext& ctx,
                                                  const protocol::SyncGroupRequest& req);
    protocol::HeartbeatResponse handle_heartbeat(const RequestContext& ctx,
                                                 const protocol::HeartbeatRequest& req);
    protocol::LeaveGroupResponse handle_leave_group(const RequestContext& ctx,
                                                    const protocol::LeaveGroupRequest& req);
    protocol::OffsetCommitResponse handle_offset_commit(const RequestContext& ctx,
                                                        const protocol::OffsetCommitRequest& req);
    protocol::OffsetFetchResponse handle_offset_fetch(const RequestContext& ctx,
                                                      const protocol::OffsetFetchRequest& req);
    protocol::DescribeGroupsResponse handle_describe_groups(
        const RequestContext& ctx, const protocol::DescribeGroupsRequest& req);
    protocol::ListGroupsResponse handle_list_groups(const RequestContext& ctx,
                                                    const protocol::ListGroupsRequest& req);
    protocol::DeleteGroupsResponse handle_delete_groups(const RequestContext& ctx,
                                                        const protocol::DeleteGroupsRequest& req);
    protocol::OffsetDeleteResponse handle_offset_delete(const RequestContext& ctx,
                                                        const protocol::OffsetDeleteRequest& req);

    Env& env_;
    config::BrokerConfig config_;
    BrokerOptions options_;
    int32_t node_id_;
    log::LogConfig log_defaults_;
    controller::MetaProperties meta_;
    std::unique_ptr<log::LogManager> logs_;
    std::unique_ptr<controller::MetadataLog> metadata_;
    std::unique_ptr<raft::KafkaQuorumTransport> quorum_transport_;
    std::unique_ptr<raft::QuorumDriver> quorum_;
    std::unique_ptr<raft::QuorumEndpoint> quorum_endpoint_;
    std::unique_ptr<BrokerLifecycle> lifecycle_;
    std::optional<FiberRef> expiry_fiber_;     // the controller's broker-session expiry
    std::unique_ptr<replica::ReplicaManager> replicas_;
    std::unique_ptr<MetadataPublisher> publisher_;
    std::unique_ptr<controller::Controller> controller_;
    std::unique_ptr<ControllerChannel> controller_channel_;
    // The block of producer ids this broker hands out: [next, end), reserved at the controller.
    int64_t producer_ids_next_ = 0;
    int64_t producer_ids_end_ = 0;
    std::unique_ptr<GroupManager> groups_;
    std::vector<std::unique_ptr<net::FrameServer>> servers_;
    // Every configured listener, in config order (RequestContext::listener indexes this), and
    // the client ones as clients see them (endpoints()).
    struct BoundListener {
        Endpoint endpoint;
        ListenerKind kind = ListenerKind::client;
        config::SecurityProtocol protocol = config::SecurityProtocol::plaintext;
        // SASL listeners: mechanisms, PLAIN users, limits (made by configure_sasl).
        std::shared_ptr<const security::SaslServerConfig> sasl;
    };
    // Builds the SaslServerConfig of every SASL listener from the config (sasl_by_listener_);
    // one line on failure.
    Result<void, std::string> configure_sasl();
    // How this node authenticates to the other brokers (replica fetchers) and to the
    // controllers (config::BrokerConfig::inter_broker_client / controller_client), and the
    // principal of its requests to its own controller listener; one line on failure.
    Result<void, std::string> configure_outbound();
    // The principal of the requests this node runs through its own controller listener
    // `listener` without a connection: the one it authenticates as when it dials a controller.
    Result<security::KafkaPrincipal, std::string> local_controller_principal(size_t listener);
    std::optional<client::SaslCredentials> inter_broker_sasl_;
    std::optional<client::SaslCredentials> controller_sasl_;
    // By configured listener index: its SASL settings, null for a non-SASL listener.
    std::vector<std::shared_ptr<const security::SaslServerConfig>> sasl_by_listener_;
    // connections.max.reauth.ms (KIP-368); zero: sessions last as long as their connection.
    Duration sasl_session_max_ = Duration::zero();
    // The connection's ConnectionAuth (made on its first frame); null when the connection must be
    // closed (an SSL subject no mapping rule accepts).
    ConnectionAuth* connection_auth(size_t listener, std::string_view client_host,
                                    const std::optional<std::string>& peer_identity,
                                    net::ConnectionControl* control,
                                    std::shared_ptr<ConnectionAuth>& local);
    // A frame of a SASL connection that has not authenticated yet (connection_auth.cpp):
    // a raw token, or a SaslHandshake / SaslAuthenticate request. Suspends (failure delay).
    Result<std::optional<net::FrameParts>, net::HandlerError> handle_raw_sasl_token(
        ConnectionAuth& auth, size_t listener, MutableByteSpan frame,
        const std::string& client_host, net::ConnectionControl* control);
    Result<std::optional<net::FrameParts>, net::HandlerError> handle_sasl_request(
        const RequestContext& ctx, protocol::Reader& r, ConnectionAuth& auth,
        net::ConnectionControl* control);
    // The connection authenticated (with SaslAuthenticate `authenticate_version`, -1 for raw
    // tokens): its principal, its session's end (KIP-368), and ordinary reads from now on. False
    // when a re-authentication proved another principal than the connection's: nothing changed,
    // and the connection must be closed.
    [[nodiscard]] bool finish_sasl(ConnectionAuth& auth, int16_t authenticate_version,
                                   net::ConnectionControl* control);
    // SaslHandshake / SaslAuthenticate on a connection that needs none (not SASL, or done).
    protocol::SaslHandshakeResponse handle_sasl_handshake(
        const RequestContext& ctx, const protocol::SaslHandshakeRequest& req);
    protocol::SaslAuthenticateResponse handle_sasl_authenticate(
        const RequestContext& ctx, const protocol::SaslAuthenticateRequest& req);
    // SCRAM credentials (handle_scram.cpp).
    protocol::AlterUserScramCredentialsResponse handle_alter_user_scram_credentials(
        const RequestContext& ctx, const protocol::AlterUserScramCredentialsRequest& req);
    protocol::DescribeUserScramCredentialsResponse handle_describe_user_scram_credentials(
        const RequestContext& ctx, const protocol::DescribeUserScramCredentialsRequest& req);
    // Client quotas (handle_quotas.cpp).
    protocol::AlterClientQuotasResponse handle_alter_client_quotas(
        const RequestContext& ctx, const protocol::AlterClientQuotasRequest& req);
    protocol::DescribeClientQuotasResponse handle_describe_client_quotas(
        const RequestContext& ctx, const protocol::DescribeClientQuotasRequest& req);
    security::SslPrincipalMapper ssl_mapper_;
    // The SCRAM credentials SASL sessions check: the committed metadata image's.
    class ImageScramCredentials final : public security::ScramCredentialStore {
    public:
        explicit ImageScramCredentials(const Broker& broker) : broker_(broker) {}
        std::optional<security::ScramCredential> find(
            std::string_view user, security::ScramMechanism mechanism) const override;

    private:
        const Broker& broker_;
    };
    ImageScramCredentials scram_credentials_{*this};
    std::optional<security::SaslRandomFromRandom> sim_sasl_random_;
    security::SaslRandom* sasl_random_ = nullptr;
    // env_ with options_.inter_broker_network, for the replica fetchers (when set).
    std::optional<Env> replica_env_;
    // env_ with options_.controller_network, for the quorum transport and the controller channel.
    std::optional<Env> controller_env_;
    std::vector<BoundListener> listeners_;
    // Authorization state (authorization.cpp).
    bool authorization_enabled_ = false;
    security::AuthorizerConfig authorizer_config_;
    std::vector<security::SslPrincipalMapper> principal_mappers_;  // by listener index
    // (listener, TLS subject) → principal, at most limits::principal_cache_max entries.
    std::map<std::pair<size_t, std::string>, security::KafkaPrincipal> principal_cache_;
    std::shared_ptr<const security::Authorizer> authorizer_source_;  // the image's set copied
    security::Authorizer authorizer_;
    std::unique_ptr<AuditLog> audit_;  // audit.log.file set
    std::vector<Endpoint> endpoints_;
    WaitQueue data_arrived_;
    // KIP-227 incremental fetch sessions of consumers and followers fetching from this broker.
    FetchSessionCache fetch_sessions_;
    QuotaManager quotas_;
    BrokerMetrics metrics_;
    std::vector<FiberRef> late_durable_fibers_;  // advance_when_durable; joined by stop()
    bool started_ = false;
    bool start_aborted_ = false;
    bool stopped_ = false;
};

// Encodes an ApiVersions v0 response with UNSUPPORTED_VERSION and our ranges, under response
// header v0 (the answer to an ApiVersions request of a version we do not serve; KIP-511).
Bytes unsupported_api_versions_response(int32_t correlation_id);

}  // namespace eddy::kafka
