#include "services/controller/controller.h"

#include <limits>
#include <set>

#include "core/protocol/wire.h"
#include "services/controller/placement.h"
#include "services/log/file_names.h"

namespace eddy::controller {

namespace e = kafka_error;

Controller::Controller(Env& env, ControllerOptions options, MetadataLog& log,
                       ConfigValidator validator)
    : env_(env),
      options_(options),
      log_(log),
      validator_(std::move(validator)),
      mutex_(env.scheduler) {}

ApiError Controller::commit(const std::vector<MetadataRecord>& records) {
    if (records.empty()) {
        return {};
    }
    ASSERT(mutex_.locked(), "the controller's writes are serialised");
    // A slow controller: the write waits before it is proposed (a busy or paused process), so
    // brokers' registrations, heartbeats and AlterPartitions wait or time out and retry.
    if (BUGGIFY(env_)) {
        (void)env_.scheduler.sleep_for(Duration::millis(env_.random.between(10, 300)));
    }
    auto r = log_.append(records, options_.write_timeout);

    if (r.ok()) {
        return {};
    }
    switch (r.error()) {
        case MetadataLogError::not_controller:
        case MetadataLogError::stopped:
            return ApiError::of(e::not_controller, to_string(r.error()));
        case MetadataLogError::timed_out:
            return ApiError::of(e::request_timed_out, to_string(r.error()));
    }
    return ApiError::of(e::unknown_server_error, to_string(r.error()));
}

ApiError Controller::catch_up() {
    raft::QuorumDriver& q = log_.quorum();
    const Instant deadline = env_.clock.now() + options_.write_timeout;
    while (true) {
        if (!q.is_leader()) {
            return ApiError::of(e::not_controller, "this node is not the active controller");
        }
        const int64_t end = q.end_offset();
        if (q.applied_offset() >= end) {
            return bootstrap();
        }
        const Instant now = env_.clock.now();
        if (now >= deadline) {
            return ApiError::of(e::request_timed_out,
                                "the active controller has not yet applied its whole log");
        }
        // Short waits: leadership may go while we wait, and nothing is applied then.
        (void)q.wait_applied(end, std::min(deadline, now + Duration::millis(50)));
    }
}

ApiError Controller::bootstrap() {
    if (options_.bootstrap_records.empty()) {
        return {};
    }
    if (!(image() == MetadataImage{})) {
        options_.bootstrap_records.clear();  // an existing cluster: the log decides, not us
        return {};
    }
    ApiError err = commit(options_.bootstrap_records);
    if (err.ok()) {
        env_.log.info("committed %zu bootstrap records to the new cluster's metadata",
                      options_.bootstrap_records.size());
        options_.bootstrap_records.clear();
    }
    return err;
}

BrokerHeartbeats& Controller::heartbeats() {
    const int32_t epoch = log_.quorum().epoch();
    if (!heartbeats_ || heartbeats_epoch_ != epoch) {
        heartbeats_ = std::make_unique<BrokerHeartbeats>(options_.heartbeats);
        heartbeats_->start_sessions(image(), env_.clock.now());
        heartbeats_epoch_ = epoch;
    }
    return *heartbeats_;
}

RegistrationOutcome Controller::register_broker(const BrokerRegistration& request) {
    LockGuard guard(mutex_);
    RegistrationOutcome out;
    if (out.error = catch_up(); !out.error.ok()) {
        return out;
    }
    if (local_incarnation_ && request.broker_id == options_.node_id) {
        if (request.incarnation_id != *local_incarnation_) {
            out.error = ApiError::of(e::duplicate_broker_registration,
                                     "Another broker is registered with that broker id.");
            return out;
        }
        heartbeats().end_session(request.broker_id);  // the previous incarnation was this node
    }
    out = heartbeats().register_broker(request, image(), log_.quorum().end_offset(),
                                       env_.clock.now());
    if (out.error.ok()) {
        out.error = commit(out.records);
        if (out.error.ok()) {
            env_.log.info("broker %d registered (epoch %lld)", request.broker_id,
                          static_cast<long long>(out.broker_epoch));
        }
    }
    return out;
}

HeartbeatOutcome Controller::broker_heartbeat(const BrokerHeartbeat& request) {
    LockGuard guard(mutex_);
    HeartbeatOutcome out;
    if (ApiError err = catch_up(); !err.ok()) {
        out.error = err.code;
        return out;
    }
    out = heartbeats().heartbeat(request, image(), env_.clock.now(),
                                 Offset(log_.quorum().high_watermark()));
    if (out.error == e::none && !out.records.empty()) {
        if (ApiError err = commit(out.records); !err.ok()) {
            out.error = err.code;
        }
    }
    return out;
}

void Controller::expire_brokers() {
    LockGuard guard(mutex_);
    if (!log_.quorum().is_leader() || !catch_up().ok()) {
        return;
    }
    const auto records = heartbeats().expire(image(), env_.clock.now());
    if (!records.empty()) {
        env_.log.info("fencing brokers whose session expired (%zu records)", records.size());
        (void)commit(records);
    }
}

AlterPartitionOutcome Controller::alter_partition(const IsrChangeSender& sender,
                                                  const std::vector<IsrChange>& changes) {
    LockGuard guard(mutex_);
    AlterPartitionOutcome out;
    if (out.error = catch_up(); !out.error.ok()) {
        return out;
    }
    AlterPartitionDecision decided = decide_alter_partition(image(), sender, changes);
    if (out.error = decided.error; !out.error.ok()) {
        return out;
    }
    const std::vector<MetadataRecord> records(decided.records.begin(), decided.records.end());
    if (out.error = commit(records); !out.error.ok()) {
        return out;
    }
    if (!records.empty()) {
        env_.log.info("broker %d changed the ISR of %zu partitions", sender.broker, records.size());
    }
    // The image holds the changes now (commit returns once they are applied) and nothing else:
    // writes are serialised by the mutex.
    out.partitions.reserve(changes.size());
    for (size_t i = 0; i < changes.size(); ++i) {
        IsrChangeResult r;
        r.error = decided.outcomes[i];
        if (r.error.ok()) {
            const TopicState* t = isr_change_topic(image(), sender, changes[i]);
            ASSERT(t != nullptr, "a partition AlterPartition accepted is gone from the image");
            ASSERT(t->partitions.contains(changes[i].partition),
                   "a partition AlterPartition accepted is gone from the image");
            r.state = t->partitions.at(changes[i].partition);
        }
        out.partitions.push_back(std::move(r));
    }
    return out;
}

Result<int64_t, ApiError> Controller::allocate_producer_ids(int32_t broker, int32_t count) {
    ASSERT(count > 0);
    LockGuard guard(mutex_);
    if (ApiError err = catch_up(); !err.ok()) {
        return fail(err);
    }
    const int64_t first = image().next_producer_id();
    if (first > std::numeric_limits<int64_t>::max() - count) {
        return fail(ApiError::of(e::unknown_server_error, "producer ids are exhausted"));
    }
    protocol::records::ProducerIdsRecord r;
    r.broker_id_ = broker;
    r.broker_epoch_ = -1;
    r.next_producer_id_ = first + count;
    if (ApiError err = commit({r}); !err.ok()) {
        return fail(err);
    }
    return first;
}

protocol::CreateAclsResponse Controller::create_acls(const protocol::CreateAclsRequest& request) {
    LockGuard g(mutex_);
    auto fail_all = [&](const ApiError& err) {
        protocol::CreateAclsResponse resp;
        for (size_t i = 0; i < request.creations_.size(); ++i) {
            protocol::CreateAclsResponse::AclCreationResult r;
            r.error_code_ = err.code;
            r.error_message_ = err.message;
            resp.results_.push_back(std::move(r));
        }
        return resp;
    };
    if (ApiError err = catch_up(); !err.ok()) {
        return fail_all(err);
    }
    auto outcome = security::create_acls(image().acls(), request, [this] {
        return Uuid::from_words(env_.random.next(), env_.random.next());
    });
    std::vector<MetadataRecord> records(outcome.records.begin(), outcome.records.end());
    if (ApiError err = commit(records); !err.ok()) {
        return fail_all(err);
    }
    if (!records.empty()) {
        env_.log.info("created %zu ACL(s)", records.size());
    }
    return std::move(outcome.response);
}

protocol::DeleteAclsResponse Controller::delete_acls(const protocol::DeleteAclsRequest& request) {
    LockGuard g(mutex_);
    auto fail_all = [&](const ApiError& err) {
        protocol::DeleteAclsResponse resp;
        for (size_t i = 0; i < request.filters_.size(); ++i) {
            protocol::DeleteAclsResponse::DeleteAclsFilterResult r;
            r.error_code_ = err.code;
            r.error_message_ = err.message;
            resp.filter_results_.push_back(std::move(r));
        }
        return resp;
    };
    if (ApiError err = catch_up(); !err.ok()) {
        return fail_all(err);
    }
    auto outcome = security::delete_acls(image().acls(), request);
    std::vector<MetadataRecord> records(outcome.records.begin(), outcome.records.end());
    if (ApiError err = commit(records); !err.ok()) {
        return fail_all(err);
    }
    if (!records.empty()) {
        env_.log.info("deleted %zu ACL(s)", records.size());
    }
    return std::move(outcome.response);
}

Uuid Controller::new_topic_id() {
    while (true) {
        const uint64_t a = env_.random.next();
        const Uuid id = Uuid::from_words(a, env_.random.next());
        // Kafka reserves the zero UUID and the metadata topic's id (0…01).
        Uuid one;
        one.bytes_[15] = 1;
        if (!id.is_zero() && id != one && image().topic(id) == nullptr) {
            return id;
        }
    }
}

protocol::records::PartitionRecord Controller::partition_record(
    const Uuid& topic, int32_t partition, const std::vector<int32_t>& replicas) const {
    protocol::records::PartitionRecord p;
    p.partition_id_ = partition;
    p.topic_id_ = topic;
    p.replicas_ = replicas;
    // Every replica starts in sync (the log is empty); the preferred replica leads.
    ASSERT(!replicas.empty(), "check_replicas refuses an empty replica set");
    p.isr_ = replicas;
    p.leader_ = replicas.front();

    p.leader_epoch_ = 0;
    p.partition_epoch_ = 0;
    return p;
}

ApiError Controller::check_replicas(const std::vector<int32_t>& replicas) const {
    if (replicas.empty()) {
        return ApiError::of(e::invalid_replica_assignment, "a partition needs at least one replica");
    }
    std::set<int32_t> seen;
    for (int32_t id : replicas) {
        if (!seen.insert(id).second) {
            return ApiError::of(e::invalid_replica_assignment,
                                "broker " + std::to_string(id) + " is named twice");
        }
        const BrokerState* b = image().broker(id);
        if (b == nullptr || b->fenced) {
            return ApiError::of(e::invalid_replica_assignment,
                                "broker " + std::to_string(id) +
                                    " is not a registered, unfenced broker");
        }
    }
    return {};
}

ApiError Controller::check_configs(const std::vector<ConfigChange>& configs) const {
    std::set<std::string> seen;
    for (const auto& c : configs) {
        if (!seen.insert(c.key).second) {
            return ApiError::of(e::invalid_request,
                                "config " + protocol::echo(c.key) + " given twice");
        }
        if (!c.value) {
            continue;
        }
        if (auto why = validator_(c.key, *c.value)) {
            return ApiError::of(e::invalid_config, *why);
        }
    }
    return {};
}

CreatedTopic Controller::create_topic(const NewTopic& t, bool validate_only) {
    LockGuard g(mutex_);
    CreatedTopic out;
    if (out.error = catch_up(); !out.error.ok()) {
        return out;
    }
    if (!log::valid_topic_name(t.name)) {
        out.error =
            ApiError::of(e::invalid_topic_exception,
                         "topic name must be 1-249 characters of [a-zA-Z0-9._-], not . or ..");
        return out;
    }
    if (t.name.starts_with("__cluster_metadata")) {
        out.error = ApiError::of(e::invalid_topic_exception, "reserved topic name");
        return out;
    }
    if (image().topic(t.name) != nullptr) {
        out.error = ApiError::of(e::topic_already_exists,
                                 "topic '" + protocol::echo(t.name) + "' already exists");
        return out;
    }
    int32_t partitions = t.partitions;
    int16_t rf = t.replication_factor;
    if (!t.assignments.empty()) {
        if (partitions != -1 || rf != -1) {
            out.error = ApiError::of(e::invalid_request,
                                     "give either assignments or partitions/replication factor");
            return out;
        }
        partitions = static_cast<int32_t>(t.assignments.size());
        rf = static_cast<int16_t>(t.assignments[0].size());
        for (const auto& a : t.assignments) {
            out.error = check_replicas(a);
            if (!out.error.ok()) {
                return out;
            }
        }
    }
    if (partitions == -1) {
        partitions = options_.default_partitions;
    }
    if (rf == -1) {
        rf = options_.default_replication_factor;
    }
    if (partitions <= 0 || partitions > limits::partitions_per_topic_max) {
        out.error = ApiError::of(e::invalid_partitions,
                                 "number of partitions must be between 1 and " +
                                     std::to_string(limits::partitions_per_topic_max));
        return out;
    }
    std::vector<std::vector<int32_t>> replicas = t.assignments;
    if (replicas.empty()) {
        Placement placed = place_replicas(usable_brokers(image()), partitions, rf, 0, env_.random);
        if (!placed.error.ok()) {
            out.error = placed.error;
            return out;
        }
        replicas = std::move(placed.replicas);
    }
    out.error = check_configs(t.configs);
    if (!out.error.ok()) {
        return out;
    }
    out.partitions = partitions;
    out.replication_factor = rf;
    if (validate_only) {
        return out;
    }
    std::vector<MetadataRecord> records;
    protocol::records::TopicRecord tr;
    tr.name_ = t.name;
    tr.topic_id_ = new_topic_id();
    out.id = tr.topic_id_;
    records.emplace_back(tr);
    for (const auto& c : t.configs) {
        if (c.value) {
            protocol::records::ConfigRecord cr;
            cr.resource_type_ = config_resource_topic;
            cr.resource_name_ = t.name;
            cr.name_ = c.key;
            cr.value_ = c.value;
            records.emplace_back(cr);
        }
    }
    for (int32_t p = 0; p < partitions; ++p) {
        records.emplace_back(partition_record(tr.topic_id_, p, replicas[static_cast<size_t>(p)]));
    }
    out.error = commit(records);
    env_.log.info("created topic %s with %d partitions", t.name.c_str(), partitions);
    return out;
}

ApiError Controller::delete_topic(const std::string& name) {
    LockGuard g(mutex_);
    if (ApiError err = catch_up(); !err.ok()) {
        return err;
    }
    if (!options_.delete_topic_enable) {
        return ApiError::of(e::topic_deletion_disabled, "delete.topic.enable is false");
    }
    const TopicState* t = image().topic(name);
    if (t == nullptr) {
        return ApiError::of(e::unknown_topic_or_partition,
                            "no topic '" + protocol::echo(name) + "'");
    }
    protocol::records::RemoveTopicRecord r;
    r.topic_id_ = t->id;
    auto res = commit({MetadataRecord(r)});
    env_.log.info("deleted topic %s", name.c_str());
    return res;
}

Controller::ElectionOutcome Controller::elect_leaders(
    ElectionType type,
    const std::optional<std::vector<std::pair<std::string, int32_t>>>& partitions) {
    LockGuard g(mutex_);
    ElectionOutcome out;
    if (out.error = catch_up(); !out.error.ok()) {
        return out;
    }
    std::vector<std::pair<std::string, int32_t>> asked;
    if (partitions) {
        asked = *partitions;
    } else {
        for (const auto& [name, t] : image().topics()) {
            for (const auto& [id, p] : t.partitions) {
                asked.emplace_back(name, id);
            }
        }
    }
    std::vector<MetadataRecord> records;
    std::set<std::pair<std::string, int32_t>> seen;
    for (const auto& [topic, partition] : asked) {
        ElectionResult r{topic, partition, 0, {}};
        if (!seen.insert({topic, partition}).second) {
            continue;  // named twice: answered once
        }
        auto e = elect_leader(image(), topic, partition, type);
        if (e.change) {
            records.emplace_back(std::move(*e.change));
        } else if (!partitions && e.error == e::election_not_needed) {
            continue;  // "all partitions": only those an election was needed for
        } else {
            r.error = e.error;
            r.message = e.message;
        }
        out.results.push_back(std::move(r));
    }
    if (!records.empty()) {
        if (ApiError err = commit(records); !err.ok()) {
            out.error = err;
            return out;
        }
        env_.log.info("%zu %s leader elections", records.size(),
                      type == ElectionType::preferred ? "preferred" : "unclean");
    }
    return out;
}

Controller::ReassignmentOutcome Controller::alter_partition_reassignments(
    const std::vector<PartitionReassignment>& reassignments) {
    LockGuard g(mutex_);
    ReassignmentOutcome out;
    if (out.error = catch_up(); !out.error.ok()) {
        return out;
    }
    std::vector<MetadataRecord> records;
    std::set<std::pair<std::string, int32_t>> seen;
    for (const auto& r : reassignments) {
        if (!seen.insert({r.topic, r.partition}).second) {
            out.partitions.push_back(ApiError::of(e::invalid_request, "the partition is named twice"));
            continue;
        }
        auto decided = decide_reassignment(image(), r.topic, r.partition, r.target,
                                           options_.reassignment_knobs);
        if (!decided.ok()) {
            out.partitions.push_back(decided.error());
            continue;
        }
        if (*decided) {
            env_.log.info("%s %s-%d", r.target ? "reassigning" : "cancelling the reassignment of",
                          r.topic.c_str(), r.partition);
            records.emplace_back(std::move(**decided));
        }
        out.partitions.push_back({});
    }
    if (!records.empty()) {
        if (ApiError err = commit(records); !err.ok()) {
            out.error = err;
            out.partitions.clear();
        }
    }
    return out;
}

void Controller::rebalance_leaders(double max_imbalance) {
    LockGuard g(mutex_);
    if (!log_.quorum().is_leader() || !catch_up().ok()) {
        return;
    }
    auto changes = controller::rebalance_leaders(image(), max_imbalance);
    if (changes.empty()) {
        return;
    }
    std::vector<MetadataRecord> records(changes.begin(), changes.end());
    if (commit(records).ok()) {
        env_.log.info("leader imbalance: %zu partitions back to their preferred leader",
                      records.size());
    }
}

ApiError Controller::create_partitions(
    const std::string& name, int32_t count,
    const std::optional<std::vector<std::vector<int32_t>>>& assignments, bool validate_only) {
    LockGuard g(mutex_);
    if (ApiError err = catch_up(); !err.ok()) {
        return err;
    }
    const TopicState* t = image().topic(name);
    if (t == nullptr) {
        return ApiError::of(e::unknown_topic_or_partition,
                            "no topic '" + protocol::echo(name) + "'");
    }
    const auto current = static_cast<int32_t>(t->partitions.size());
    if (count == current) {
        return ApiError::of(e::invalid_partitions,
                            "topic already has " + std::to_string(current) + " partitions");
    }
    if (count < current) {
        return ApiError::of(e::invalid_partitions, "the number of partitions cannot be decreased");
    }
    if (count > limits::partitions_per_topic_max) {
        return ApiError::of(e::invalid_partitions, "too many partitions");
    }
    if (assignments && !assignments->empty()) {
        if (static_cast<int32_t>(assignments->size()) != count - current) {
            return ApiError::of(e::invalid_replica_assignment,
                                "one assignment is needed per new partition");
        }
        for (const auto& a : *assignments) {
            if (auto err = check_replicas(a); !err.ok()) {
                return err;
            }
        }
    }
    std::vector<std::vector<int32_t>> replicas;
    if (assignments && !assignments->empty()) {
        replicas = *assignments;
    } else {
        // New partitions get the topic's replication factor (that of partition 0).
        const auto rf = t->partitions.empty()
                            ? options_.default_replication_factor
                            : static_cast<int16_t>(t->partitions.begin()->second.replicas.size());
        Placement placed =
            place_replicas(usable_brokers(image()), count - current, rf, current, env_.random);
        if (!placed.error.ok()) {
            return placed.error;
        }
        replicas = std::move(placed.replicas);
    }
    if (validate_only) {
        return {};
    }
    std::vector<MetadataRecord> records;
    for (int32_t p = current; p < count; ++p) {
        records.emplace_back(
            partition_record(t->id, p, replicas[static_cast<size_t>(p - current)]));
    }
    return commit(records);
}

ApiError Controller::alter_topic_configs(const std::string& name,
                                         const std::vector<ConfigChange>& changes, bool replace,
                                         bool validate_only) {
    LockGuard g(mutex_);
    if (ApiError err = catch_up(); !err.ok()) {
        return err;
    }
    const TopicState* t = image().topic(name);
    if (t == nullptr) {
        return ApiError::of(e::unknown_topic_or_partition,
                            "no topic '" + protocol::echo(name) + "'");
    }
    if (auto err = check_configs(changes); !err.ok()) {
        return err;
    }
    if (validate_only) {
        return {};
    }
    std::vector<MetadataRecord> records;
    std::set<std::string> named;
    for (const auto& c : changes) {
        named.insert(c.key);
        const auto it = t->configs.find(c.key);
        const bool present = it != t->configs.end();
        if (!c.value && !present) {
            continue;
        }
        if (c.value && present && it->second == *c.value) {
            continue;
        }
        protocol::records::ConfigRecord cr;
        cr.resource_type_ = config_resource_topic;
        cr.resource_name_ = name;
        cr.name_ = c.key;
        cr.value_ = c.value;
        records.emplace_back(cr);
    }
    if (replace) {
        for (const auto& [key, value] : t->configs) {
            (void)value;
            if (!named.contains(key)) {
                protocol::records::ConfigRecord cr;
                cr.resource_type_ = config_resource_topic;
                cr.resource_name_ = name;
                cr.name_ = key;
                cr.value_ = std::nullopt;
                records.emplace_back(cr);
            }
        }
    }
    return commit(records);
}

}  // namespace eddy::controller
