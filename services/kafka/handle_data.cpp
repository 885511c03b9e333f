// Handlers: Produce, Fetch (long polling), ListOffsets, DeleteRecords.
#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "core/env/faults.h"
#include "core/protocol/fetch_metadata.h"
#include "services/kafka/broker.h"
#include "services/kafka/errors.h"

namespace eddy::kafka {

using namespace protocol;

namespace {

// Copies the file ranges of a read into one buffer (the fetch response's records field).
Result<Bytes, log::LogError> copy_ranges(const log::ReadResult& read) {
    Bytes out(static_cast<size_t>(read.bytes));
    size_t at = 0;
    for (const auto& range : read.ranges) {
        ASSERT(at + range.length <= out.size());
        uint64_t done = 0;
        while (done < range.length) {
            auto n = range.file->read_at(
                range.position + done,
                MutableByteSpan(out.data() + at + done, static_cast<size_t>(range.length - done)));
            if (!n.ok()) {
                return fail(log::LogError::io_error);
            }
            if (*n == 0) {
                break;  // the segment was truncated under us: send what we have (whole batches
                        // are not guaranteed then; clients drop a partial tail)
            }
            done += *n;
        }
        at += static_cast<size_t>(done);
        if (done < range.length) {
            out.resize(at);
            break;
        }
    }
    return out;
}

// Kafka's ProduceRequest.validateRecords and LogValidator's client-only batch rules, read from
// the first batch's header (nothing is decoded; the log validates the rest).
struct ClientBatchRefusal {
    int16_t code;
    std::string message;
};

std::optional<ClientBatchRefusal> check_client_batches(ByteSpan records, int16_t version) {
    auto first = record::batch_size_at(records);
    if (!first.ok()) {
        return std::nullopt;  // framing, magic: the log's validation says what is wrong
    }
    if (*first < records.size()) {
        // Kafka 3.x: "Produce requests with version N are only allowed to contain exactly one
        // record batch per partition" (INVALID_RECORD), idempotent or not.
        return ClientBatchRefusal{error::invalid_record,
                                  "Produce requests with version " + std::to_string(version) +
                                      " may carry exactly one record batch per partition"};
    }
    auto view = record::RecordBatchView::parse(records.subspan(0, *first));
    if (!view.ok()) {
        return std::nullopt;
    }
    if (version < 7 && view->compression() == record::Codec::zstd) {
        return ClientBatchRefusal{error::unsupported_compression_type,
                                  "Produce requests with version " + std::to_string(version) +
                                      " may not use zstd compression (v7+)"};
    }
    if (view->is_control()) {
        return ClientBatchRefusal{error::invalid_record,
                                  "Clients are not allowed to write control records"};
    }
    return std::nullopt;
}

bool first_batch_is_transactional(ByteSpan records) {
    auto first = record::batch_size_at(records);
    if (!first.ok()) {
        return false;
    }
    auto view = record::RecordBatchView::parse(records.subspan(0, *first));
    return view.ok() && view->is_transactional();
}

}  // namespace

ProduceResponse Broker::handle_produce(const RequestContext& ctx, ProduceRequestView& req) {
    struct Pending {
        size_t topic;
        size_t partition;
        std::shared_ptr<log::PartitionLog> log;
        log::AppendInfo info;
        int32_t epoch = -1;
    };
    ProduceResponse resp;
    std::vector<Pending> pending;
    // timeout_ms bounds the wait for durability (Kafka's wait for acks), counted from here.
    const Instant ack_deadline = env_.clock.now() + Duration::millis(std::max(req.timeout_ms, 0));
    const bool valid_acks = req.acks == 0 || req.acks == 1 || req.acks == -1;
    // Kafka refuses the whole request when it carries transactional batches without a
    // transactional id (KafkaApis: TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition).
    const bool refused_transactional =
        !req.transactional_id && std::any_of(req.topics.begin(), req.topics.end(), [](auto& t) {
            return std::any_of(t.partitions.begin(), t.partitions.end(), [](auto& p) {
                return p.records && first_batch_is_transactional(*p.records);
            });
        });
    // Authorization (security::api_acl_rule(produce)): WRITE on the transactional id for the
    // whole request, WRITE on each topic per partition.
    const bool transactional_id_denied =
        req.transactional_id &&
        !allowed(ctx, security::AclOperation::write, security::ResourceType::transactional_id,
                 *req.transactional_id);
    for (auto& td : req.topics) {
        ProduceResponse::TopicProduceResponse tr;
        tr.name_ = td.name;
        const bool topic_denied = !transactional_id_denied &&
                                  !allowed(ctx, security::AclOperation::write,
                                           security::ResourceType::topic, td.name);
        for (auto& pd : td.partitions) {
            ProduceResponse::PartitionProduceResponse pr;
            pr.index_ = pd.index;
            pr.base_offset_ = -1;
            if (transactional_id_denied) {
                pr.error_code_ = error::transactional_id_authorization_failed;
                tr.partition_responses_.push_back(std::move(pr));
                continue;
            }
            if (topic_denied) {
                pr.error_code_ = error::topic_authorization_failed;
                tr.partition_responses_.push_back(std::move(pr));
                continue;
            }
            if (refused_transactional) {
                pr.error_code_ = error::transactional_id_authorization_failed;
                pr.error_message_ =
                    "transactional record batches need a transactional id in the Produce request";
                tr.partition_responses_.push_back(std::move(pr));
                continue;
            }
            if (is_internal_topic(td.name)) {
                // Kafka's ReplicaManager: only the broker itself appends to internal topics.
                pr.error_code_ = error::invalid_topic_exception;
                pr.error_message_ = "Cannot append to internal topic " + td.name;
                tr.partition_responses_.push_back(std::move(pr));
                continue;
            }
            auto l = partition_log(td.name, pd.index);
            if (ctx.version < 3) {
                // v0-2 carry legacy message sets (magic 0/1), which Eddy does not store.
                pr.error_code_ = error::unsupported_for_message_format;
                pr.error_message_ = "Produce v0-2 (message format v0/v1) is not supported";
            } else if (!valid_acks) {
                pr.error_code_ = error::invalid_required_acks;
            } else if (!l) {
                pr.error_code_ = partition_error(td.name, pd.index);
            } else if (!pd.records || pd.records->empty()) {
                pr.error_code_ = error::invalid_record;
                pr.error_message_ = "no record batches";
            } else if (auto refused = check_client_batches(*pd.records, ctx.version)) {
                pr.error_code_ = refused->code;
                pr.error_message_ = refused->message + " (" + protocol::echo(td.name) + "-" +
                                    std::to_string(pd.index) + ")";
            } else if (auto full = storage_quota_refusal(td.name, *l)) {
                // Eddy's storage.quota.bytes: nothing more until retention makes room.
                pr.error_code_ = error::policy_violation;
                pr.error_message_ = std::move(full);
            } else if (req.acks == -1 &&
                       static_cast<int64_t>(replicas_->isr_size(l->topic_partition())) <
                           min_insync_replicas(td.name)) {
                // Kafka refuses before appending: the write could not be acknowledged.
                pr.error_code_ = error::not_enough_replicas;
                pr.error_message_ = "The ISR of " + protocol::echo(td.name) + "-" +
                                    std::to_string(pd.index) + " has " +
                                    std::to_string(replicas_->isr_size(l->topic_partition())) +
                                    " replicas, below min.insync.replicas=" +
                                    std::to_string(min_insync_replicas(td.name));
            } else {
                log::AppendRejection rejection;
                int32_t epoch = -1;
                auto r = leader_append(*l, *pd.records, &rejection, epoch);
                if (!r.ok()) {
                    pr.error_code_ = error_code(r.error());
                    if (!rejection.message.empty()) {
                        pr.error_message_ = rejection.message;
                    }
                    for (auto& e : rejection.record_errors) {
                        ProduceResponse::BatchIndexAndErrorMessage be;
                        be.batch_index_ = e.batch_index;
                        be.batch_index_error_message_ = std::move(e.message);
                        pr.record_errors_.push_back(std::move(be));
                    }
                } else {
                    pending.push_back(
                        {resp.responses_.size(), tr.partition_responses_.size(), l, *r, epoch});
                }
            }
            tr.partition_responses_.push_back(std::move(pr));
        }
        ASSERT(tr.partition_responses_.size() == td.partitions.size(),
               "every partition of a Produce is answered");
        resp.responses_.push_back(std::move(tr));
    }
    ASSERT(resp.responses_.size() == req.topics.size());
    // Every append of this request is done, in the connection's order: the next request may
    // start while this one waits for its sync, so pipelined produce requests share a group commit.
    release_turn(ctx);
    if (!pending.empty()) {
        notify_data();  // followers fetch now, so their sync overlaps the leader's
    }
    bool appended = false;
    std::vector<LateDurable> late;
    for (auto& p : pending) {
        auto& pr = resp.responses_[p.topic].partition_responses_[p.partition];
        bool late_sync = false;
        // An acks=all wait that times out sooner than the producer's timeout (a slow follower
        // would make it): REQUEST_TIMED_OUT, retriable; the write stays in the log.
        const Instant deadline =
            req.acks == -1 && BUGGIFY(env_)
                ? std::min(ack_deadline,
                           env_.clock.now() + Duration::millis(env_.random.between(1, 100)))
                : ack_deadline;
        if (!p.info.duplicate) {
            auto& counters = metrics_.topic(p.log->topic_partition().topic);
            counters.messages_in += static_cast<uint64_t>(p.info.record_count);
            counters.bytes_in += p.info.bytes;
        } else if (options_.metrics_count_duplicates) {
            // The planted bug: the retried batch's records counted again.
            metrics_.topic(p.log->topic_partition().topic).messages_in +=
                static_cast<uint64_t>(p.info.last_offset.value() - p.info.base_offset.value() + 1);
        }
        const int16_t e = wait_for_acks(p.log, p.info, req.acks, p.epoch, deadline, late_sync);
        if (late_sync) {
            late.push_back({p.log, p.info.last_offset});
        } else if (e == error::none && req.acks != 0) {
            metrics_.produce_durable_seconds.observe((env_.clock.now() - ctx.started).to_seconds());
        }
        appended = true;
        if (e != error::none) {
            // REQUEST_TIMED_OUT, NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS_AFTER_APPEND: all
            // retriable, none claims the write did not land.
            pr.error_code_ = e;
            continue;
        }
        pr.base_offset_ = p.info.base_offset.value();
        pr.log_append_time_ms_ = p.info.log_append_time.value();
        pr.log_start_offset_ = p.log->log_start_offset().value();
    }
    if (appended) {
        notify_data();
    }
    if (!late.empty()) {
        advance_when_durable(std::move(late));
    }
    return resp;
}

FetchResponse Broker::handle_fetch(const RequestContext& ctx, const FetchRequest& req,
                                   std::vector<RecordsSplice>* splices) {
    const Instant deadline = env_.clock.now() + Duration::millis(std::max(req.max_wait_ms_, 0));
    // KIP-74: the response holds at most max_bytes of records (the broker's fetch.max.bytes caps
    // what the client asks), except that the first non-empty partition always returns its first
    // batch whole, so a consumer can never get stuck behind a batch larger than its limit.
    const int64_t max_bytes =
        std::clamp<int64_t>(req.max_bytes_, 1, config_.get_int("fetch.max.bytes"));
    // KIP-227: a sessionless or full fetch reads the partitions it names; an incremental one
    // reads every partition of its session (the ones it did not name with the position given
    // before) and answers only those with something to say.
    using SessionKind = FetchSessionCache::Context::Kind;
    if (!protocol::fetch_session::is_full(req.session_epoch_) && BUGGIFY(env_)) {
        // Buggify: the session was evicted a moment ago (other fetchers took the slots): the
        // fetcher must notice and start over with a full fetch.
        fetch_sessions_.evict(req.session_id_, req.replica_id_);
    }
    const FetchSessionCache::Context session = fetch_sessions_.begin(req, env_.clock.now());
    if (session.kind == SessionKind::error) {
        FetchResponse resp;
        resp.error_code_ = session.error;
        return resp;
    }
    const bool incremental = session.kind == SessionKind::incremental;
    // A partition named more than once is answered once, at the place it was first named, with the
    // fetch position given last (Kafka keeps the request's partitions in an ordered map). Without
    // this, one partition named many times would be read, and sent, once per naming.
    using Named = std::pair<std::string_view, int32_t>;
    std::map<Named, const FetchRequest::FetchPartition*> last;
    struct ToRead {
        const FetchRequest::FetchPartition* fetch;
        const CachedPartition* cached;  // incremental: what the session last sent
    };
    struct TopicToRead {
        const std::string* topic;
        Uuid topic_id;
        bool named_empty;  // named without partitions: answered with none
        std::vector<ToRead> partitions;
    };
    std::vector<TopicToRead> reads;
    if (incremental) {
        for (const auto& cp : session.partitions) {
            if (reads.empty() || *reads.back().topic != cp.topic) {
                reads.push_back({&cp.topic, Uuid{}, false, {}});
            }
            reads.back().partitions.push_back({&cp.fetch, &cp});
        }
    } else {
        for (const auto& ft : req.topics_) {
            for (const auto& fp : ft.partitions_) {
                last[{ft.topic_, fp.partition_}] = &fp;
            }
        }
        std::set<Named> named;
        for (const auto& ft : req.topics_) {
            reads.push_back({&ft.topic_, ft.topic_id_, ft.partitions_.empty(), {}});
            for (const auto& fp : ft.partitions_) {
                if (named.insert({ft.topic_, fp.partition_}).second) {
                    reads.back().partitions.push_back({last.at({ft.topic_, fp.partition_}), nullptr});
                }
            }
        }
    }
    // A follower's fetch (a replica id) reads up to the log end and reports its position, once:
    // that may move the high watermark or show that its log diverges. A consumer that names its
    // leader epoch (v9+) is checked against ours.
    const int32_t replica = req.replica_id_;
    const bool follower = replica >= 0;
    // Authorization (security::api_acl_rule(fetch)): a follower needs CLUSTER_ACTION on the
    // cluster — any client may claim a replica id — and a consumer READ on each topic; refused
    // partitions answer TOPIC_AUTHORIZATION_FAILED and are neither read nor counted as a
    // follower's position.
    std::set<std::string, std::less<>> denied_topics;
    const bool replica_denied =
        follower && !allowed_on_cluster(ctx, security::AclOperation::cluster_action);
    for (const auto& t : reads) {
        if (replica_denied ||
            (!follower && !denied_topics.contains(*t.topic) &&
             !allowed(ctx, security::AclOperation::read, security::ResourceType::topic,
                      *t.topic))) {
            denied_topics.insert(*t.topic);
        }
    }
    std::map<Named, replica::FollowerFetchCheck> checks;
    for (const auto& t : reads) {
        for (const auto& p : t.partitions) {
            const auto& fp = *p.fetch;
            if (denied_topics.contains(*t.topic) || !leads(*t.topic, fp.partition_)) {
                continue;  // answered by partition_error below
            }
            const log::TopicPartition tp{*t.topic, PartitionId(fp.partition_)};
            replica::FollowerFetchCheck c;
            if (follower) {
                c = replicas_->follower_fetch(tp, replica, Offset(fp.fetch_offset_),
                                              fp.current_leader_epoch_, fp.last_fetched_epoch_);
            } else if (fp.current_leader_epoch_ >= 0) {
                c.error = replicas_->check_leader_epoch(tp, fp.current_leader_epoch_);
            }
            checks[{*t.topic, fp.partition_}] = c;
        }
    }
    FetchResponse resp;
    int64_t total = 0;
    bool failed = false;
    // Per topic, for consumers: BytesOut. The names are the request's or the session's, which
    // outlive this call, so no string is copied on the fetch path.
    std::map<std::string_view, uint64_t> bytes_out;
    // One partition's answer; counts its records in `total` and errors in `failed`.
    auto answer = [&](const std::string& topic, const FetchRequest::FetchPartition& fp) {
        FetchResponse::PartitionData pd;
        pd.partition_index_ = fp.partition_;
        pd.aborted_transactions_ = std::nullopt;
        pd.records_ = Bytes{};
        if (denied_topics.contains(topic)) {
            pd.error_code_ = error::topic_authorization_failed;
            failed = true;
            return pd;
        }
        auto l = partition_log(topic, fp.partition_);
        if (!l) {
            pd.error_code_ = partition_error(topic, fp.partition_);
            failed = true;
            return pd;
        }
        pd.high_watermark_ = l->high_watermark().value();
        pd.last_stable_offset_ = pd.high_watermark_;
        pd.log_start_offset_ = l->log_start_offset().value();
        if (auto c = checks.find({topic, fp.partition_}); c != checks.end()) {
            if (c->second.error != error::none || c->second.diverging) {
                pd.error_code_ = c->second.error;
                if (c->second.diverging) {
                    pd.diverging_epoch_.epoch_ = c->second.diverging->first;
                    pd.diverging_epoch_.end_offset_ = c->second.diverging->second;
                }
                failed = true;  // answer at once
                return pd;
            }
        }
        const int64_t room = std::min<int64_t>(fp.partition_max_bytes_, max_bytes - total);
        if (fp.partition_max_bytes_ <= 0 || (room <= 0 && total > 0)) {
            return pd;
        }
        log::ReadOptions o;
        // A short read: as if the partition's buffer held one byte, the read returns its first
        // batch whole (KIP-74) or, after an earlier partition returned data, nothing.
        o.max_bytes = BUGGIFY(env_) ? 1 : static_cast<uint64_t>(std::max<int64_t>(room, 1));
        o.first_batch_whole = total == 0;
        o.bound = follower ? log::ReadBound::log_end : log::ReadBound::high_watermark;
        if (follower) {
            // Beyond Kafka: what a follower copies is read and CRC-checked here, never sent
            // straight from the file, so bytes rotted on the leader's disk are found on the
            // leader (which takes the log offline and halts: PartitionLog::mark_offline) instead
            // of spreading to every replica. Consumers keep the zero-copy path.
            auto copy = l->read_copy(Offset(fp.fetch_offset_), o);
            if (!copy.ok()) {
                pd.error_code_ = error_code(copy.error());
                failed = true;
                return pd;
            }
            total += static_cast<int64_t>(copy->data.size());
            pd.high_watermark_ = copy->high_watermark.value();
            pd.last_stable_offset_ = pd.high_watermark_;
            pd.log_start_offset_ = copy->log_start_offset.value();
            if (!copy->data.empty()) {
                pd.records_ = std::move(copy->data);
            }
            return pd;
        }
        auto read = l->read(Offset(fp.fetch_offset_), o);
        if (!read.ok()) {
            pd.error_code_ = error_code(read.error());
            failed = true;
            return pd;
        }
        if (read->bytes == 0) {
            return pd;
        }
        ASSERT(!read->batches.empty(), "a fetch returns the batch holding its offset first");
        ASSERT(read->batches.front().last_offset.value() >= fp.fetch_offset_,
               "a fetch returns the batch holding its offset first");
        ASSERT(follower || read->batches.back().last_offset < read->high_watermark,
               "a consumer is served only committed data");
        if (splices != nullptr) {
            RecordsSplice sp;
            sp.marker.resize(16);
            for (size_t i = 0; i < 16; i += 8) {
                store_be<uint64_t>(sp.marker.data() + i, env_.random.next());
            }
            sp.ranges = read->ranges;
            sp.bytes = read->bytes;
            pd.records_ = sp.marker;
            total += static_cast<int64_t>(read->bytes);
            bytes_out[topic] += read->bytes;
            splices->push_back(std::move(sp));
        } else if (auto data = copy_ranges(*read); !data.ok()) {
            pd.error_code_ = error::kafka_storage_error;
            failed = true;
        } else {
            total += static_cast<int64_t>(data->size());
            bytes_out[topic] += data->size();
            pd.records_ = std::move(data).value();
        }
        pd.high_watermark_ = read->high_watermark.value();
        pd.last_stable_offset_ = pd.high_watermark_;
        pd.log_start_offset_ = read->log_start_offset.value();
        return pd;
    };
    while (true) {
        if (splices != nullptr) {
            splices->clear();
        }
        resp = FetchResponse{};
        total = 0;
        bytes_out.clear();
        failed = false;
        for (const auto& t : reads) {
            FetchResponse::FetchableTopicResponse tr;
            tr.topic_ = *t.topic;
            tr.topic_id_ = t.topic_id;
            for (const auto& p : t.partitions) {
                auto pd = answer(*t.topic, *p.fetch);
                if (p.cached == nullptr || must_respond(*p.cached, pd)) {
                    tr.partitions_.push_back(std::move(pd));
                }
            }
            if (!tr.partitions_.empty() || t.named_empty) {
                resp.responses_.push_back(std::move(tr));
            }
        }
        if (failed || total >= req.min_bytes_ || stopped_ || env_.clock.now() >= deadline) {
            break;
        }
        // A long poll returning early, with what it has (perhaps nothing): the fetcher asks again.
        if (BUGGIFY(env_)) {
            break;
        }

        // A long poll: later requests of the connection need not wait behind it (a fetch changes
        // nothing they could depend on).
        release_turn(ctx);
        if (data_arrived_.wait(deadline) == WakeReason::cancelled) {
            break;
        }
    }
    for (const auto& [topic, bytes] : bytes_out) {
        metrics_.topic(topic).bytes_out += bytes;
    }
    switch (session.kind) {
    case SessionKind::sessionless:
    case SessionKind::error:
        break;
    case SessionKind::full: {
        // The new session holds every partition answered, with what was answered.
        std::vector<CachedPartition> cached;
        for (const auto& t : resp.responses_) {
            for (const auto& pd : t.partitions_) {
                CachedPartition c{t.topic_, *last.at({t.topic_, pd.partition_index_})};
                remember(c, pd);
                cached.push_back(std::move(c));
            }
        }
        resp.session_id_ = fetch_sessions_.create(
            replica, std::move(cached),
            static_cast<size_t>(config_.get_int("max.incremental.fetch.session.cache.slots")),
            env_.clock.now());
        break;
    }
    case SessionKind::incremental:
        if (!fetch_sessions_.answered(session, resp)) {
            // Another request of the session came in while this one waited (a duplicate).
            if (splices != nullptr) {
                splices->clear();
            }
            FetchResponse dup;
            dup.error_code_ = error::invalid_fetch_session_epoch;
            dup.session_id_ = session.session_id;
            return dup;
        }
        resp.session_id_ = session.session_id;
        break;
    }
    return resp;
}

ListOffsetsResponse Broker::handle_list_offsets(const RequestContext& ctx,
                                                const ListOffsetsRequest& req) {
    ListOffsetsResponse resp;
    for (const auto& t : req.topics_) {
        ListOffsetsResponse::ListOffsetsTopicResponse tr;
        tr.name_ = t.name_;
        const bool denied =
            !allowed(ctx, security::AclOperation::describe, security::ResourceType::topic, t.name_);
        for (const auto& p : t.partitions_) {
            ListOffsetsResponse::ListOffsetsPartitionResponse pr;
            pr.partition_index_ = p.partition_index_;
            if (denied) {
                pr.error_code_ = error::topic_authorization_failed;
                tr.partitions_.push_back(pr);
                continue;
            }
            auto l = partition_log(t.name_, p.partition_index_);
            if (!l) {
                pr.error_code_ = partition_error(t.name_, p.partition_index_);
                tr.partitions_.push_back(pr);
                continue;
            }
            if (int16_t e = replicas_->check_leader_epoch(l->topic_partition(),
                                                          p.current_leader_epoch_);
                e != error::none) {
                pr.error_code_ = e;
                tr.partitions_.push_back(pr);
                continue;
            }
            pr.leader_epoch_ = replicas_->leader_epoch(l->topic_partition()).value_or(-1);
            const Offset hw = l->high_watermark();
            if (p.timestamp_ == -2) {
                pr.offset_ = l->log_start_offset().value();
            } else if (p.timestamp_ == -1) {
                pr.offset_ = hw.value();
            } else if (p.timestamp_ == -3 && ctx.version >= 7) {
                // The largest timestamp among the records a consumer can read (below the high
                // watermark), and the offset of the first record with it. Kafka looks at the
                // whole log and answers "none" when that record is not yet below the high
                // watermark; this answers with the largest readable one instead.
                auto m = l->max_timestamp_offset(hw);
                if (!m.ok()) {
                    pr.error_code_ = error_code(m.error());
                } else if (*m) {
                    pr.timestamp_ = (*m)->timestamp.value();
                    pr.offset_ = (*m)->offset.value();
                }
            } else if (p.timestamp_ >= 0) {
                auto r = l->offset_for_timestamp(record::TimestampMs(p.timestamp_));
                if (!r.ok()) {
                    pr.error_code_ = error_code(r.error());
                } else if (*r && (*r)->offset < hw) {
                    ASSERT((*r)->timestamp.value() >= p.timestamp_,
                           "a timestamp lookup finds a record at or after the target");
                    pr.timestamp_ = (*r)->timestamp.value();
                    pr.offset_ = (*r)->offset.value();
                }
            } else {
                pr.error_code_ = error::invalid_request;
            }
            ASSERT(pr.error_code_ != error::none || pr.offset_ <= hw.value(),
                   "ListOffsets never names an offset a consumer cannot read up to");
            tr.partitions_.push_back(pr);
        }
        ASSERT(tr.partitions_.size() == t.partitions_.size(), "every partition asked is answered");
        resp.topics_.push_back(std::move(tr));
    }
    return resp;
}

DeleteRecordsResponse Broker::handle_delete_records(const RequestContext& ctx,
                                                    const DeleteRecordsRequest& req) {
    DeleteRecordsResponse resp;
    for (const auto& t : req.topics_) {
        DeleteRecordsResponse::DeleteRecordsTopicResult tr;
        tr.name_ = t.name_;
        const bool denied =
            !allowed(ctx, security::AclOperation::delete_, security::ResourceType::topic, t.name_);
        for (const auto& p : t.partitions_) {
            DeleteRecordsResponse::DeleteRecordsPartitionResult pr;
            pr.partition_index_ = p.partition_index_;
            pr.low_watermark_ = -1;
            auto l = denied ? nullptr : partition_log(t.name_, p.partition_index_);
            if (denied) {
                pr.error_code_ = error::topic_authorization_failed;
            } else if (!l) {
                pr.error_code_ = partition_error(t.name_, p.partition_index_);
            } else {
                const Offset target = p.offset_ == -1 ? l->high_watermark() : Offset(p.offset_);
                if (p.offset_ < -1 || target > l->high_watermark()) {
                    pr.error_code_ = error::offset_out_of_range;
                } else if (target > l->log_start_offset()) {
                    if (auto r = l->delete_records_before(target); !r.ok()) {
                        pr.error_code_ = error_code(r.error());
                    } else {
                        ASSERT(l->log_start_offset() >= target || l->closed() || l->offline(),
                               "DeleteRecords answers once the log start has moved");
                    }
                }
                pr.low_watermark_ = l->log_start_offset().value();
            }
            tr.partitions_.push_back(pr);
        }
        resp.topics_.push_back(std::move(tr));
    }
    return resp;
}

OffsetForLeaderEpochResponse Broker::handle_offset_for_leader_epoch(
    const RequestContext& ctx, const OffsetForLeaderEpochRequest& req) {
    OffsetForLeaderEpochResponse resp;
    std::set<std::pair<std::string_view, int32_t>> answered;
    // CLUSTER_ACTION (followers), else DESCRIBE on each topic (KIP-320 consumers).
    const bool cluster_action = authorization_enabled_ &&
                                authorizer().authorize(ctx.principal, ctx.client_host,
                                                       security::AclOperation::cluster_action,
                                                       security::ResourceType::cluster,
                                                       security::cluster_resource_name) ==
                                    security::AuthorizationResult::allowed;
    for (const auto& t : req.topics_) {
        OffsetForLeaderEpochResponse::OffsetForLeaderTopicResult tr;
        tr.topic_ = t.topic_;
        const bool denied =
            !cluster_action && !allowed(ctx, security::AclOperation::describe,
                                        security::ResourceType::topic, t.topic_);
        for (const auto& p : t.partitions_) {
            if (!answered.insert({t.topic_, p.partition_}).second) {
                continue;  // a partition named twice is answered once
            }
            OffsetForLeaderEpochResponse::EpochEndOffset pr;
            pr.partition_ = p.partition_;
            if (denied) {
                pr.error_code_ = error::topic_authorization_failed;
                tr.partitions_.push_back(pr);
                continue;
            }
            auto l = partition_log(t.topic_, p.partition_);
            if (!l) {
                pr.error_code_ = partition_error(t.topic_, p.partition_);
                tr.partitions_.push_back(pr);
                continue;
            }
            const auto& tp = l->topic_partition();
            if (int16_t e = replicas_->check_leader_epoch(tp, p.current_leader_epoch_);
                e != error::none) {
                pr.error_code_ = e;
                tr.partitions_.push_back(pr);
                continue;
            }
            const int32_t current = replicas_->leader_epoch(tp).value_or(-1);
            if (p.leader_epoch_ > current) {
                // An epoch this leader has not reached: undefined, as Kafka answers.
            } else if (p.leader_epoch_ == current) {
                pr.leader_epoch_ = current;
                pr.end_offset_ = l->log_end_offset().value();
            } else {
                const auto end = l->leader_epochs().end_offset_for(LeaderEpoch(p.leader_epoch_),
                                                                   l->log_end_offset());
                ASSERT(end.epoch.value() <= p.leader_epoch_,
                       "an epoch's end is at or below the one asked, within the log");
                ASSERT(end.end_offset <= l->log_end_offset(),
                       "an epoch's end is at or below the one asked, within the log");

                pr.leader_epoch_ = end.epoch.value();
                pr.end_offset_ = end.end_offset.value();
            }
            tr.partitions_.push_back(pr);
        }
        resp.topics_.push_back(std::move(tr));
    }
    return resp;
}

}  // namespace eddy::kafka
