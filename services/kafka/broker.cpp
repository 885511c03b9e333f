#include "services/kafka/broker.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "core/protocol/message_header.h"
#include "services/kafka/api_table.h"
#include "services/kafka/errors.h"
#include "services/kafka/forwarding.h"
#include "services/kafka/produce_view.h"
#include "services/kafka/topic_configs.h"
#include "services/raft/driver_endpoint.h"
#include "services/security/sasl_protocol.h"

namespace eddy::kafka {

using protocol::ApiKey;

namespace {
constexpr size_t broker_pipeline_depth = 256;
static_assert(broker_pipeline_depth <= net::limits::pipeline_depth_max);

raft::QuorumConfig quorum_config(const config::BrokerConfig& c) {
    raft::QuorumConfig q;
    for (const auto& v : c.quorum_voters()) {
        q.voters.push_back(NodeId(v.id));
    }
    q.election_timeout = c.duration_ms("controller.quorum.election.timeout.ms");
    q.fetch_timeout = c.duration_ms("controller.quorum.fetch.timeout.ms");
    q.request_timeout = c.duration_ms("controller.quorum.request.timeout.ms");
    return q;
}
}  // namespace

Broker::Broker(Env& env, config::BrokerConfig config, BrokerOptions options)
    : env_(env),
      config_(std::move(config)),
      options_(std::move(options)),
      node_id_(config_.node_id()),
      log_defaults_(broker_log_defaults(config_)),
      data_arrived_(env.scheduler),
      fetch_sessions_(env.random) {}

Broker::~Broker() = default;

Result<void, std::string> Broker::start() {
    ASSERT(!started_, "start() once");
    started_ = true;
    auto r = open_and_serve();
    if (!r.ok()) {
        stop();
    }
    return r;
}

Result<void, std::string> Broker::open_and_serve() {
    // SASL settings first: a listener that cannot authenticate anyone is a configuration error,
    // reported before anything is created on disk.
    TRY_VOID(configure_sasl());
    TRY_VOID(configure_outbound());
    TRY_VOID(configure_authorization());  // a bad value stops the start before any disk work
    if (auto r = env_.disk.make_directory(options_.data_dir);
        !r.ok() && r.error() != DiskError::already_exists) {
        return fail(std::string("cannot create the data directory: ") + to_string(r.error()));
    }
    TRY_ASSIGN(meta_, controller::load_or_format(env_, options_.data_dir, node_id_,
                                                 config_.quorum_voters()));

    log::LogManagerOptions lo;
    lo.data_dir = options_.data_dir;
    lo.default_config = log_defaults_;
    lo.checkpoint_interval = config_.is_set("log.flush.offset.checkpoint.interval.ms")
                                 ? config_.duration_ms("log.flush.offset.checkpoint.interval.ms")
                                 : Duration::seconds(60);
    lo.retention_check_interval = config_.duration_ms("log.retention.check.interval.ms");
    lo.knobs = options_.log_knobs;
    lo.producer_id_expiration = config_.duration_ms("producer.id.expiration.ms");
    lo.verify_on_open = options_.verify_logs_on_open;
    lo.on_log_failed = [this](const log::TopicPartition& tp, log::OfflineCause cause,
                              const std::string& reason) {
        if (cause == log::OfflineCause::damaged && publisher_ && publisher_->may_rebuild(tp)) {
            publisher_->repair_soon();  // a follower outside the ISR: copy it again
            return;
        }
        // Kafka halts a broker whose only log directory failed (KIP-112's single-directory
        // case). A damaged replica that the controller may still count (leader, ISR member) is
        // the same: the restart re-registers the broker, which takes it out of every ISR it can
        // leave, and the damage marker keeps the log offline until it can be copied again.
        env_.process.crash("log directory failed: " + tp.to_string() + ": " + reason);
    };
    auto logs = std::make_unique<log::LogManager>(env_, lo);
    if (auto r = logs->open(); !r.ok()) {
        return fail(std::string("cannot open the logs: ") + std::string(log::to_string(r.error())));
    }
    logs_ = std::move(logs);

    // The metadata quorum: every node runs a replica of the Raft log on __cluster_metadata-0
    // (a voter when it is a controller, else an observer) and applies what commits to its image.
    metadata_ = std::make_unique<controller::MetadataLog>(env_);
    // Before any listener is bound: the controller listener's handlers publish their changes.
    replica::ReplicaOptions ro;
    ro.node_id = node_id_;
    ro.lag_time_max = config_.duration_ms("replica.lag.time.max.ms");
    ro.fetch_wait_max = config_.duration_ms("replica.fetch.wait.max.ms");
    ro.fetch_partition_max_bytes = static_cast<int32_t>(config_.get_int("replica.fetch.max.bytes"));
    ro.fetch_response_max_bytes =
        static_cast<int32_t>(config_.get_int("replica.fetch.response.max.bytes"));
    ro.fetch_backoff = config_.duration_ms("replica.fetch.backoff.ms");
    ro.socket_timeout = config_.duration_ms("replica.socket.timeout.ms");
    replica::ReplicaHooks rh;
    rh.address_of = [this](int32_t id) { return replica_address(id); };
    rh.alter_isr = [this](const std::vector<replica::IsrChange>& changes) {
        return alter_isr(changes);
    };
    rh.may_join = [this](int32_t id) {
        const auto* b = controller_->image().broker(id);
        return b != nullptr && b->usable();
    };
    rh.data_changed = [this] { notify_data(); };
    if (options_.inter_broker_network != nullptr) {
        // The same node, reaching other brokers through the network their inter-broker listener
        // needs (TLS when it is SSL); Env is a bundle of references, so this is a view.
        replica_env_.emplace(Env{env_.node, env_.clock, *options_.inter_broker_network, env_.disk,
                                 env_.random, env_.scheduler, env_.tracer, env_.faults, env_.log,
                                 env_.process});
    }
    ro.sasl = inter_broker_sasl_;
    if (options_.controller_network != nullptr) {
        controller_env_.emplace(Env{env_.node, env_.clock, *options_.controller_network,
                                    env_.disk, env_.random, env_.scheduler, env_.tracer,
                                    env_.faults, env_.log, env_.process});
    }
    Env& controller_env = controller_env_ ? *controller_env_ : env_;
    replicas_ = std::make_unique<replica::ReplicaManager>(
        replica_env_ ? *replica_env_ : env_, ro, *logs_, std::move(rh), options_.replica_knobs);
    publisher_ = std::make_unique<MetadataPublisher>(env_, node_id_, *metadata_, *logs_,
                                                     *replicas_, log_defaults_,
                                                     [this] { notify_data(); });
    raft::QuorumDriverOptions qo;
    qo.self = NodeId(node_id_);
    qo.config = quorum_config(config_);
    qo.cluster_id = meta_.cluster_id;
    qo.snapshot_every = options_.metadata_snapshot_every;
    qo.knobs = options_.quorum_knobs;
    qo.driver_knobs = options_.quorum_driver_knobs;
    qo.observer = options_.quorum_observer;
    auto quorum = raft::QuorumDriver::open(env_, *logs_, qo, *metadata_);
    if (!quorum.ok()) {
        return fail(quorum.error());
    }
    quorum_ = std::move(quorum).value();
    metadata_->attach(*quorum_);

    controller::ControllerOptions co;
    co.node_id = node_id_;
    co.default_partitions = static_cast<int32_t>(config_.get_int("num.partitions"));
    co.default_replication_factor =
        static_cast<int16_t>(config_.get_int("default.replication.factor"));
    co.delete_topic_enable = config_.get_bool("delete.topic.enable");
    co.heartbeats.session_timeout = config_.duration_ms("broker.session.timeout.ms");
    co.reassignment_knobs = options_.reassignment_knobs;
    co.bootstrap_records = options_.bootstrap_records;  // `eddy format --add-scram`
    controller_ = std::make_unique<controller::Controller>(
        env_, co, *metadata_,
        [](const std::string& k, const std::string& v) { return validate_topic_config(k, v); });
    std::map<NodeId, Address> controllers;
    for (const auto& v : config_.quorum_voters()) {
        controllers[NodeId(v.id)] = Address{v.host, static_cast<uint16_t>(v.port)};
    }
    controller_channel_ = std::make_unique<ControllerChannel>(
        controller_env, *quorum_, std::move(controllers), internal_client_id, controller_sasl_,
        [this](Bytes frame) { return call_controller_listener(std::move(frame)); });
    // The controller listener first: the other voters need it to elect a leader. Clients are
    // served only once this node has the committed metadata (a leader is known and everything it
    // had committed when we heard from it is applied here).
    net::FrameServerOptions so;
    so.frame_bytes_max = static_cast<size_t>(config_.get_int("socket.request.max.bytes"));
    so.idle_timeout = config_.duration_ms("connections.max.idle.ms");
    // Deep enough that a producer sending one small request per message (linger 0) keeps a whole
    // sync's worth of them in flight in durable mode — 10k requests/s × a few ms of fdatasync on
    // a busy disk is about 50 — so they share one group commit instead of queueing behind a
    // 16-deep pipeline. Memory is bounded by pipeline_bytes_max, not by depth × frame size.
    so.pipeline_depth = broker_pipeline_depth;
    // Kafka's socket-server limits, one set for all the listeners of this process.
    net::ServerLimitsOptions lim;
    if (const int64_t q = config_.get_int("queued.max.request.bytes"); q > 0) {
        lim.queued_bytes_max = static_cast<size_t>(q);
    }
    lim.connections_max = static_cast<size_t>(config_.get_int("max.connections"));
    lim.connections_per_host_max = static_cast<size_t>(config_.get_int("max.connections.per.ip"));
    TRY_ASSIGN(lim.connections_per_host_overrides,
               net::parse_connection_overrides(config_.get("max.connections.per.ip.overrides")));
    lim.connection_creation_rate =
        static_cast<double>(config_.get_int("max.connection.creation.rate"));
    lim.host_connection_rate = [this](const std::string& host) -> std::optional<double> {
        if (!controller_) {
            return std::nullopt;
        }
        return controller_->image().client_quotas().connection_rate(host);
    };
    so.limits = std::make_shared<net::ServerLimits>(env_.scheduler, std::move(lim));
    declare_listeners();
    TRY_VOID(serve(ListenerKind::controller, so));
    quorum_endpoint_ = std::make_unique<raft::DriverEndpoint>(*quorum_);
    {
        std::map<NodeId, Address> voters;
        for (const auto& v : config_.quorum_voters()) {
            voters[NodeId(v.id)] = Address{v.host, v.port};
        }
        raft::KafkaQuorumTransportOptions to;
        to.request_timeout = qo.config.request_timeout;
        to.sasl = controller_sasl_;
        quorum_transport_ = std::make_unique<raft::KafkaQuorumTransport>(
            controller_env, NodeId(node_id_), meta_.cluster_id, std::move(voters),
            [this](raft::Message m) {
                if (quorum_) {
                    (void)quorum_->receive(m);
                }
            },
            to);
        quorum_transport_->start();
    }
    quorum_->start(*quorum_transport_);
    if (config_.has_role("controller")) {
        expiry_fiber_ = env_.scheduler.spawn("broker-session-expiry", [this] {
            const Duration every = std::max(Duration::millis(50),
                                            config_.duration_ms("broker.session.timeout.ms") / 8);
            const Duration check_every =
                Duration::seconds(config_.get_int("leader.imbalance.check.interval.seconds"));
            Instant next_rebalance = env_.clock.now() + check_every;
            while (env_.scheduler.sleep_for(every) != WakeReason::cancelled) {
                controller_->expire_brokers();
                // auto.leader.rebalance.enable: leadership back to the preferred replicas.
                if (config_.get_bool("auto.leader.rebalance.enable") &&
                    env_.clock.now() >= next_rebalance) {
                    next_rebalance = env_.clock.now() + check_every;
                    controller_->rebalance_leaders(
                        static_cast<double>(
                            config_.get_int("leader.imbalance.per.broker.percentage")) /
                        100.0);
                }
            }
        });
    }
    TRY_VOID(wait_for_metadata());
    if (config_.has_role("broker")) {
        BrokerLifecycleOptions lo2;
        lo2.node_id = node_id_;
        lo2.cluster_id = meta_.cluster_id;
        for (const auto& l : listeners_) {
            if (l.kind == ListenerKind::client) {
                protocol::BrokerRegistrationRequest::Listener rl;
                rl.name_ = l.endpoint.listener;
                rl.host_ = l.endpoint.host;
                rl.port_ = static_cast<uint16_t>(l.endpoint.port);
                rl.security_protocol_ = static_cast<int16_t>(l.protocol);
                lo2.listeners.push_back(std::move(rl));
            }
        }
        if (config_.is_set("broker.rack") && !config_.get("broker.rack").empty()) {
            lo2.rack = config_.get("broker.rack");
        }
        lo2.heartbeat_interval = config_.duration_ms("broker.heartbeat.interval.ms");
        lifecycle_ = std::make_unique<BrokerLifecycle>(env_, lo2, *controller_channel_, *metadata_);
        controller_->set_local_broker(lifecycle_->incarnation_id());
        lifecycle_->start();
        TRY_VOID(wait_until_unfenced());
    }
    reconcile();
    replicas_->start();
    publisher_->start();
    logs_->start_background();

    group::GroupConfig gc;
    gc.initial_rebalance_delay = config_.duration_ms("group.initial.rebalance.delay.ms");
    gc.session_timeout_min = config_.duration_ms("group.min.session.timeout.ms");
    gc.session_timeout_max = config_.duration_ms("group.max.session.timeout.ms");
    gc.knobs = options_.group_knobs;
    gc.offsets_retention = Duration::minutes(config_.get_int("offsets.retention.minutes"));
    groups_ = std::make_unique<GroupManager>(
        env_, gc, static_cast<int32_t>(config_.get_int("offsets.topic.num.partitions")),
        [this](int32_t p) {
            GroupManager::Led led;
            led.log = partition_log(offsets_topic, p);
            if (led.log) {
                led.leader_epoch = replicas_->leader_epoch(led.log->topic_partition()).value_or(-1);
            }
            return led;
        },
        [this] { return ensure_offsets_topic(); },
        [this](int32_t p, MutableByteSpan batch) {
            // Coordinator records are written as Kafka writes them: acks=all.
            auto l = partition_log(offsets_topic, p);
            int32_t epoch = -1;
            if (!l) {
                return false;
            }
            auto info = leader_append(*l, batch, nullptr, epoch);
            bool late = false;
            return info.ok() &&
                   wait_for_acks(l, *info, -1, epoch,
                                 env_.clock.now() + config_.duration_ms("offsets.commit.timeout.ms"),
                                 late) == error::none;
        });
    groups_->start(controller_->image().topic(offsets_topic) != nullptr);

    TRY_VOID(serve(ListenerKind::client, so));
    if (std::none_of(listeners_.begin(), listeners_.end(), [](const BoundListener& l) {
            return l.kind == ListenerKind::client;
        })) {
        return fail("no client listener: `listeners` names only controller listeners");
    }
    return {};
}

void Broker::declare_listeners() {
    for (const auto& l : config_.listeners()) {
        BoundListener b;
        b.kind = config_.is_controller_listener(l.name) ? ListenerKind::controller
                                                        : ListenerKind::client;
        b.endpoint = Endpoint{l.name, l.host, l.port};
        b.protocol = config_.security_protocol(l.name);
        b.sasl = listeners_.size() < sasl_by_listener_.size() ? sasl_by_listener_[listeners_.size()]
                                                              : nullptr;
        for (const auto& a : config_.advertised_listeners()) {
            if (a.name == l.name) {
                b.endpoint.host = a.host;
                b.endpoint.port = a.port;
            }
        }
        listeners_.push_back(std::move(b));
    }
}

Result<void, std::string> Broker::serve(ListenerKind kind, const net::FrameServerOptions& so) {
    const auto& configured = config_.listeners();
    for (size_t index = 0; index < listeners_.size(); ++index) {
        BoundListener& bl = listeners_[index];
        if (bl.kind != kind || !options_.listen) {
            continue;
        }
        const auto& l = configured[index];
        Result<std::unique_ptr<Listener>, std::string> listener = fail(std::string());
        if (options_.bind_listener) {
            listener = options_.bind_listener(l, Address{l.host, l.port});
        } else if (auto plain = env_.network.listen({l.host, l.port}); plain.ok()) {
            listener = std::move(plain).value();
        } else {
            listener = fail(std::string(eddy::to_string(plain.error())));
        }
        if (!listener.ok()) {
            return fail("cannot listen on " + l.name + "://" + l.host + ":" +
                        std::to_string(l.port) + ": " + listener.error());
        }
        const Address bound = (*listener)->local_address();
        if (bl.endpoint.port == 0 || bl.endpoint.port == l.port) {
            bl.endpoint.port = bound.port;  // port 0 asked for any port
        }
        if (bl.endpoint.host.empty() || bl.endpoint.host == "0.0.0.0") {
            bl.endpoint.host = "127.0.0.1";
        }
        net::FrameServerOptions listener_so = so;
        listener_so.connection_rates = kind == ListenerKind::client;
        if (bl.sasl) {
            // Until a client has authenticated: small frames, one at a time (connection_auth.h).
            listener_so.initial_read_mode.frame_bytes_max = bl.sasl->token_bytes_max;
            listener_so.initial_read_mode.lockstep = true;
        }
        auto server = std::make_unique<net::FrameServer>(
            env_, std::move(listener).value(),
            net::PartsHandler([this, index](const net::ConnectionInfo& ci, MutableByteSpan frame,
                                            net::RequestTurn& turn) {
                // The API key is the frame's first two bytes (decoding checks it properly).
                // The API key, version and correlation id are the frame's first eight bytes
                // (decoding checks them properly).
                const bool has_header = frame.size() >= 8;
                const int16_t key =
                    has_header ? static_cast<int16_t>(load_be<uint16_t>(frame.data())) : -1;
                const int version =
                    has_header ? static_cast<int16_t>(load_be<uint16_t>(frame.data() + 2)) : -1;
                const int correlation =
                    has_header ? static_cast<int32_t>(load_be<uint32_t>(frame.data() + 4)) : -1;
                const Instant arrived = env_.clock.now();
                auto r =
                    handle_frame(index, frame, ci.peer.host, &turn, ci.peer_identity, ci.control);
                const auto api = protocol::api_key_from_int(key);
                const Duration took = env_.clock.now() - arrived;
                if (r.ok() && api) {
                    metrics_.request_served(key, took.to_seconds());
                }
                // Kafka's request log (kafka.request.logger at DEBUG), one line per request.
                env_.log.debug(
                    "request %s v%d correlation %d from %s:%u (connection %llu, %s): "
                    "%.3f ms%s",
                    api ? protocol::to_string(*api) : "?", version, correlation,
                    ci.peer.host.c_str(), static_cast<unsigned>(ci.peer.port),
                    static_cast<unsigned long long>(ci.id),
                    listeners_[index].endpoint.listener.c_str(),
                    static_cast<double>(took.to_nanos()) / 1e6,
                    r.ok() ? "" : ", connection closed");
                return r;
            }),
            listener_so);
        server->start();
        servers_.push_back(std::move(server));
    }
    endpoints_.clear();
    for (const auto& b : listeners_) {
        if (b.kind == ListenerKind::client) {
            endpoints_.push_back(b.endpoint);
        }
    }
    return {};
}

void Broker::stop() {
    if (stopped_ || !started_) {
        return;
    }
    stopped_ = true;
    if (lifecycle_) {
        // Controlled shutdown: leadership moves to other brokers before this one stops serving.
        lifecycle_->shutdown(Duration::seconds(5));
    }
    // Nothing may wait on the quorum from here: forwarded requests fail at once (NOT_CONTROLLER)
    // and the controller's operations see it stop, so the servers below can drain even when the
    // quorum has no majority left. A leading controller resigns (EndQuorumEpoch goes out while
    // the transport still runs).
    if (controller_channel_) {
        controller_channel_->stop();
    }
    if (quorum_) {
        quorum_->stop();
    }
    if (groups_) {
        groups_->stop();  // pending JoinGroup/SyncGroup answer now, so the servers can drain
    }
    if (replicas_) {
        replicas_->stop();  // fetchers stop; acks=all produces waiting for followers answer now
    }
    // Long-poll fetches see stopped_ and answer now: a Fetch waiting max_wait_ms (up to 2^31-1 ms)
    // must not hold the servers' drain, and so the shutdown, hostage.
    data_arrived_.notify_all();
    for (auto& s : servers_) {
        s->stop();
    }
    for (const FiberRef& f : late_durable_fibers_) {
        f.cancel();
    }
    for (const FiberRef& f : late_durable_fibers_) {
        (void)f.join();
    }
    late_durable_fibers_.clear();
    if (expiry_fiber_) {
        expiry_fiber_->cancel();
        (void)expiry_fiber_->join();
    }
    if (publisher_) {
        publisher_->stop();
    }
    if (quorum_transport_) {
        quorum_transport_->stop();
    }
    if (logs_) {
        if (auto r = logs_->close(); !r.ok()) {
            env_.log.error("closing the logs: %s", std::string(log::to_string(r.error())).c_str());
        }
    }
}

controller::CreatedTopic Broker::create_topic_via_controller(const controller::NewTopic& nt) {
    protocol::CreateTopicsRequest req;
    protocol::CreateTopicsRequest::CreatableTopic t;
    t.name_ = nt.name;
    t.num_partitions_ = nt.partitions;
    t.replication_factor_ = nt.replication_factor;
    for (const auto& c : nt.configs) {
        protocol::CreateTopicsRequest::CreatableTopicConfig cc;
        cc.name_ = c.key;
        cc.value_ = c.value;
        t.configs_.push_back(std::move(cc));
    }
    req.topics_.push_back(std::move(t));
    const auto resp = forward<protocol::CreateTopicsResponse>(*controller_channel_, req,
                                                              Duration::seconds(10));
    controller::CreatedTopic out;
    if (resp.topics_.size() != 1) {
        out.error = controller::ApiError::of(error::unknown_server_error,
                                             "the controller's CreateTopics answer is malformed");
        return out;
    }
    const auto& r = resp.topics_.front();
    out.error.code = r.error_code_;
    out.error.message = r.error_message_;
    out.id = r.topic_id_;
    out.partitions = r.num_partitions_;
    out.replication_factor = r.replication_factor_;
    if (out.error.ok()) {
        await_image([&] { return controller_->image().topic(nt.name) != nullptr; });
    }
    return out;
}

Result<Bytes, std::string> Broker::call_controller_listener(Bytes frame) {
    for (size_t i = 0; i < listeners_.size(); ++i) {
        if (listeners_[i].kind != ListenerKind::controller) {
            continue;
        }
        // The request carries this node's own principal, as it would over a connection: the
        // controller listener checks it like any peer's (CLUSTER_ACTION).
        auto principal = local_controller_principal(i);
        if (!principal.ok()) {
            return fail(principal.error());
        }
        auto auth = std::make_shared<ConnectionAuth>();
        auth->principal = std::move(principal).value();
        net::ConnectionControl control;
        control.state = std::move(auth);
        auto r = handle_frame(i, MutableByteSpan(frame), "", nullptr, std::nullopt, &control);
        if (!r.ok() || !*r) {
            return fail(std::string("the local controller closed the request"));
        }
        auto flat = flatten(**r);
        if (!flat.ok()) {
            return fail(std::string("the local controller's response could not be read"));
        }
        return std::move(flat).value();
    }
    return fail(std::string("this node has no controller listener"));
}

Result<void, std::string> Broker::wait_until_unfenced() {
    while (!lifecycle_->wait_unfenced(env_.clock.now() + Duration::seconds(5))) {
        if (start_aborted_ || env_.scheduler.cancelled()) {
            return fail(std::string("stopped while waiting to be unfenced"));
        }
        env_.log.info("waiting for the active controller to %s this broker",
                      lifecycle_->registered() ? "unfence" : "register");
    }
    return {};
}

Result<void, std::string> Broker::wait_for_metadata() {
    Instant next_report = env_.clock.now() + Duration::seconds(5);
    while (true) {
        if (quorum_->leader() && quorum_->high_watermark() > 0 &&
            metadata_->applied_offset() >= quorum_->high_watermark()) {
            if (const auto& damage = metadata_->first_damage()) {
                return fail("cannot replay the metadata log: " + *damage);
            }
            return {};
        }
        if (env_.clock.now() >= next_report) {
            env_.log.info("waiting for the controller quorum (%s): epoch %d, leader %s",
                          config_.get("controller.quorum.voters").c_str(), quorum_->epoch(),
                          quorum_->leader() ? std::to_string(quorum_->leader()->value()).c_str()
                                            : "unknown");
            next_report = env_.clock.now() + Duration::seconds(5);
        }
        if (start_aborted_ ||
            env_.scheduler.sleep_for(Duration::millis(10)) == WakeReason::cancelled) {
            return fail(std::string("stopped while waiting for the controller quorum"));
        }
    }
}

void Broker::await_image(const std::function<bool()>& done) {
    const Instant deadline = env_.clock.now() + Duration::seconds(5);
    while (!done() && env_.clock.now() < deadline && !stopped_) {
        metadata_->wait_changed(metadata_->version(), deadline);
    }
    reconcile();
}

void Broker::notify_data() { data_arrived_.notify_all(); }

void Broker::advance_when_durable(std::vector<LateDurable> late) {
    std::erase_if(late_durable_fibers_, [](const FiberRef& f) { return f.done(); });
    late_durable_fibers_.push_back(
        env_.scheduler.spawn("produce-late-durable", [this, late = std::move(late)] {
            for (const LateDurable& d : late) {
                if (d.log->wait_durable(d.last_offset).ok()) {
                    replicas_->appended(d.log->topic_partition());
                }
            }
        }));
}

void Broker::reconcile() { publisher_->publish(); }

bool Broker::leads(const std::string& topic, int32_t partition) const {
    const auto* t = controller_->image().topic(topic);
    if (t == nullptr) {
        return false;
    }
    const auto it = t->partitions.find(partition);
    return it != t->partitions.end() && it->second.leader == node_id_;
}

std::shared_ptr<log::PartitionLog> Broker::partition_log(const std::string& topic,
                                                         int32_t partition) {
    // Only the partition's leader serves it, once its replica state says so (the publisher
    // applies the image to it right after making the log).
    const log::TopicPartition tp{topic, PartitionId(partition)};
    if (topic == metadata_topic || !leads(topic, partition) || !replicas_->leader_epoch(tp)) {
        return nullptr;
    }
    return logs_->get_shared(tp);
}

Result<log::AppendInfo, log::LogError> Broker::leader_append(log::PartitionLog& l,
                                                             MutableByteSpan batches,
                                                             log::AppendRejection* rejection,
                                                             int32_t& epoch) {
    const auto e = replicas_->leader_epoch(l.topic_partition());
    if (!e) {
        return fail(log::LogError::closed);  // leadership moved: NOT_LEADER_OR_FOLLOWER
    }
    epoch = *e;
    log::AppendOptions options;
    options.leader_epoch = LeaderEpoch(epoch);
    options.rejection = rejection;
    auto r = l.append_nowait(batches, options);
    ASSERT(!r.ok() || r->duplicate || r->last_offset < l.log_end_offset(),
           "an append returns once its batches are in the log");
    ASSERT(!r.ok() || r->base_offset <= r->last_offset);
    if (r.ok() && !l.config().durable_acks()) {

        replicas_->appended(l.topic_partition());  // page-cache mode: written is enough here
    }
    return r;
}

int16_t Broker::wait_for_acks(const std::shared_ptr<log::PartitionLog>& l,
                              const log::AppendInfo& info, int16_t acks, int32_t epoch,
                              Instant deadline, bool& late) {
    late = false;
    if (l->config().durable_acks()) {
        if (auto w = l->wait_durable(info.last_offset, deadline); !w.ok()) {
            late = w.error() == log::LogError::timed_out;
            return error_code(w.error());  // timed_out: REQUEST_TIMED_OUT
        }
        replicas_->appended(l->topic_partition());
    }
    if (acks != -1) {
        return error::none;
    }
    const auto& tp = l->topic_partition();
    if (int16_t e = replicas_->wait_replicated(tp, info.last_offset, epoch, deadline);
        e != error::none) {
        return e;
    }
    if (static_cast<int64_t>(replicas_->isr_size(tp)) < min_insync_replicas(tp.topic)) {
        return error::not_enough_replicas_after_append;
    }
    return error::none;
}

int32_t Broker::min_insync_replicas(const std::string& topic) const {
    if (const auto* t = controller_->image().topic(topic)) {
        if (auto it = t->configs.find("min.insync.replicas"); it != t->configs.end()) {
            int32_t v = 0;
            const auto* end = it->second.data() + it->second.size();
            if (std::from_chars(it->second.data(), end, v).ptr == end && v >= 1) {
                return v;
            }
        }
    }
    return static_cast<int32_t>(config_.get_int("min.insync.replicas"));
}

std::optional<Address> Broker::replica_address(int32_t broker) const {
    const auto* b = controller_->image().broker(broker);
    if (b == nullptr) {
        return std::nullopt;
    }
    // Every broker of a cluster names its listeners alike; the inter-broker one is where
    // followers fetch.
    const std::string name = config_.inter_broker_listener();
    for (const auto& e : b->endpoints) {
        if (e.name == name) {
            return Address{e.host, e.port};
        }
    }
    return std::nullopt;
}

std::vector<Result<replica::Assignment, int16_t>> Broker::alter_isr(
    const std::vector<replica::IsrChange>& changes) {
    using Answer = Result<replica::Assignment, int16_t>;
    std::vector<Answer> out(changes.size(), Answer(fail(error::unknown_topic_or_partition)));
    const auto& image = controller_->image();
    if (!lifecycle_) {
        return out;
    }
    protocol::AlterPartitionRequest req;
    req.broker_id_ = node_id_;
    req.broker_epoch_ = lifecycle_->broker_epoch();
    // Which change each (topic, partition) of the request is.
    std::map<std::pair<std::string, int32_t>, size_t> index;
    for (size_t i = 0; i < changes.size(); ++i) {
        const auto& ch = changes[i];
        const auto* t = image.topic(ch.tp.topic);
        if (t == nullptr) {
            continue;
        }
        if (req.topics_.empty() || req.topics_.back().topic_name_ != ch.tp.topic) {
            protocol::AlterPartitionRequest::TopicData td;
            td.topic_name_ = ch.tp.topic;
            td.topic_id_ = t->id;
            req.topics_.push_back(std::move(td));
        }
        protocol::AlterPartitionRequest::PartitionData pd;
        pd.partition_index_ = ch.tp.partition.value();
        pd.leader_epoch_ = ch.now.leader_epoch;
        pd.partition_epoch_ = ch.now.partition_epoch;
        pd.new_isr_ = ch.isr;
        for (int32_t id : ch.isr) {
            const auto* b = image.broker(id);
            pd.new_isr_with_epochs_.push_back({id, b != nullptr ? b->epoch : -1});
        }
        req.topics_.back().partitions_.push_back(std::move(pd));
        index[{ch.tp.topic, ch.tp.partition.value()}] = i;
    }
    if (req.topics_.empty()) {
        return out;
    }
    auto resp = controller_channel_->call<protocol::AlterPartitionResponse>(req,
                                                                           Duration::seconds(10));
    int16_t whole = error::none;
    if (!resp.ok()) {
        whole = resp.error().code;
    } else if (resp->error_code_ != error::none) {
        whole = resp->error_code_;
    }
    if (whole != error::none) {
        for (auto& [key, i] : index) {
            out[i] = fail(whole);
        }
        return out;
    }
    // Answers are matched by name (v0-1) or by id (v2+).
    for (const auto& t : resp->topics_) {
        std::string name = t.topic_name_;
        if (name.empty()) {
            if (const auto* known = image.topic(t.topic_id_)) {
                name = known->name;
            }
        }
        for (const auto& p : t.partitions_) {
            auto it = index.find({name, p.partition_index_});
            if (it == index.end()) {
                continue;
            }
            if (p.error_code_ != error::none) {
                out[it->second] = fail(p.error_code_);
                continue;
            }
            replica::Assignment a = changes[it->second].now;
            a.leader = p.leader_id_;
            a.leader_epoch = p.leader_epoch_;
            a.isr = p.isr_;
            a.partition_epoch = p.partition_epoch_;
            out[it->second] = std::move(a);
        }
    }
    return out;
}

int16_t Broker::partition_error(const std::string& topic, int32_t partition) const {
    const auto* t = controller_->image().topic(topic);
    if (t == nullptr || !t->partitions.contains(partition)) {
        return error::unknown_topic_or_partition;
    }
    const int32_t leader = t->partitions.at(partition).leader;
    if (leader != node_id_) {
        // Another broker leads it (the client's metadata is stale), or none does right now.
        return leader < 0 ? error::leader_not_available : error::not_leader_or_follower;
    }
    return error::leader_not_available;  // in the image but its log is not open (yet)
}

bool Broker::auto_create_allowed() const { return config_.get_bool("auto.create.topics.enable"); }

bool Broker::ensure_offsets_topic() {
    const auto* t = controller_->image().topic(offsets_topic);
    if (t == nullptr) {
        controller::NewTopic nt;
        nt.name = offsets_topic;
        nt.partitions = groups_->partitions();
        // Capped at the live brokers: a cluster smaller than the factor still gets its groups.
        const auto live = static_cast<int64_t>(controller_->image().unfenced_brokers().size());
        nt.replication_factor = static_cast<int16_t>(
            std::clamp<int64_t>(config_.get_int("offsets.topic.replication.factor"), 1,
                                std::max<int64_t>(live, 1)));
        nt.configs.push_back({"cleanup.policy", std::string("compact")});
        auto created = create_topic_via_controller(nt);
        if (!created.error.ok() && created.error.code != error::topic_already_exists) {
            env_.log.error("cannot create %s: %s", offsets_topic,
                           created.error.message.value_or("").c_str());
            return false;
        }
    }
    reconcile();
    t = controller_->image().topic(offsets_topic);
    if (t == nullptr) {
        return false;
    }
    for (const auto& [p, ps] : t->partitions) {
        if (ps.leader == node_id_ && logs_->get_shared({offsets_topic, PartitionId(p)}) == nullptr) {
            return false;  // one this node coordinates is not open yet
        }
    }
    return true;
}

template <typename Resp>
Bytes Broker::encode_response(const RequestContext& ctx, const Resp& resp) const {
    Bytes out;
    protocol::Writer w(out);
    protocol::encode_response_header(w, ctx.key, ctx.version, ctx.header.correlation_id_);
    resp.encode(w, ctx.version);
    return out;
}

Bytes unsupported_api_versions_response(int32_t correlation_id) {
    protocol::ApiVersionsResponse resp;
    resp.error_code_ = error::unsupported_version;
    for (const auto& a : supported_apis()) {
        protocol::ApiVersionsResponse::ApiVersion v;
        v.api_key_ = static_cast<int16_t>(a.key);
        v.min_version_ = a.min_version;
        v.max_version_ = a.max_version;
        resp.api_keys_.push_back(v);
    }
    Bytes out;
    protocol::Writer w(out);
    protocol::encode_response_header(w, ApiKey::api_versions, 0, correlation_id);
    resp.encode(w, 0);
    return out;
}

namespace {

template <typename Req>
Result<Req, protocol::DecodeError> decode_body(protocol::Reader& r, int16_t version) {
    return Req::decode(r, version);
}

}  // namespace

namespace {

net::FrameParts one_part(Bytes b) {
    net::FrameParts parts(1);
    parts[0].bytes = std::move(b);
    return parts;
}

// Replaces each splice's marker (and the 16-byte length prefix before it) in an encoded response
// by the real length prefix and the file ranges.
net::FrameParts splice_records(Bytes encoded, bool flexible,
                               const std::vector<RecordsSplice>& splices) {
    net::FrameParts parts;
    size_t from = 0;
    for (const auto& s : splices) {
        auto it = std::search(encoded.begin() + static_cast<std::ptrdiff_t>(from), encoded.end(),
                              s.marker.begin(), s.marker.end());
        ASSERT(it != encoded.end(), "a records marker is missing from the encoded response");
        const auto at = static_cast<size_t>(it - encoded.begin());
        const size_t prefix = flexible ? 1 : 4;  // uvarint(17) or int32(16)
        ASSERT(at >= from + prefix);
        net::FramePart head;
        head.bytes.assign(encoded.begin() + static_cast<std::ptrdiff_t>(from),
                          encoded.begin() + static_cast<std::ptrdiff_t>(at - prefix));
        protocol::Writer w(head.bytes);
        if (flexible) {
            w.write_uvarint(static_cast<uint32_t>(s.bytes + 1));
        } else {
            w.write_int32(static_cast<int32_t>(s.bytes));
        }
        parts.push_back(std::move(head));
        for (const auto& r : s.ranges) {
            net::FramePart fp;
            fp.file = r.file;
            fp.offset = r.position;
            fp.length = r.length;
            parts.push_back(std::move(fp));
        }
        from = at + s.marker.size();
    }
    net::FramePart tail;
    tail.bytes.assign(encoded.begin() + static_cast<std::ptrdiff_t>(from), encoded.end());
    parts.push_back(std::move(tail));
    return parts;
}

}  // namespace

Result<Bytes, DiskError> Broker::flatten(const net::FrameParts& parts) {
    Bytes out;
    for (const auto& p : parts) {
        if (!p.file) {
            out.insert(out.end(), p.bytes.begin(), p.bytes.end());
            continue;
        }
        const size_t at = out.size();
        out.resize(at + static_cast<size_t>(p.length));
        uint64_t done = 0;
        while (done < p.length) {
            TRY_ASSIGN(size_t n,
                       p.file->read_at(p.offset + done,
                                       MutableByteSpan(out.data() + at + done,
                                                       static_cast<size_t>(p.length - done))));
            if (n == 0) {
                return fail(DiskError::io_error);
            }
            done += n;
        }
    }
    return out;
}

template <typename Resp>
void Broker::throttle_response(const RequestContext& ctx, Resp& resp, Duration throttle,
                               net::ConnectionControl* control) {
    if (throttle <= Duration::zero()) {
        return;
    }
    if constexpr (requires { resp.throttle_time_ms_; }) {
        const int64_t ms = (throttle.to_nanos() + 999'999) / 1'000'000;
        resp.throttle_time_ms_ = std::max(resp.throttle_time_ms_,
                                          static_cast<int32_t>(std::min<int64_t>(ms, INT32_MAX)));
    }
    mute(ctx, throttle, control);
    if (!client_throttles_itself(ctx.key, ctx.version) && !options_.quota_ignores_throttle) {
        (void)env_.scheduler.sleep_for(throttle);  // an older client expects a late answer
    }
}

Result<std::optional<net::FrameParts>, net::HandlerError> Broker::handle_frame(
    size_t listener, Bytes frame, std::string client_host) {
    return handle_frame(listener, MutableByteSpan(frame), std::move(client_host), nullptr);
}

Result<std::optional<net::FrameParts>, net::HandlerError> Broker::handle_frame(
    size_t listener, MutableByteSpan frame, std::string client_host, net::RequestTurn* turn,
    std::optional<std::string> peer_identity, net::ConnectionControl* control) {
    net::RequestTurn released;  // a caller without a connection: nothing waits for this turn
    ASSERT(listener < listeners_.size(), "a request on an unknown listener");
    std::shared_ptr<ConnectionAuth> local_auth;  // a frame without a connection
    ConnectionAuth* auth =
        connection_auth(listener, client_host, peer_identity, control, local_auth);
    if (auth == nullptr) {
        return fail(net::HandlerError::close_connection);
    }
    if (!auth->principal && auth->raw_tokens) {
        return handle_raw_sasl_token(*auth, listener, frame, client_host, control);
    }
    protocol::Reader r(frame);
    auto header = protocol::decode_request_header(r);
    if (!header.ok()) {
        env_.log.warn("closing a connection: undecodable request header (%s)",
                      protocol::to_string(header.error()));
        return fail(net::HandlerError::close_connection);
    }
    RequestContext ctx;
    ctx.header = std::move(header).value();
    ctx.version = ctx.header.request_api_version_;
    ctx.listener = listener;
    ctx.listener_kind = listeners_[listener].kind;
    ctx.client_host = std::move(client_host);
    ctx.listener_name = listeners_[listener].endpoint.listener;
    ctx.security_protocol = listeners_[listener].protocol;
    ctx.peer_identity = std::move(peer_identity);
    if (auth->principal) {
        ctx.principal = *auth->principal;
    }
    ctx.turn = turn != nullptr ? turn : &released;
    ctx.started = env_.scheduler.now();
    auto key = protocol::api_key_from_int(ctx.header.request_api_key_);
    ASSERT(key.has_value());  // decode_request_header rejects unknown keys
    ctx.key = *key;
    const auto range = supported(ctx.key, ctx.listener_kind);
    if (!range || ctx.version < range->min_version || ctx.version > range->max_version) {
        if (ctx.key == ApiKey::api_versions) {
            return std::optional<net::FrameParts>(
                one_part(unsupported_api_versions_response(ctx.header.correlation_id_)));
        }
        env_.log.warn("closing a connection: %s v%d is not served (client %s)",
                      protocol::to_string(ctx.key), ctx.version,
                      ctx.header.client_id_.value_or("").c_str());
        return fail(net::HandlerError::close_connection);
    }
    if (!auth->principal && ctx.key != ApiKey::api_versions) {
        // A SASL connection that has not authenticated: SaslHandshake / SaslAuthenticate only.
        return handle_sasl_request(ctx, r, *auth, control);
    }
    if (auth->session_expiry) {
        // KIP-368: a session with a lifetime may re-authenticate; once expired, nothing else.
        if (auth->sasl->state() == security::SaslServerSession::State::closed) {
            // A refused re-authentication whose answer was the last thing to send.
            return fail(net::HandlerError::close_connection);
        }
        if (ctx.key == ApiKey::sasl_handshake || ctx.key == ApiKey::sasl_authenticate) {
            return handle_sasl_request(ctx, r, *auth, control);
        }
        if (env_.clock.now() >= *auth->session_expiry) {
            env_.log.info(
                "closing a connection from %s (%s): its SASL session expired without "
                "re-authentication (connections.max.reauth.ms)",
                ctx.client_host.c_str(), auth->principal->to_string().c_str());
            return fail(net::HandlerError::close_connection);
        }
    }

    // The controller listener serves the other nodes (and forwarded admin requests the sending
    // broker authorized): its peers need CLUSTER_ACTION, as Kafka's ControllerApis ask. Refused
    // requests close the connection; the node logs why.
    if (ctx.listener_kind == ListenerKind::controller && ctx.key != ApiKey::api_versions &&
        !allowed_on_cluster(ctx, security::AclOperation::cluster_action)) {
        return fail(net::HandlerError::close_connection);
    }

    if (ctx.listener_kind == ListenerKind::controller && raft::is_quorum_api(ctx.key)) {
        auto body = raft::serve_quorum_request(env_, *quorum_endpoint_, NodeId(node_id_),
                                               meta_.cluster_id, ctx.key, ctx.version, r);
        if (!body.ok()) {
            env_.log.warn("closing a controller connection: %s", body.error().c_str());
            return fail(net::HandlerError::close_connection);
        }
        Bytes out;
        protocol::Writer w(out);
        protocol::encode_response_header(w, ctx.key, ctx.version, ctx.header.correlation_id_);
        out.insert(out.end(), body->begin(), body->end());
        return std::optional<net::FrameParts>(one_part(std::move(out)));
    }

#define EDDY_SERVE(KEY, REQ, CALL)                                                              \
    if (ctx.key == ApiKey::KEY) {                                                               \
        auto req = decode_body<protocol::REQ>(r, ctx.version);                                  \
        if (!req.ok()) {                                                                        \
            env_.log.warn("closing a connection: undecodable %s v%d request (%s)",              \
                          protocol::to_string(ctx.key), ctx.version,                            \
                          protocol::to_string(req.error()));                                    \
            return fail(net::HandlerError::close_connection);                                   \
        }                                                                                       \
        wait_quota(ctx, std::nullopt);                                                          \
        auto resp = CALL(ctx, *req);                                                            \
        throttle_response(ctx, resp, quota_throttle(ctx), control);                             \
        return std::optional<net::FrameParts>(one_part(encode_response(ctx, resp)));            \
    }

    {
        EDDY_SERVE(api_versions, ApiVersionsRequest, handle_api_versions)
        EDDY_SERVE(metadata, MetadataRequest, handle_metadata)
        EDDY_SERVE(find_coordinator, FindCoordinatorRequest, handle_find_coordinator)
        EDDY_SERVE(list_offsets, ListOffsetsRequest, handle_list_offsets)
        EDDY_SERVE(delete_records, DeleteRecordsRequest, handle_delete_records)
        EDDY_SERVE(offset_for_leader_epoch, OffsetForLeaderEpochRequest,
                   handle_offset_for_leader_epoch)
        EDDY_SERVE(create_topics, CreateTopicsRequest, handle_create_topics)
        EDDY_SERVE(delete_topics, DeleteTopicsRequest, handle_delete_topics)
        EDDY_SERVE(create_partitions, CreatePartitionsRequest, handle_create_partitions)
        EDDY_SERVE(describe_configs, DescribeConfigsRequest, handle_describe_configs)
        EDDY_SERVE(alter_configs, AlterConfigsRequest, handle_alter_configs)
        EDDY_SERVE(incremental_alter_configs, IncrementalAlterConfigsRequest,
                   handle_incremental_alter_configs)
        EDDY_SERVE(describe_cluster, DescribeClusterRequest, handle_describe_cluster)
        EDDY_SERVE(describe_log_dirs, DescribeLogDirsRequest, handle_describe_log_dirs)
        EDDY_SERVE(init_producer_id, InitProducerIdRequest, handle_init_producer_id)
        EDDY_SERVE(allocate_producer_ids, AllocateProducerIdsRequest, handle_allocate_producer_ids)
        EDDY_SERVE(broker_registration, BrokerRegistrationRequest, handle_broker_registration)
        EDDY_SERVE(broker_heartbeat, BrokerHeartbeatRequest, handle_broker_heartbeat)
        EDDY_SERVE(alter_partition, AlterPartitionRequest, handle_alter_partition)
        EDDY_SERVE(describe_quorum, DescribeQuorumRequest, handle_describe_quorum)
        EDDY_SERVE(elect_leaders, ElectLeadersRequest, handle_elect_leaders)
        EDDY_SERVE(alter_partition_reassignments, AlterPartitionReassignmentsRequest,
                   handle_alter_partition_reassignments)
        EDDY_SERVE(list_partition_reassignments, ListPartitionReassignmentsRequest,
                   handle_list_partition_reassignments)
        EDDY_SERVE(join_group, JoinGroupRequest, handle_join_group)
        EDDY_SERVE(sync_group, SyncGroupRequest, handle_sync_group)
        EDDY_SERVE(heartbeat, HeartbeatRequest, handle_heartbeat)
        EDDY_SERVE(leave_group, LeaveGroupRequest, handle_leave_group)
        EDDY_SERVE(offset_commit, OffsetCommitRequest, handle_offset_commit)
        EDDY_SERVE(offset_fetch, OffsetFetchRequest, handle_offset_fetch)
        EDDY_SERVE(describe_groups, DescribeGroupsRequest, handle_describe_groups)
        EDDY_SERVE(list_groups, ListGroupsRequest, handle_list_groups)
        EDDY_SERVE(delete_groups, DeleteGroupsRequest, handle_delete_groups)
        EDDY_SERVE(offset_delete, OffsetDeleteRequest, handle_offset_delete)
        EDDY_SERVE(sasl_handshake, SaslHandshakeRequest, handle_sasl_handshake)
        EDDY_SERVE(sasl_authenticate, SaslAuthenticateRequest, handle_sasl_authenticate)
        EDDY_SERVE(alter_user_scram_credentials, AlterUserScramCredentialsRequest,
                   handle_alter_user_scram_credentials)
        EDDY_SERVE(describe_user_scram_credentials, DescribeUserScramCredentialsRequest,
                   handle_describe_user_scram_credentials)
        EDDY_SERVE(create_acls, CreateAclsRequest, handle_create_acls)
        EDDY_SERVE(describe_acls, DescribeAclsRequest, handle_describe_acls)
        EDDY_SERVE(delete_acls, DeleteAclsRequest, handle_delete_acls)
        EDDY_SERVE(alter_client_quotas, AlterClientQuotasRequest, handle_alter_client_quotas)
        EDDY_SERVE(describe_client_quotas, DescribeClientQuotasRequest,
                   handle_describe_client_quotas)
        if (ctx.key == ApiKey::produce) {
            // Decoded in place: the batches are appended from the frame itself (produce_view.h).
            auto req = ProduceRequestView::decode(r, frame, ctx.version);
            if (!req.ok()) {
                env_.log.warn("closing a connection: undecodable Produce v%d request (%s)",
                              ctx.version, protocol::to_string(req.error()));
                return fail(net::HandlerError::close_connection);
            }
            const int16_t acks = req->acks;
            wait_quota(ctx, security::QuotaKey::producer_byte_rate);
            auto resp = handle_produce(ctx, *req);
            const Duration throttle = quota_throttle(
                ctx, security::QuotaKey::producer_byte_rate, static_cast<double>(frame.size()));
            if (acks == 0) {
                mute(ctx, throttle, control);  // no response to carry it: the channel is muted
                // No response; an error closes the connection instead (Kafka's KafkaApis), the
                // only way an acks=0 producer learns that its data was refused.
                for (const auto& t : resp.responses_) {
                    for (const auto& p : t.partition_responses_) {
                        if (p.error_code_ != error::none) {
                            env_.log.info(
                                "closing a connection: acks=0 Produce to %s-%d failed "
                                "with error %d",
                                t.name_.c_str(), p.index_, p.error_code_);
                            return fail(net::HandlerError::close_connection);
                        }
                    }
                }
                return std::optional<net::FrameParts>();
            }
            throttle_response(ctx, resp, throttle, control);
            return std::optional<net::FrameParts>(one_part(encode_response(ctx, resp)));
        }
        if (ctx.key == ApiKey::fetch) {
            auto req = decode_body<protocol::FetchRequest>(r, ctx.version);
            if (!req.ok()) {
                env_.log.warn("closing a connection: undecodable Fetch v%d request (%s)",
                              ctx.version, protocol::to_string(req.error()));
                return fail(net::HandlerError::close_connection);
            }
            // Followers replicate outside client quotas (Kafka has replication quotas for them).
            const bool consumer = req->replica_id_ < 0 && req->replica_state_.replica_id_ < 0;
            if (consumer) {
                wait_quota(ctx, security::QuotaKey::consumer_byte_rate);
            }
            std::vector<RecordsSplice> splices;
            auto resp = handle_fetch(ctx, *req, options_.zero_copy ? &splices : nullptr);
            Bytes encoded = encode_response(ctx, resp);
            if (consumer) {
                uint64_t bytes = encoded.size();
                for (const auto& sp : splices) {
                    bytes += sp.bytes;
                }
                const Duration throttle = quota_throttle(
                    ctx, security::QuotaKey::consumer_byte_rate, static_cast<double>(bytes));
                if (throttle > Duration::zero()) {
                    throttle_response(ctx, resp, throttle, control);
                    encoded = encode_response(ctx, resp);  // the same size: an int32 changed
                }
            }
            if (splices.empty()) {
                return std::optional<net::FrameParts>(one_part(std::move(encoded)));
            }
            return std::optional<net::FrameParts>(splice_records(
                std::move(encoded), protocol::is_flexible(ApiKey::fetch, ctx.version), splices));
        }
    }
#undef EDDY_SERVE
    ASSERT(false, "an API in the supported table has no handler");
    return fail(net::HandlerError::close_connection);
}

Result<std::optional<net::FrameParts>, net::HandlerError> Broker::handle_sasl_request(
    const RequestContext& ctx, protocol::Reader& r, ConnectionAuth& auth,
    net::ConnectionControl* control) {
    ASSERT(auth.sasl);
    ASSERT(!auth.principal || auth.session_expiry, "re-authentication only with a lifetime");
    if (auth.sasl->state() == security::SaslServerSession::State::closed) {
        // A frame pipelined behind the one that ended the session (the connection is closing).
        return fail(net::HandlerError::close_connection);
    }
    if (auth.principal && control != nullptr) {
        // A re-authentication: read in lockstep until it succeeds (finish_sasl), so that a
        // refusal's close_after_response closes the connection right after its answer.
        control->read.lockstep = true;
    }
    if (ctx.key == ApiKey::sasl_handshake) {
        auto req = decode_body<protocol::SaslHandshakeRequest>(r, ctx.version);
        if (!req.ok()) {
            env_.log.warn("closing a connection: undecodable SaslHandshake v%d request (%s)",
                          ctx.version, protocol::to_string(req.error()));
            return fail(net::HandlerError::close_connection);
        }
        std::optional<security::SaslMechanism> previous;  // set: a re-authentication
        if (auth.principal && auth.sasl->authenticated() && ctx.version >= 1) {
            // KIP-368: a fresh exchange; the connection keeps its principal meanwhile.
            previous = auth.sasl->mechanism();
            auth.sasl =
                std::make_unique<security::SaslServerSession>(*auth.sasl_config, *sasl_random_);
            auth.reauthenticating = true;
        }
        auto outcome = auth.sasl->handshake(req->mechanism_);
        if (!outcome.error && previous && auth.sasl->mechanism() != previous) {
            // Kafka answers the handshake and refuses the SaslAuthenticate that follows
            // (SaslServerAuthenticator's REAUTH_BAD_MECHANISM).
            auth.reauth_refusal = "SASL mechanism '" + protocol::echo(req->mechanism_) +
                                  "' requested by client is not supported for re-authentication "
                                  "of mechanism '" +
                                  std::string(security::sasl_mechanism_name(*previous)) + "'";
        }
        if (!outcome.error) {
            auth.raw_tokens = security::sasl_framing_after_handshake(ctx.version) ==
                              security::SaslTokenFraming::raw;
        } else {
            const std::string mechanism = protocol::echo(req->mechanism_);
            env_.log.info("SASL handshake from %s refused: mechanism '%s'%s",
                          ctx.client_host.c_str(), mechanism.c_str(),
                          auth.principal ? " (re-authentication)" : "");
            audit_authentication(ctx.listener, ctx.client_host,
                                 auth.principal ? auth.principal->to_string() : "", mechanism,
                                 auth.reauthenticating,
                                 *outcome.error == security::SaslError::unsupported_mechanism
                                     ? "SaslHandshake: mechanism not enabled"
                                     : "SaslHandshake: illegal SASL state");
        }
        if (outcome.close_connection && control != nullptr) {
            control->close_after_response = true;
        }
        return std::optional<net::FrameParts>(
            one_part(encode_response(ctx, security::make_sasl_handshake_response(outcome))));
    }
    if (ctx.key == ApiKey::sasl_authenticate) {
        auto req = decode_body<protocol::SaslAuthenticateRequest>(r, ctx.version);
        if (!req.ok()) {
            env_.log.warn("closing a connection: undecodable SaslAuthenticate v%d request (%s)",
                          ctx.version, protocol::to_string(req.error()));
            return fail(net::HandlerError::close_connection);
        }
        const std::string_view mechanism = mechanism_of(*auth.sasl);
        const bool reauthentication = auth.reauthenticating;  // finish_sasl ends it
        security::SaslAuthenticateOutcome outcome;
        if (!auth.reauth_refusal.empty()) {
            outcome.error = security::SaslError::authentication_failed;
            outcome.error_message = auth.reauth_refusal;
            outcome.log_detail = auth.reauth_refusal;
            outcome.close_connection = true;
        } else {
            outcome = auth.sasl->authenticate(req->auth_bytes_);
        }
        if (outcome.complete && !finish_sasl(auth, ctx.version, control)) {
            outcome.complete = false;
            outcome.error = security::SaslError::authentication_failed;
            outcome.error_message = "Cannot change principals during re-authentication";
            outcome.log_detail = outcome.error_message + " from " + auth.principal->to_string() +
                                 " to User:" + auth.sasl->principal();
            outcome.close_connection = true;
        }
        if (outcome.error) {
            env_.log.info("SASL authentication failed from %s: %s", ctx.client_host.c_str(),
                          outcome.log_detail.c_str());
            audit_sasl(auth, ctx.listener, ctx.client_host, mechanism, reauthentication,
                       outcome.log_detail);
            (void)env_.scheduler.sleep_for(sasl_failure_delay);
        }
        if (outcome.complete) {
            audit_sasl(auth, ctx.listener, ctx.client_host, mechanism, reauthentication, "");
        }
        if (outcome.close_connection && control != nullptr) {
            control->close_after_response = true;
        }
        auto resp = security::make_sasl_authenticate_response(outcome);
        if (outcome.complete && auth.session_expiry) {
            resp.session_lifetime_ms_ = sasl_session_max_.to_millis();
        }
        return std::optional<net::FrameParts>(one_part(encode_response(ctx, resp)));
    }
    // Kafka's SaslServerAuthenticator: any other request before authentication is an illegal
    // SASL state, and the connection is closed without an answer.
    env_.log.info("closing a connection from %s: %s before SASL authentication",
                  ctx.client_host.c_str(), protocol::to_string(ctx.key));
    return fail(net::HandlerError::close_connection);
}

}  // namespace eddy::kafka
