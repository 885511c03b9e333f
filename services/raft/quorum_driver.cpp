#include "services/raft/quorum_driver.h"

#include <algorithm>
#include <utility>

#include "core/base/assert.h"
#include "services/raft/quorum_state.h"

namespace eddy::raft {

const char* to_string(ProposeError e) {
    switch (e) {
        case ProposeError::not_leader:
            return "not the leader";
        case ProposeError::timed_out:
            return "not committed in time";
        case ProposeError::stopped:
            return "the quorum is stopping";
    }
    return "?";
}

namespace {

LogSnapshotId to_log_id(SnapshotId id) {
    return LogSnapshotId{Offset(id.end_offset), LeaderEpoch(id.epoch)};
}
SnapshotId from_log_id(LogSnapshotId id) {
    return SnapshotId{id.end_offset.value(), id.epoch.value()};
}

bool is_response(const Body& b) {
    return std::holds_alternative<VoteResponse>(b) || std::holds_alternative<FetchResponse>(b) ||
           std::holds_alternative<FetchSnapshotResponse>(b);
}

// Reads a whole snapshot image (the metadata image: small). Suspends.
Result<Bytes, RaftLogError> read_whole_snapshot(RaftLog& log, LogSnapshotId id) {
    TRY_ASSIGN(const uint64_t size, log.snapshot_size(id));
    Bytes image;
    image.reserve(static_cast<size_t>(size));
    while (image.size() < size) {
        TRY_ASSIGN(Bytes chunk, log.read_snapshot(id, image.size(), size - image.size()));
        if (chunk.empty()) {
            return fail(RaftLogError::damaged);
        }
        image.insert(image.end(), chunk.begin(), chunk.end());
    }
    return image;
}

}  // namespace

// The snapshots a leader serves (FetchSnapshot), in memory: the latest and the one before it (a
// follower may still be downloading that one when a newer is taken).
class QuorumDriver::Snapshots final : public SnapshotSource {
public:
    std::optional<int64_t> size(SnapshotId id) const override {
        const Bytes* b = find(id);
        return b ? std::optional<int64_t>(static_cast<int64_t>(b->size())) : std::nullopt;
    }
    Bytes read(SnapshotId id, int64_t position, int64_t length) const override {
        const Bytes* b = find(id);
        ASSERT(b != nullptr);
        ASSERT(position >= 0);
        ASSERT(length >= 0);
        ASSERT(position + length <= static_cast<int64_t>(b->size()));
        return Bytes(b->begin() + position, b->begin() + position + length);
    }
    void add(SnapshotId id, Bytes image) {
        kept_.emplace_back(id, std::move(image));
        while (kept_.size() > 2) {
            kept_.erase(kept_.begin());
        }
    }

private:
    const Bytes* find(SnapshotId id) const {
        for (const auto& k : kept_) {
            if (k.first == id) {
                return &k.second;
            }
        }
        return nullptr;
    }
    std::vector<std::pair<SnapshotId, Bytes>> kept_;
};

Result<std::unique_ptr<QuorumDriver>, std::string> QuorumDriver::open(Env& env,
                                                                     log::LogManager& logs,
                                                                     QuorumDriverOptions options,
                                                                     QuorumApplication& app) {
    auto opened = RaftLog::open(env, logs, options.log);
    if (!opened.ok()) {
        return fail(std::string("cannot open the metadata log: ") + to_string(opened.error()));
    }
    std::unique_ptr<RaftLog> log = std::move(*opened);
    std::string dir = log->partition_log().dir();
    auto state = read_quorum_state(env, dir);
    if (!state.ok()) {
        return fail(state.error());
    }
    if (!state->cluster_id.empty() && !options.cluster_id.empty() &&
        state->cluster_id != options.cluster_id) {
        return fail(dir + "/" + std::string(quorum_state_file) + " belongs to cluster " +
                    state->cluster_id + ", this node is in cluster " + options.cluster_id);
    }

    DurableState durable;
    durable.epoch = state->leader_epoch.value();
    durable.voted_for = state->voted_id;
    std::optional<Bytes> image;
    if (const auto latest = log->latest_snapshot()) {
        durable.snapshot = from_log_id(*latest);
        auto read = read_whole_snapshot(*log, *latest);
        if (!read.ok()) {
            return fail(dir + "/" + latest->file_name() +
                        ": cannot read the snapshot: " + to_string(read.error()));
        }
        image = std::move(*read);
    }
    // The entries after the snapshot; the log may still hold some below it (a snapshot moves the
    // log start to a segment boundary), which the replica does not need.
    Offset next(durable.snapshot.end_offset);
    while (next < log->end_offset()) {
        auto entries = log->read(next, 1 << 20);
        if (!entries.ok() || entries->empty()) {
            return fail(dir + ": cannot read the metadata log at offset " +
                        std::to_string(next.value()) + ": " +
                        (entries.ok() ? "no entry" : to_string(entries.error())));
        }
        for (RaftEntry& e : *entries) {
            ASSERT(e.offset == next, "RaftLog::read returns consecutive entries");
            durable.log.push_back(Entry{e.epoch.value(), std::move(e.data)});
            next = next + 1;
        }
    }
    if (durable.log.empty() ? durable.snapshot.epoch > durable.epoch
                            : durable.log.back().epoch > durable.epoch) {
        // quorum-state is written after the log, so a crash in between leaves it behind the log:
        // the log's own epoch is then the one this replica reached.
        durable.epoch = durable.log.empty() ? durable.snapshot.epoch : durable.log.back().epoch;
        durable.voted_for = std::nullopt;
    }

    std::unique_ptr<QuorumDriver> d(
        new QuorumDriver(env, std::move(options), app, std::move(log), std::move(dir)));
    if (image) {
        if (auto r = app.load_snapshot(durable.snapshot, *image); !r.ok()) {
            return fail(d->state_dir_ + "/" + to_log_id(durable.snapshot).file_name() + ": " +
                        r.error());
        }
        d->snapshots_->add(durable.snapshot, std::move(*image));
    }
    d->applied_ = durable.snapshot.end_offset;
    d->last_snapshot_end_ = durable.snapshot.end_offset;
    d->replica_ = std::make_unique<QuorumReplica>(
        d->options_.self, d->options_.config, std::move(durable),
        Random(env.random.next()), env.clock.now(), d->snapshots_.get(), d->options_.knobs);
    // The replica restarts from exactly what is on disk: nothing to persist yet.
    ASSERT(d->replica_->take_persist().empty());
    if (d->options_.observer != nullptr) {
        d->options_.observer->opened(*d);
    }
    d->trace_role();
    return d;
}

QuorumDriver::QuorumDriver(Env& env, QuorumDriverOptions options, QuorumApplication& app,
                           std::unique_ptr<RaftLog> log, std::string state_dir)
    : env_(env),
      options_(std::move(options)),
      app_(app),
      log_(std::move(log)),
      state_dir_(std::move(state_dir)),
      snapshots_(std::make_unique<Snapshots>()),
      mutex_(env.scheduler),
      applied_changed_(env.scheduler) {}

QuorumDriver::~QuorumDriver() {
    // stop() joined the ticker; a crashed node's fibers were unwound. It must not outlive us.
    ASSERT(!ticker_ || ticker_->done(), "stop() the quorum driver before destroying it");
}

void QuorumDriver::start(QuorumTransport& transport) {
    ASSERT(transport_ == nullptr, "QuorumDriver started twice");
    transport_ = &transport;
    // A single voter elects itself at its first tick; run one now so it leads before serving.
    ticker_ = env_.scheduler.spawn("quorum-ticker", [this] { tick_loop(); });
}

void QuorumDriver::tick_loop() {
    while (!stopping_) {
        {
            LockGuard guard(mutex_);
            std::vector<Message> out;
            replica_->tick(env_.clock.now(), out);
            // A forced resignation (about once in 2000 ticks of a leader once the site is on):
            // the leader steps down as for a shutdown, and the quorum elects again.
            if (replica_->role() == Role::leader && BUGGIFY(env_) && env_.random.below(500) == 0) {
                env_.log.info("buggify: the leader resigns in epoch %d", replica_->epoch());
                const bool resigned = replica_->resign(env_.clock.now(), out);
                ASSERT(resigned);
                ASSERT(replica_->role() == Role::resigned);
            }
            settle(std::move(out), std::nullopt, true);

            persist_deferred();  // the planted bug's late writes (nothing otherwise)
        }
        // A late tick (a busy or descheduled node): timers fire late, elections and check
        // quorum run behind.
        const Duration pause =
            BUGGIFY(env_) ? options_.tick_interval * static_cast<int64_t>(env_.random.between(2, 20))
                          : options_.tick_interval;
        if (env_.scheduler.sleep_for(pause) == WakeReason::cancelled) {
            return;
        }
    }
}

void QuorumDriver::stop() {
    if (stopping_) {
        return;
    }
    {
        LockGuard guard(mutex_);
        std::vector<Message> out;
        if (replica_->resign(env_.clock.now(), out)) {
            settle(std::move(out), std::nullopt);
        }
        persist_deferred();
        stopping_ = true;
    }
    if (ticker_) {
        ticker_->cancel();
        ticker_->join();
        ticker_.reset();
    }
    applied_changed_.notify_all();
}

std::vector<Message> QuorumDriver::receive(const Message& m) {
    if (stopping_) {
        return {};
    }
    ASSERT(m.to == options_.self);
    LockGuard guard(mutex_);
    if (options_.observer != nullptr) {
        options_.observer->received(*this, m);
    }
    if (const auto* vote = std::get_if<VoteResponse>(&m.body)) {
        // For the election picture (eddy sim viz elections): a vote as its candidate received it.
        env_.tracer.event("raft.vote", {{"node", options_.self.value()},
                                        {"from", m.from.value()},
                                        {"epoch", vote->epoch},
                                        {"granted", vote->granted},
                                        {"pre_vote", vote->pre_vote}});
    }
    std::vector<Message> out;
    replica_->receive(m, env_.clock.now(), out);
    return settle(std::move(out),
                  is_response(m.body) ? std::nullopt : std::optional<NodeId>(m.from));
}

Result<int64_t, ProposeError> QuorumDriver::propose(Bytes data, Duration timeout) {
    const Instant deadline = env_.clock.now() + timeout;
    int64_t offset = 0;
    int32_t epoch = 0;
    {
        LockGuard guard(mutex_);
        if (stopping_) {
            return fail(ProposeError::stopped);
        }
        std::vector<Message> out;
        const std::optional<int64_t> at = replica_->propose(std::move(data), env_.clock.now(), out);
        if (!at) {
            return fail(ProposeError::not_leader);
        }
        offset = *at;
        epoch = replica_->epoch();
        ASSERT(offset == replica_->end_offset() - 1,
               "a proposal is the leader's newest entry, in its epoch");
        ASSERT(replica_->entry(offset).epoch == epoch,
               "a proposal is the leader's newest entry, in its epoch");

        proposed_.emplace(offset, epoch);  // before settle: a single voter commits at once
        settle(std::move(out), std::nullopt);
    }
    // Committed once applied in our epoch (apply_committed decides); a new leader may replace it.
    while (true) {
        if (auto it = outcomes_.find(offset); it != outcomes_.end()) {
            const bool ours = it->second;
            outcomes_.erase(it);
            return ours ? Result<int64_t, ProposeError>(offset) : fail(ProposeError::not_leader);
        }
        const bool gone = replica_->epoch() != epoch && replica_->end_offset() <= offset;
        const bool stopped = stopping_;
        const WakeReason woke =
            gone || stopped ? WakeReason::notified : applied_changed_.wait(deadline);
        // A cancelled caller (a fiber being stopped) gives up like a timeout: the entry may
        // still commit. Waiting again would return at once, forever at the same instant (a
        // three-node simulation stopping its brokers spun here: a broker heartbeat's commit).
        const bool timed_out = woke == WakeReason::timeout || woke == WakeReason::cancelled;
        if (gone || stopped || timed_out) {
            if (outcomes_.contains(offset)) {
                continue;  // decided meanwhile
            }
            proposed_.erase(offset);
            return fail(gone ? ProposeError::not_leader
                             : stopped ? ProposeError::stopped : ProposeError::timed_out);
        }
    }
}

bool QuorumDriver::wait_applied(int64_t offset, Instant deadline) {
    while (applied_ < offset) {
        if (stopping_ || applied_changed_.wait(deadline) != WakeReason::notified) {
            return applied_ >= offset;
        }
    }
    return true;
}

QuorumStatus QuorumDriver::describe() const { return replica_->describe(env_.clock.now()); }

std::vector<Message> QuorumDriver::settle(std::vector<Message> out,
                                          std::optional<NodeId> reply_to, bool ticked) {
    ASSERT(mutex_.locked());
    const PersistDelta delta = replica_->take_persist();
    if (!delta.empty()) {
        if (options_.driver_knobs.send_before_persist) {
            deferred_.push_back(delta);  // the planted bug: written after the messages leave
        } else {
            persist(delta);
        }
    }
    if (options_.observer != nullptr) {
        options_.observer->settled(*this, ticked, out);
    }
    trace_role();
    std::vector<Message> replies;
    for (Message& m : out) {
        if (reply_to && m.to == *reply_to && is_response(m.body)) {
            replies.push_back(std::move(m));
        } else if (transport_ != nullptr) {
            transport_->send(std::move(m));
        }
    }
    if (delta.snapshot_installed) {
        const InstalledSnapshot& s = *delta.snapshot_installed;
        if (auto r = app_.load_snapshot(s.id, s.image); !r.ok()) {
            env_.log.error("metadata snapshot %s from the leader does not load: %s",
                           to_log_id(s.id).file_name().c_str(), r.error().c_str());
            env_.process.crash("a metadata snapshot from the leader does not load");
        }
        snapshots_->add(s.id, s.image);
        ASSERT(s.id.end_offset >= applied_, "an installed snapshot never moves the application back");
        applied_ = s.id.end_offset;
        if (options_.observer != nullptr) {
            options_.observer->snapshot_loaded(*this, s.id, s.image);
        }
        // Proposals the snapshot covers cannot be told apart from a successor's: report them
        // as not led (a leader never installs a snapshot, so it had lost its epoch anyway).
        for (auto it = proposed_.begin(); it != proposed_.end() && it->first < applied_;) {
            outcomes_[it->first] = false;
            it = proposed_.erase(it);
        }
        last_snapshot_end_ = s.id.end_offset;
        applied_changed_.notify_all();
    }
    apply_committed();
    return replies;
}

void QuorumDriver::persist_deferred() {
    // Swapped out first: a crash inside persist() unwinds this fiber with the rest unwritten.
    std::vector<PersistDelta> deferred;
    deferred.swap(deferred_);
    for (const PersistDelta& d : deferred) {
        persist(d);
    }
}

void QuorumDriver::trace_role() {
    const std::pair<Role, int32_t> now{replica_->role(), replica_->epoch()};
    if (traced_ == now) {
        return;
    }
    traced_ = now;
    env_.tracer.event("raft.role", {{"node", options_.self.value()},
                                    {"epoch", now.second},
                                    {"role", std::string(to_string(now.first))},
                                    {"end_offset", replica_->end_offset()},
                                    {"high_watermark", replica_->high_watermark()}});
}

void QuorumDriver::persist(const PersistDelta& delta) {
    auto crash = [this](const char* what, RaftLogError e) {
        env_.log.error("metadata log: %s failed (%s): crashing, the quorum acts on it as durable",
                       what, to_string(e));
        env_.process.crash(what);
    };
    if (delta.snapshot_installed) {
        const InstalledSnapshot& s = *delta.snapshot_installed;
        if (auto r = log_->install_snapshot(to_log_id(s.id), s.image); !r.ok()) {
            crash("snapshot install", r.error());
        }
    }
    // A log start the application's own snapshot moved was written by write_snapshot already.
    if (delta.truncate_to) {
        if (auto r = log_->truncate_to(Offset(*delta.truncate_to)); !r.ok()) {
            crash("truncation", r.error());
        }
        ASSERT(log_->end_offset() <= Offset(*delta.truncate_to), "the disk log was cut there");
    }
    if (!delta.appended.empty()) {
        ASSERT(Offset(delta.append_from) == log_->end_offset(),
               "appends continue the log on disk");
        // RaftLog appends one epoch at a time; a follower's fetch may span several.
        size_t i = 0;
        while (i < delta.appended.size()) {
            const int32_t epoch = delta.appended[i].epoch;
            std::vector<Bytes> run;
            for (; i < delta.appended.size() && delta.appended[i].epoch == epoch; ++i) {
                run.push_back(delta.appended[i].data);
            }
            if (auto r = log_->append(LeaderEpoch(epoch), run); !r.ok()) {
                crash("append", r.error());
            }
        }
        ASSERT(log_->end_offset() ==
                   Offset(delta.append_from + static_cast<int64_t>(delta.appended.size())),
               "the disk log ends where the replica's does");
    }
    if (delta.hard_state) {
        QuorumState s;
        s.cluster_id = options_.cluster_id;
        s.leader_epoch = LeaderEpoch(delta.hard_state->epoch);
        s.voted_id = delta.hard_state->voted_for;
        if (replica_->epoch() == delta.hard_state->epoch) {
            s.leader_id = replica_->leader();
        }
        s.current_voters = options_.config.voters;
        if (auto r = write_quorum_state(env_, state_dir_, s); !r.ok()) {
            if (r.error() == log::ReplaceError::sync_failed) {
                log::crash_after_failed_sync(env_, state_dir_ + "/quorum-state");
            }
            env_.log.error("cannot write %s/quorum-state: crashing, a vote must be durable",
                           state_dir_.c_str());
            env_.process.crash("quorum-state write failed");
        }
    }
}

void QuorumDriver::apply_committed() {
    CommittedEntries c = replica_->take_committed();
    if (c.entries.empty()) {
        return;
    }
    ASSERT(c.base_offset == applied_, "committed entries continue what was applied");
    ASSERT(c.base_offset + static_cast<int64_t>(c.entries.size()) <= replica_->high_watermark(),
           "only committed entries are applied");
    if (options_.observer != nullptr) {
        options_.observer->applied(*this, c.base_offset, c.entries);
    }
    app_.apply(c.base_offset, c.entries);
    applied_ = c.base_offset + static_cast<int64_t>(c.entries.size());
    // Proposals decided: committed in the epoch that proposed them, or replaced by another.
    for (auto it = proposed_.begin(); it != proposed_.end() && it->first < applied_;) {
        outcomes_[it->first] = c.entries[static_cast<size_t>(it->first - c.base_offset)].epoch ==
                               it->second;
        it = proposed_.erase(it);
    }
    applied_changed_.notify_all();
    maybe_snapshot();
}

void QuorumDriver::maybe_snapshot() {
    if (options_.snapshot_every <= 0 || applied_ - last_snapshot_end_ < options_.snapshot_every) {
        return;
    }
    persist_deferred();  // the snapshot moves the log start of the log on disk: it must be there
    const int64_t end = applied_;
    ASSERT(end - 1 >= replica_->log_start_offset());
    ASSERT(end <= replica_->end_offset());
    ASSERT(end <= replica_->high_watermark(), "a snapshot holds only committed entries");
    ASSERT(end > last_snapshot_end_, "snapshots move forward");

    const SnapshotId id{end, replica_->entry(end - 1).epoch};
    Bytes image = app_.snapshot_image();
    if (auto r = log_->write_snapshot(to_log_id(id), image); !r.ok()) {
        // Not fatal: the log keeps every entry; try again after the next batch.
        env_.log.warn("metadata snapshot at offset %lld not written: %s",
                      static_cast<long long>(end), to_string(r.error()));
        return;
    }
    snapshots_->add(id, std::move(image));
    last_snapshot_end_ = end;
    replica_->snapshot_taken(end);
    const PersistDelta moved = replica_->take_persist();
    // Only the log start moves, and write_snapshot already moved it on disk.
    ASSERT(!moved.hard_state);
    ASSERT(!moved.snapshot_installed);
    ASSERT(!moved.truncate_to);
    ASSERT(moved.appended.empty());
}

}  // namespace eddy::raft
