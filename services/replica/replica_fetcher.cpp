#include "services/replica/replica_fetcher.h"

#include <algorithm>

#include "core/protocol/error_codes.h"
#include "core/protocol/fetch_metadata.h"
#include "core/record/record_batch.h"
#include "services/replica/replica_manager.h"

namespace eddy::replica {


namespace {

// The longest prefix of `records` made of whole batches (a leader may cut its last batch short
// when a segment is truncated under its read) and no longer than `max_bytes`, unless its first
// batch alone is.
size_t whole_batches(ByteSpan records, uint64_t max_bytes = UINT64_MAX) {
    size_t at = 0;
    while (at < records.size()) {
        auto n = record::batch_size_at(records.subspan(at));
        if (!n.ok() || *n > records.size() - at || (at > 0 && at + *n > max_bytes)) {
            break;
        }
        at += *n;
    }
    ASSERT(at <= records.size());
    return at;
}

}  // namespace

ReplicaFetcher::ReplicaFetcher(Env& env, ReplicaManager& manager, int32_t leader)
    : env_(env), manager_(manager), leader_(leader), wake_(env.scheduler) {}

ReplicaFetcher::~ReplicaFetcher() {
    ASSERT(!fiber_ || fiber_->done(), "stop() the replica fetcher before destroying it");
}

void ReplicaFetcher::start() {
    ASSERT(!fiber_);
    fiber_ = env_.scheduler.spawn("replica-fetcher-" + std::to_string(leader_), [this] { run(); });
}

void ReplicaFetcher::stop() {
    if (fiber_) {
        fiber_->cancel();
        (void)fiber_->join();
    }
    conn_.reset();
}

void ReplicaFetcher::add(const log::TopicPartition& tp, int32_t leader_epoch) {
    auto& f = partitions_[tp];
    if (f.leader_epoch != leader_epoch) {
        f.retry_at = Instant();  // a new epoch: try at once
    }
    f.leader_epoch = leader_epoch;
    wake_.notify_all();
}

void ReplicaFetcher::remove(const log::TopicPartition& tp) { partitions_.erase(tp); }

void ReplicaFetcher::run() {
    Duration backoff = manager_.options().fetch_backoff;
    while (!env_.scheduler.cancelled()) {
        if (partitions_.empty()) {
            if (wake_.wait() == WakeReason::cancelled) {
                return;
            }
            continue;
        }
        if (!connect() || !round()) {
            conn_.reset();
            if (env_.scheduler.sleep_for(backoff) == WakeReason::cancelled) {
                return;
            }
        }
    }
}

bool ReplicaFetcher::connect() {
    if (conn_ && !conn_->broken()) {
        return true;
    }
    conn_.reset();
    const auto address = manager_.hooks_.address_of(leader_);
    if (!address) {
        env_.log.debug("replica fetcher: no address for broker %d yet", leader_);
        return false;
    }
    const auto& o = manager_.options();
    auto c = client::BrokerConnection::open(env_, *address,
                                            "eddy-replica-" + std::to_string(o.node_id),
                                            env_.clock.now() + o.socket_timeout,
                                            o.sasl ? &*o.sasl : nullptr);
    if (!c.ok()) {
        env_.log.info("replica fetcher: cannot connect to broker %d at %s: %s", leader_,
                      address->to_string().c_str(), c.error().to_string().c_str());
        return false;
    }
    conn_ = std::move(c).value();
    session_.reset();  // a new connection starts a new session (the full fetch closes the old one)
    auto v = conn_->version_of(protocol::ApiKey::fetch);
    if (!v.ok() || *v < 12) {
        env_.log.warn("replica fetcher: broker %d does not serve Fetch v12", leader_);
        conn_.reset();
        return false;
    }
    return true;
}

bool ReplicaFetcher::round() {
    const auto& o = manager_.options();
    const Instant now = env_.clock.now();
    protocol::FetchRequest req;
    req.replica_id_ = o.node_id;
    req.max_wait_ms_ = static_cast<int32_t>(o.fetch_wait_max.to_millis());
    req.min_bytes_ = 1;
    req.max_bytes_ = o.fetch_response_max_bytes;
    // Every partition to fetch this round, with its position; the session names only what
    // changed since the last round (KIP-227) and forgets the partitions left out.
    FetchSessionClient::Wanted wanted;
    // What each partition was asked from: the answer applies only to that log at that offset.
    std::map<log::TopicPartition, Asked> asked;
    Instant next_retry = Instant::max();
    for (const auto& [tp, f] : partitions_) {
        if (f.retry_at > now) {
            next_retry = std::min(next_retry, f.retry_at);
            continue;
        }
        auto* p = manager_.find(tp);
        if (p == nullptr || p->log == nullptr || p->log->offline() || p->log->closed()) {
            continue;
        }
        protocol::FetchRequest::FetchPartition fp;
        fp.partition_ = tp.partition.value();
        fp.current_leader_epoch_ = f.leader_epoch;
        fp.fetch_offset_ = p->log->log_end_offset().value();
        const auto latest = p->log->leader_epochs().latest();
        fp.last_fetched_epoch_ = latest ? latest->epoch.value() : -1;
        fp.log_start_offset_ = p->log->log_start_offset().value();
        fp.partition_max_bytes_ = o.fetch_partition_max_bytes;
        wanted.emplace(tp, fp);
        asked[tp] = Asked{p->log, p->log->log_end_offset()};
    }
    if (wanted.empty()) {
        // Everything is backing off (or has no log yet): wait for the first retry or a change.
        (void)wake_.wait(std::min(next_retry, now + o.fetch_backoff));
        return true;
    }
    session_.build(wanted, req);
    auto resp = conn_->call<protocol::FetchResponse>(
        req, env_.clock.now() + o.fetch_wait_max + o.socket_timeout);
    ++rounds_;
    if (!resp.ok()) {
        env_.log.info("replica fetcher: Fetch from broker %d failed: %s", leader_,
                      resp.error().to_string().c_str());
        return false;
    }
    if (BUGGIFY(env_)) {
        // The leader handled the fetch (it counted this replica's position) but the answer is
        // lost with the connection: the next round asks again from the same offsets.
        env_.log.info("replica fetcher: buggify: Fetch answer from broker %d lost", leader_);
        return false;
    }
    if (!session_.handle_response(*resp)) {
        env_.log.info("replica fetcher: broker %d answered Fetch with %s", leader_,
                      kafka_error::error_name(resp->error_code_));
        // A session error is answered at once by a full fetch opening a new session; anything
        // else waits for the backoff on a new connection.
        // (A leader that answers a full fetch with a session error gets the backoff too.)
        const bool session_error =
            resp->error_code_ == kafka_error::fetch_session_id_not_found ||
            resp->error_code_ == kafka_error::invalid_fetch_session_epoch;
        return session_error && !protocol::fetch_session::is_full(req.session_epoch_);
    }
    for (auto& t : resp->responses_) {
        for (auto& pd : t.partitions_) {
            log::TopicPartition tp{t.topic_, PartitionId(pd.partition_index_)};
            const auto a = asked.find(tp);
            if (a == asked.end() || !partitions_.contains(tp)) {
                continue;  // not asked (a confused leader), or no longer followed here
            }
            if (!still_as_asked(tp, a->second)) {
                // The log was deleted and made again (a reassignment took this replica away
                // and back) or moved while the fetch was out: the answer is for another log.
                // Appending it would leave a gap (replication-reassign seed 56).
                continue;
            }
            handle(tp, pd);
            if (env_.scheduler.cancelled()) {
                return true;
            }
        }
    }
    // Durable mode: every partition's appends of this round are synced (their flushers run side
    // by side) before the next fetch says how far this replica has them.
    for (const auto& w : written_) {
        if (!w.log->wait_durable(w.last_offset).ok()) {
            back_off(w.log->topic_partition());
        }
    }
    for (const auto& w : written_) {
        follow_high_watermark(w.log, w.leader_hw);
    }
    written_.clear();
    return true;
}

bool ReplicaFetcher::still_as_asked(const log::TopicPartition& tp, const Asked& a) const {
    const auto* p = manager_.find(tp);
    return p != nullptr && p->log == a.log && a.log->log_end_offset() == a.fetch_offset;
}

void ReplicaFetcher::back_off(const log::TopicPartition& tp) {
    if (auto it = partitions_.find(tp); it != partitions_.end()) {
        it->second.retry_at = env_.clock.now() + manager_.options().fetch_backoff;
    }
}

OutOfRangeAction on_offset_out_of_range(int64_t leader_log_start, int64_t leader_hw,
                                        Offset my_log_start, Offset my_log_end) {
    const bool start_believable = leader_log_start >= 0 && leader_log_start <= leader_hw;
    // Below the leader's log start (retention, DeleteRecords there): start over, empty, at it.
    if (start_believable && my_log_end.value() < leader_log_start) {
        return {OutOfRangeAction::Kind::restart_at, Offset(leader_log_start)};
    }
    // Above the leader's end cannot happen with epochs checked; should it, keep what the leader
    // has committed (never below this log's own start).
    if (leader_hw >= 0 && std::max(Offset(leader_hw), my_log_start) < my_log_end) {
        return {OutOfRangeAction::Kind::truncate_to, std::max(Offset(leader_hw), my_log_start)};
    }
    return {OutOfRangeAction::Kind::back_off, Offset(0)};
}

void ReplicaFetcher::follow_high_watermark(const std::shared_ptr<log::PartitionLog>& l,
                                           Offset leader_hw) {
    auto* p = manager_.find(l->topic_partition());
    if (p != nullptr && p->log == l && p->state.role() == Role::follower) {
        // Never above what this replica has synced (durable mode) or written.
        const Offset mine = l->config().durable_acks() ? l->durable_offset() : l->log_end_offset();
        p->state.set_follower_high_watermark(leader_hw, mine);
        l->set_high_watermark(p->state.high_watermark());
    }
}

void ReplicaFetcher::handle(const log::TopicPartition& tp, protocol::FetchResponse::PartitionData& pd) {
    auto* p = manager_.find(tp);
    if (p == nullptr || p->log == nullptr || p->state.role() != Role::follower) {
        return;
    }
    std::shared_ptr<log::PartitionLog> l = p->log;  // kept alive across suspensions
    if (pd.error_code_ == kafka_error::offset_out_of_range) {
        const OutOfRangeAction a = on_offset_out_of_range(pd.log_start_offset_, pd.high_watermark_,
                                                          l->log_start_offset(), l->log_end_offset());
        switch (a.kind) {
        case OutOfRangeAction::Kind::restart_at:
            env_.log.info("%s: behind the leader's log start %lld: restarting the log there",
                          tp.to_string().c_str(), static_cast<long long>(a.offset.value()));
            if (auto r = l->restart_at(a.offset); !r.ok()) {
                back_off(tp);
            }
            break;
        case OutOfRangeAction::Kind::truncate_to:
            (void)l->truncate_to(a.offset);
            break;
        case OutOfRangeAction::Kind::back_off:
            env_.log.warn("%s: leader %d answered OFFSET_OUT_OF_RANGE with log start %lld and high "
                          "watermark %lld; retrying after the backoff",
                          tp.to_string().c_str(), leader_,
                          static_cast<long long>(pd.log_start_offset_),
                          static_cast<long long>(pd.high_watermark_));
            back_off(tp);
            break;
        }
        return;
    }
    if (pd.error_code_ != kafka_error::none) {
        // Leadership moved (FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH) or
        // the leader cannot serve it now: wait for the metadata or the backoff.
        env_.log.debug("%s: leader %d answered %s", tp.to_string().c_str(), leader_,
                       kafka_error::error_name(pd.error_code_));
        back_off(tp);
        return;
    }
    if (pd.diverging_epoch_.epoch_ >= 0 || pd.diverging_epoch_.end_offset_ >= 0) {
        // KIP-320, as Kafka's fetcher does it: when this log has the leader's epoch, truncate to
        // the smaller of the two ends of it; when it does not, to the end of the largest epoch it
        // has below that one (the next fetch compares again from there).
        const LeaderEpoch epoch(pd.diverging_epoch_.epoch_);
        const auto mine = l->leader_epochs().end_offset_for(epoch, l->log_end_offset());
        Offset to(std::max<int64_t>(pd.diverging_epoch_.end_offset_, 0));
        if (mine.epoch == epoch) {
            to = std::min(to, mine.end_offset);
        } else if (mine.end_offset.value() >= 0) {
            to = mine.end_offset;
        }
        to = std::min(to, l->log_end_offset());
        env_.log.info("%s: diverges from leader %d at epoch %d: truncating to %lld",
                      tp.to_string().c_str(), leader_, pd.diverging_epoch_.epoch_,
                      static_cast<long long>(to.value()));
        const Offset target = std::max(to, l->log_start_offset());
        if (auto r = l->truncate_to(target); !r.ok()) {
            back_off(tp);
        } else {
            ASSERT(l->log_end_offset() <= std::max(target, l->log_start_offset()),
                   "a diverging follower keeps nothing past the truncation point");
        }
        return;
    }
    const Offset leader_hw(std::max<int64_t>(pd.high_watermark_, 0));
    if (pd.records_ && !pd.records_->empty()) {
        Bytes& records = *pd.records_;
        // Buggify: only the first batch now, as if the leader's answer had been cut short; the
        // rest comes in the next round.
        const size_t whole = whole_batches(records, BUGGIFY(env_) ? 1 : UINT64_MAX);
        // One append holds at most segment.bytes (the log refuses more), and a fetch may bring
        // more than that when segments are small: the batches go in as several appends.
        size_t at = 0;
        std::optional<Offset> last;
        while (at < whole) {
            const size_t n = whole_batches(ByteSpan(records).subspan(at, whole - at),
                                           l->config().segment_bytes);
            ASSERT(n > 0, "each append takes at least one whole batch");
            const Offset end_before = l->log_end_offset();
            log::AppendOptions ao;
            ao.mode = log::AppendMode::replica;
            auto r = l->append_nowait(MutableByteSpan(records.data() + at, n), ao);
            if (!r.ok()) {
                env_.log.warn("%s: cannot append what leader %d sent: %s", tp.to_string().c_str(),
                              leader_, std::string(log::to_string(r.error())).c_str());
                back_off(tp);
                break;
            }
            ASSERT(r->last_offset >= end_before, "a follower's log only grows by appending");
            ASSERT(l->log_end_offset() > end_before, "a follower's log only grows by appending");
            last = r->last_offset;
            at += n;

        }
        if (last && l->config().durable_acks()) {
            written_.push_back({l, *last, leader_hw});
        }
        if (at < whole) {
            return;
        }
    }
    // The leader's log start (its retention and DeleteRecords) reaches this replica.
    if (pd.log_start_offset_ > l->log_start_offset().value() &&
        Offset(pd.log_start_offset_) <= l->log_end_offset() &&
        pd.log_start_offset_ <= pd.high_watermark_) {
        (void)l->delete_records_before(Offset(pd.log_start_offset_));
    }
    follow_high_watermark(l, leader_hw);
}

}  // namespace eddy::replica
