// The quorum's messages as Kafka's requests and responses (raft_wire.h).
#include "services/raft/raft_wire.h"

#include <type_traits>

#include "core/protocol/error_codes.h"
#include "core/record/record_batch.h"
#include "services/raft/entry_batch.h"

namespace eddy::raft {

namespace {

bool in(wire::Versions v, int16_t version) { return version >= v.min && version <= v.max; }

// The one partition of a message's topic list, which must be __cluster_metadata-0 exactly.
template <typename Topic, typename NameOk, typename IndexOf>
auto one_partition(const std::vector<Topic>& topics, NameOk name_ok, IndexOf index_of)
    -> Result<const typename decltype(Topic{}.partitions_)::value_type*, WireError> {
    if (topics.size() != 1 || !name_ok(topics[0]) || topics[0].partitions_.size() != 1 ||
        index_of(topics[0].partitions_[0]) != wire::metadata_partition) {
        return fail(WireError::wrong_partition);
    }
    return &topics[0].partitions_[0];
}

// A response's version and top-level error: anything but NONE there carries nothing to deliver.
Result<void, WireError> check_response(wire::Versions versions, int16_t version,
                                       int16_t error_code) {
    if (!in(versions, version)) {
        return fail(WireError::unsupported_version);
    }
    if (error_code != kafka_error::none) {
        return fail(WireError::error_response);
    }
    return {};
}

// Fetch names the topic by name up to v12 and by Kafka's metadata topic id from v13.
constexpr auto fetch_topic_ok = [](int16_t version) {
    return [version](const auto& t) {
        return version >= 13 ? t.topic_id_ == wire::metadata_topic_id()
                             : t.topic_ == wire::metadata_topic;
    };
};

constexpr auto by_topic_name = [](const auto& t) { return t.topic_name_ == wire::metadata_topic; };
constexpr auto by_name = [](const auto& t) { return t.name_ == wire::metadata_topic; };
constexpr auto by_partition_index = [](const auto& p) { return p.partition_index_; };

bool valid_id(int32_t id) { return id >= 0; }

// A request's sender: a node id, and not this node's (a replica never sends itself a request;
// one that names us is forged, and the replica must not take its own id as another's).
bool valid_sender(int32_t id, NodeId self) { return valid_id(id) && id != self.value(); }

// An epoch a replica may take: not negative, and leaving room for the elections after it
// (limits::epoch_max). Kafka's null epoch (-1) is refused too where one is required.
bool valid_epoch(int32_t epoch) { return epoch >= 0 && epoch <= limits::epoch_max; }

// Kafka's null leader is -1; anything below is garbage.
Result<NodeId, WireError> leader_id(int32_t id) {
    if (id < -1) {
        return fail(WireError::invalid_field);
    }
    return NodeId(id);
}

}  // namespace

const char* to_string(WireError e) {
    switch (e) {
        case WireError::unsupported_version:
            return "unsupported version";
        case WireError::wrong_partition:
            return "not exactly __cluster_metadata-0";
        case WireError::invalid_field:
            return "a field is out of range";
        case WireError::invalid_records:
            return "the records are not the entries fetched";
        case WireError::too_many:
            return "a list is too long";
        case WireError::error_response:
            return "an error response";
    }
    return "unknown wire error";
}

protocol::Uuid wire::metadata_topic_id() {
    protocol::Uuid id;
    id.bytes_[15] = 1;  // most significant bits 0, least significant bits 1
    return id;
}

int16_t fetch_error_code(FetchError e) {
    switch (e) {
        case FetchError::none:
            return kafka_error::none;
        case FetchError::fenced_leader_epoch:
            return kafka_error::fenced_leader_epoch;
        case FetchError::unknown_leader_epoch:
            return kafka_error::unknown_leader_epoch;
        case FetchError::not_leader:
            return kafka_error::not_leader_or_follower;
    }
    ASSERT(false, "unknown FetchError");
    return kafka_error::unknown_server_error;
}

std::optional<FetchError> fetch_error_from_code(int16_t code) {
    for (FetchError e : {FetchError::none, FetchError::fenced_leader_epoch,
                         FetchError::unknown_leader_epoch, FetchError::not_leader}) {
        if (fetch_error_code(e) == code) {
            return e;
        }
    }
    return std::nullopt;
}

bool is_request(const Body& body) {
    return std::holds_alternative<VoteRequest>(body) ||
           std::holds_alternative<BeginQuorumEpoch>(body) ||
           std::holds_alternative<EndQuorumEpoch>(body) ||
           std::holds_alternative<FetchRequest>(body) ||
           std::holds_alternative<FetchSnapshotRequest>(body);
}

// ---- requests -----------------------------------------------------------------------------------

KafkaRequest request_to_kafka(const Message& m, const std::string& cluster_id) {
    ASSERT(is_request(m.body), "only requests travel as Kafka requests");
    return std::visit(
        [&](const auto& b) -> KafkaRequest {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, VoteRequest>) {
                protocol::VoteRequest r;
                r.cluster_id_ = cluster_id;
                r.voter_id_ = m.to.value();
                protocol::VoteRequest::PartitionData p;
                p.partition_index_ = wire::metadata_partition;
                p.candidate_epoch_ = b.epoch;
                p.candidate_id_ = m.from.value();
                p.last_offset_epoch_ = b.last_epoch;
                p.last_offset_ = b.end_offset;
                p.pre_vote_ = b.pre_vote;
                r.topics_.push_back({std::string(wire::metadata_topic), {p}});
                return r;
            } else if constexpr (std::is_same_v<T, BeginQuorumEpoch>) {
                protocol::BeginQuorumEpochRequest r;
                r.cluster_id_ = cluster_id;
                r.voter_id_ = m.to.value();
                protocol::BeginQuorumEpochRequest::PartitionData p;
                p.partition_index_ = wire::metadata_partition;
                p.leader_id_ = m.from.value();
                p.leader_epoch_ = b.epoch;
                r.topics_.push_back({std::string(wire::metadata_topic), {p}});
                return r;
            } else if constexpr (std::is_same_v<T, EndQuorumEpoch>) {
                protocol::EndQuorumEpochRequest r;
                r.cluster_id_ = cluster_id;
                protocol::EndQuorumEpochRequest::PartitionData p;
                p.partition_index_ = wire::metadata_partition;
                p.leader_id_ = m.from.value();
                p.leader_epoch_ = b.epoch;
                for (NodeId s : b.preferred_successors) {
                    p.preferred_successors_.push_back(s.value());        // v0
                    p.preferred_candidates_.push_back({s.value(), {}});  // v1
                }
                r.topics_.push_back({std::string(wire::metadata_topic), {p}});
                return r;
            } else if constexpr (std::is_same_v<T, FetchRequest>) {
                protocol::FetchRequest r;
                r.cluster_id_ = cluster_id;
                r.replica_id_ = m.from.value();                 // v12-14
                r.replica_state_.replica_id_ = m.from.value();  // v15+
                r.max_wait_ms_ = 0;  // the replica paces its fetches itself (fetch_interval)
                r.min_bytes_ = 0;
                protocol::FetchRequest::FetchPartition p;
                p.partition_ = wire::metadata_partition;
                p.current_leader_epoch_ = b.epoch;
                p.fetch_offset_ = b.fetch_offset;
                p.last_fetched_epoch_ = b.last_fetched_epoch;
                p.partition_max_bytes_ = std::numeric_limits<int32_t>::max();
                protocol::FetchRequest::FetchTopic t;
                t.topic_ = std::string(wire::metadata_topic);  // v12
                t.topic_id_ = wire::metadata_topic_id();       // v13+
                t.partitions_.push_back(p);
                r.topics_.push_back(std::move(t));
                return r;
            } else if constexpr (std::is_same_v<T, FetchSnapshotRequest>) {
                protocol::FetchSnapshotRequest r;
                r.cluster_id_ = cluster_id;
                r.replica_id_ = m.from.value();
                protocol::FetchSnapshotRequest::PartitionSnapshot p;
                p.partition_ = wire::metadata_partition;
                p.current_leader_epoch_ = b.epoch;
                p.snapshot_id_ = {b.snapshot_id.end_offset, b.snapshot_id.epoch};
                p.position_ = b.position;
                r.topics_.push_back({std::string(wire::metadata_topic), {p}});
                return r;
            } else {
                ASSERT(false, "not a request");
                return protocol::VoteRequest{};
            }
        },
        m.body);
}

Result<Message, WireError> request_from_kafka(const protocol::VoteRequest& r, int16_t version,
                                              NodeId self) {
    if (!in(wire::vote_versions, version)) {
        return fail(WireError::unsupported_version);
    }
    TRY_ASSIGN(const auto* p, one_partition(r.topics_, by_topic_name, by_partition_index));
    if (!valid_sender(p->candidate_id_, self) || !valid_epoch(p->candidate_epoch_) ||
        !valid_epoch(p->last_offset_epoch_) || p->last_offset_ < 0 ||
        (version >= 1 && r.voter_id_ >= 0 && r.voter_id_ != self.value())) {
        return fail(WireError::invalid_field);
    }
    VoteRequest b;
    b.epoch = p->candidate_epoch_;
    b.last_epoch = p->last_offset_epoch_;
    b.end_offset = p->last_offset_;
    b.pre_vote = version >= wire::vote_pre_vote_version_min && p->pre_vote_;
    return Message{NodeId(p->candidate_id_), self, b};
}

Result<Message, WireError> request_from_kafka(const protocol::BeginQuorumEpochRequest& r,
                                              int16_t version, NodeId self) {
    if (!in(wire::begin_quorum_epoch_versions, version)) {
        return fail(WireError::unsupported_version);
    }
    TRY_ASSIGN(const auto* p, one_partition(r.topics_, by_topic_name, by_partition_index));
    if (!valid_sender(p->leader_id_, self) || !valid_epoch(p->leader_epoch_) ||
        (version >= 1 && r.voter_id_ >= 0 && r.voter_id_ != self.value())) {
        return fail(WireError::invalid_field);
    }
    return Message{NodeId(p->leader_id_), self, BeginQuorumEpoch{p->leader_epoch_}};
}

Result<Message, WireError> request_from_kafka(const protocol::EndQuorumEpochRequest& r,
                                              int16_t version, NodeId self) {
    if (!in(wire::end_quorum_epoch_versions, version)) {
        return fail(WireError::unsupported_version);
    }
    TRY_ASSIGN(const auto* p, one_partition(r.topics_, by_topic_name, by_partition_index));
    if (!valid_sender(p->leader_id_, self) || !valid_epoch(p->leader_epoch_)) {
        return fail(WireError::invalid_field);
    }
    EndQuorumEpoch b;
    b.epoch = p->leader_epoch_;
    std::vector<int32_t> ids;
    if (version == 0) {
        ids = p->preferred_successors_;
    } else {
        for (const auto& c : p->preferred_candidates_) {
            ids.push_back(c.candidate_id_);
        }
    }
    if (ids.size() > limits::wire_successors_max) {
        return fail(WireError::too_many);
    }
    for (int32_t id : ids) {
        if (!valid_id(id)) {
            return fail(WireError::invalid_field);
        }
        b.preferred_successors.push_back(NodeId(id));
    }
    return Message{NodeId(p->leader_id_), self, std::move(b)};
}

Result<Message, WireError> request_from_kafka(const protocol::FetchRequest& r, int16_t version,
                                              NodeId self) {
    if (!in(wire::fetch_versions, version)) {
        return fail(WireError::unsupported_version);
    }
    const auto topic_ok = fetch_topic_ok(version);
    TRY_ASSIGN(const auto* p,
               one_partition(r.topics_, topic_ok, [](const auto& q) { return q.partition_; }));
    const int32_t replica = version >= 15 ? r.replica_state_.replica_id_ : r.replica_id_;
    if (!valid_sender(replica, self) || !valid_epoch(p->current_leader_epoch_) ||
        p->fetch_offset_ < 0 || !valid_epoch(p->last_fetched_epoch_)) {
        return fail(WireError::invalid_field);
    }
    return Message{
        NodeId(replica), self,
        FetchRequest{p->current_leader_epoch_, p->fetch_offset_, p->last_fetched_epoch_}};
}

Result<Message, WireError> request_from_kafka(const protocol::FetchSnapshotRequest& r,
                                              int16_t version, NodeId self) {
    if (!in(wire::fetch_snapshot_versions, version)) {
        return fail(WireError::unsupported_version);
    }
    TRY_ASSIGN(const auto* p,
               one_partition(r.topics_, by_name, [](const auto& q) { return q.partition_; }));
    if (!valid_sender(r.replica_id_, self) || !valid_epoch(p->current_leader_epoch_) ||
        p->snapshot_id_.end_offset_ < 0 || !valid_epoch(p->snapshot_id_.epoch_) ||
        p->position_ < 0) {
        return fail(WireError::invalid_field);
    }
    FetchSnapshotRequest b;
    b.epoch = p->current_leader_epoch_;
    b.snapshot_id = {p->snapshot_id_.end_offset_, p->snapshot_id_.epoch_};
    b.position = p->position_;
    return Message{NodeId(r.replica_id_), self, b};
}

Result<void, WireError> check_request(const protocol::DescribeQuorumRequest& r, int16_t version) {
    if (!in(wire::describe_quorum_versions, version)) {
        return fail(WireError::unsupported_version);
    }
    TRY_VOID(one_partition(r.topics_, by_topic_name, by_partition_index));
    return {};
}

// ---- responses ----------------------------------------------------------------------------------

protocol::VoteResponse response_to_kafka(const VoteResponse& b) {
    protocol::VoteResponse r;
    protocol::VoteResponse::PartitionData p;
    p.partition_index_ = wire::metadata_partition;
    p.error_code_ = kafka_error::none;
    p.leader_id_ = b.leader.value();
    p.leader_epoch_ = b.epoch;
    p.vote_granted_ = b.granted;
    r.topics_.push_back({std::string(wire::metadata_topic), {p}});
    return r;
}

protocol::FetchResponse response_to_kafka(const FetchResponse& b) {
    protocol::FetchResponse r;
    protocol::FetchResponse::PartitionData p;
    p.partition_index_ = wire::metadata_partition;
    p.error_code_ = fetch_error_code(b.error);
    p.high_watermark_ = b.high_watermark;
    p.log_start_offset_ = b.log_start_offset;
    p.current_leader_ = {b.leader.value(), b.epoch};
    if (b.diverging) {
        p.diverging_epoch_ = {b.diverging->epoch, b.diverging->end_offset};
    }
    if (b.snapshot_id) {
        p.snapshot_id_ = {b.snapshot_id->end_offset, b.snapshot_id->epoch};
    }
    Bytes records;
    for (size_t i = 0; i < b.entries.size(); ++i) {
        const Entry& e = b.entries[i];
        // The entries' append times are not part of the replica's state: none on the wire.
        const Bytes batch =
            encode_entry_batch(Offset(b.base_offset + static_cast<int64_t>(i)),
                               LeaderEpoch(e.epoch), ByteSpan(e.data), record::no_timestamp);
        records.insert(records.end(), batch.begin(), batch.end());
    }
    p.records_ = std::move(records);
    protocol::FetchResponse::FetchableTopicResponse t;
    t.topic_ = std::string(wire::metadata_topic);
    t.topic_id_ = wire::metadata_topic_id();
    t.partitions_.push_back(std::move(p));
    r.responses_.push_back(std::move(t));
    return r;
}

protocol::FetchSnapshotResponse response_to_kafka(const FetchSnapshotResponse& b, NodeId sender) {
    protocol::FetchSnapshotResponse r;
    protocol::FetchSnapshotResponse::PartitionSnapshot p;
    p.index_ = wire::metadata_partition;
    // The replica does not say why it found nothing: as the leader of the epoch it lacks the
    // snapshot (or the position is past its end); otherwise it does not lead that epoch.
    p.error_code_ = b.found              ? kafka_error::none
                    : b.leader == sender ? kafka_error::snapshot_not_found
                                         : kafka_error::not_leader_or_follower;
    p.snapshot_id_ = {b.snapshot_id.end_offset, b.snapshot_id.epoch};
    p.current_leader_ = {b.leader.value(), b.epoch};
    p.size_ = b.size;
    p.position_ = b.position;
    p.unaligned_records_ = b.bytes;
    r.topics_.push_back({std::string(wire::metadata_topic), {std::move(p)}});
    return r;
}

namespace {
// BeginQuorumEpoch's and EndQuorumEpoch's responses have the same shape.
template <typename Resp>
Resp leader_response(int16_t error_code, int32_t epoch, NodeId leader) {
    Resp r;
    r.error_code_ = error_code;
    typename Resp::PartitionData p;
    p.partition_index_ = wire::metadata_partition;
    p.leader_id_ = leader.value();
    p.leader_epoch_ = epoch;
    r.topics_.push_back({std::string(wire::metadata_topic), {p}});
    return r;
}
}  // namespace

protocol::BeginQuorumEpochResponse begin_quorum_epoch_response(int16_t error_code, int32_t epoch,
                                                               NodeId leader) {
    return leader_response<protocol::BeginQuorumEpochResponse>(error_code, epoch, leader);
}

protocol::EndQuorumEpochResponse end_quorum_epoch_response(int16_t error_code, int32_t epoch,
                                                           NodeId leader) {
    return leader_response<protocol::EndQuorumEpochResponse>(error_code, epoch, leader);
}

protocol::DescribeQuorumResponse describe_quorum_response(const QuorumStatus& s, NodeId self,
                                                          Instant now, WallTime wall_now) {
    const auto wall_ms = [&](const std::optional<Instant>& at) -> int64_t {
        return at ? (wall_now - (now - *at)).to_millis() : -1;
    };
    const auto replicas = [&](const std::vector<ReplicaStatus>& in_status) {
        std::vector<protocol::DescribeQuorumResponse::ReplicaState> out;
        for (const ReplicaStatus& rs : in_status) {
            protocol::DescribeQuorumResponse::ReplicaState st;
            st.replica_id_ = rs.id.value();
            st.log_end_offset_ = rs.log_end_offset;
            st.last_fetch_timestamp_ = wall_ms(rs.last_fetch);
            st.last_caught_up_timestamp_ = wall_ms(rs.last_caught_up);
            out.push_back(st);
        }
        return out;
    };
    protocol::DescribeQuorumResponse r;
    protocol::DescribeQuorumResponse::PartitionData p;
    p.partition_index_ = wire::metadata_partition;
    p.leader_id_ = s.leader ? s.leader->value() : -1;
    p.leader_epoch_ = s.epoch;
    p.high_watermark_ = s.high_watermark;
    p.error_message_ = std::nullopt;
    r.error_message_ = std::nullopt;
    if (s.leader != self) {
        p.error_code_ = kafka_error::not_leader_or_follower;
    } else {
        p.current_voters_ = replicas(s.voters);
        p.observers_ = replicas(s.observers);
    }
    r.topics_.push_back({std::string(wire::metadata_topic), {std::move(p)}});
    return r;
}

Result<Message, WireError> response_from_kafka(const protocol::VoteResponse& r, int16_t version,
                                               const VoteRequest& request, NodeId peer,
                                               NodeId self) {
    TRY_VOID(check_response(wire::vote_versions, version, r.error_code_));
    TRY_ASSIGN(const auto* p, one_partition(r.topics_, by_topic_name, by_partition_index));
    TRY_ASSIGN(const NodeId leader, leader_id(p->leader_id_));
    if (!valid_epoch(p->leader_epoch_)) {
        return fail(WireError::invalid_field);
    }
    VoteResponse b;
    b.epoch = p->leader_epoch_;
    // A refusal with an error (an inconsistent voter set, say) still names the voter's epoch.
    b.granted = p->error_code_ == kafka_error::none && p->vote_granted_;
    b.pre_vote = request.pre_vote;
    b.leader = leader;
    return Message{peer, self, b};
}

Result<Message, WireError> response_from_kafka(const protocol::FetchResponse& r, int16_t version,
                                               const FetchRequest& request, NodeId peer,
                                               NodeId self) {
    TRY_VOID(check_response(wire::fetch_versions, version, r.error_code_));
    const auto topic_ok = fetch_topic_ok(version);
    TRY_ASSIGN(const auto* p, one_partition(r.responses_, topic_ok, by_partition_index));
    const std::optional<FetchError> error = fetch_error_from_code(p->error_code_);
    if (!error) {
        return fail(WireError::error_response);
    }
    TRY_ASSIGN(const NodeId leader, leader_id(p->current_leader_.leader_id_));
    if (!valid_epoch(p->current_leader_.leader_epoch_) || p->high_watermark_ < 0 ||
        p->log_start_offset_ < 0) {
        return fail(WireError::invalid_field);
    }
    FetchResponse b;
    b.error = *error;
    b.epoch = p->current_leader_.leader_epoch_;
    b.leader = leader;
    b.high_watermark = p->high_watermark_;
    b.log_start_offset = p->log_start_offset_;
    b.base_offset = request.fetch_offset;
    const auto& d = p->diverging_epoch_;
    if (d.epoch_ != -1 || d.end_offset_ != -1) {
        if (!valid_epoch(d.epoch_) || d.end_offset_ < 0) {
            return fail(WireError::invalid_field);
        }
        b.diverging = DivergingEpoch{d.epoch_, d.end_offset_};
    }
    const auto& s = p->snapshot_id_;
    if (s.epoch_ != -1 || s.end_offset_ != -1) {
        if (!valid_epoch(s.epoch_) || s.end_offset_ < 0) {
            return fail(WireError::invalid_field);
        }
        b.snapshot_id = SnapshotId{s.end_offset_, s.epoch_};
    }
    const ByteSpan records = p->records_ ? ByteSpan(*p->records_) : ByteSpan();
    if (!records.empty() && b.error == FetchError::none) {
        auto batches = record::split_batches(records);
        if (!batches.ok()) {
            return fail(WireError::invalid_records);
        }
        if (batches->size() > limits::wire_fetch_entries_max) {
            return fail(WireError::too_many);
        }
        for (const record::RecordBatchView& batch : *batches) {
            auto e = decode_entry_batch(batch);
            const int64_t expected = request.fetch_offset + static_cast<int64_t>(b.entries.size());
            // A leader's log holds no entry from an epoch after its own (the replica asserts it).
            if (!e.ok() || e->offset.value() != expected || !valid_epoch(e->epoch.value()) ||
                e->epoch.value() > b.epoch) {
                return fail(WireError::invalid_records);
            }
            b.entries.push_back(Entry{e->epoch.value(), std::move(e->data)});
        }
    }
    return Message{peer, self, std::move(b)};
}

Result<Message, WireError> response_from_kafka(const protocol::FetchSnapshotResponse& r,
                                               int16_t version, const FetchSnapshotRequest& request,
                                               NodeId peer, NodeId self) {
    (void)request;  // the response repeats the snapshot id and position itself
    TRY_VOID(check_response(wire::fetch_snapshot_versions, version, r.error_code_));
    TRY_ASSIGN(const auto* p,
               one_partition(r.topics_, by_name, [](const auto& q) { return q.index_; }));
    TRY_ASSIGN(const NodeId leader, leader_id(p->current_leader_.leader_id_));
    if (!valid_epoch(p->current_leader_.leader_epoch_) || p->snapshot_id_.end_offset_ < 0 ||
        !valid_epoch(p->snapshot_id_.epoch_) || p->size_ < 0 || p->position_ < 0) {
        return fail(WireError::invalid_field);
    }
    FetchSnapshotResponse b;
    b.epoch = p->current_leader_.leader_epoch_;
    b.leader = leader;
    b.snapshot_id = {p->snapshot_id_.end_offset_, p->snapshot_id_.epoch_};
    b.found = p->error_code_ == kafka_error::none;
    b.size = p->size_;
    b.position = p->position_;
    if (b.found && p->unaligned_records_) {
        b.bytes = *p->unaligned_records_;
    }
    return Message{peer, self, std::move(b)};
}

}  // namespace eddy::raft
