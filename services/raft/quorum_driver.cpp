#include "services/raft/quorum_driver.h"

#include <algorithm>
#include <charconv>
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

// The name of a directory LogManager::replace_damaged set `dir` aside as, with its number:
// `<dir>.<n>-damaged`; nullopt for any other name.
std::optional<uint64_t> set_aside_number(std::string_view name, std::string_view dir_name) {
    constexpr std::string_view suffix = "-damaged";
    if (name.size() <= dir_name.size() + 1 + suffix.size() || !name.starts_with(dir_name) ||
        name[dir_name.size()] != '.' || !name.ends_with(suffix)) {
        return std::nullopt;
    }
    const std::string_view digits =
        name.substr(dir_name.size() + 1, name.size() - dir_name.size() - 1 - suffix.size());
    uint64_t n = 0;
    if (digits.empty() || digits.size() > 18 ||
        std::from_chars(digits.data(), digits.data() + digits.size(), n).ec != std::errc() ||
        std::to_string(n) != digits) {
        return std::nullopt;
    }
    return n;
}

// A metadata log directory without a quorum-state, but with set-aside damaged copies beside it:
// a crash came between setting the damaged log aside and writing the state into the fresh one
// (open_recovering below). The newest copy's state (already marked recovering) is taken over.
// nullopt when there is nothing to take over. Suspends.
Result<std::optional<QuorumState>, std::string> set_aside_state(Env& env, const std::string& dir) {
    const size_t slash = dir.rfind('/');
    const std::string parent = slash == std::string::npos ? "." : dir.substr(0, slash);
    const std::string name = slash == std::string::npos ? dir : dir.substr(slash + 1);
    auto listed = env.disk.list(parent);
    if (!listed.ok()) {
        return fail(parent + ": cannot be listed (" + to_string(listed.error()) + ")");
    }
    std::optional<std::pair<uint64_t, std::string>> newest;
    for (const std::string& entry : *listed) {
        const auto n = set_aside_number(entry, name);
        if (n && (!newest || *n > newest->first)) {
            newest = std::pair<uint64_t, std::string>(*n, entry);
        }
    }
    if (!newest) {
        return std::optional<QuorumState>();
    }
    const std::string aside =
        slash == std::string::npos ? newest->second : log::join_path(parent, newest->second);
    auto there = env.disk.exists(log::join_path(aside, quorum_state_file));
    if (!there.ok() || !*there) {
        return std::optional<QuorumState>();
    }
    TRY_ASSIGN(QuorumState state, read_quorum_state(env, aside));
    env.log.warn("%s has no quorum-state: taking over %s's", dir.c_str(), aside.c_str());
    return std::optional<QuorumState>(std::move(state));
}

// The latest snapshot (its id and image) and the entries after it. Errors: what failed, and
// its one-line description. Suspends.
Result<void, std::pair<RaftLogError, std::string>> load_log(RaftLog& log, SnapshotId& snapshot,
                                                            std::optional<Bytes>& image,
                                                            std::vector<Entry>& entries) {
    const std::string& dir = log.partition_log().dir();
    if (const auto latest = log.latest_snapshot()) {
        snapshot = from_log_id(*latest);
        auto read = read_whole_snapshot(log, *latest);
        if (!read.ok()) {
            return fail(std::pair(read.error(), dir + "/" + latest->file_name() +
                                                    ": cannot read the snapshot: " +
                                                    to_string(read.error())));
        }
        image = std::move(*read);
    }
    // The entries after the snapshot; the log may still hold some below it (a snapshot moves the
    // log start to a segment boundary), which the replica does not need.
    Offset next(snapshot.end_offset);
    while (next < log.end_offset()) {
        auto read = log.read(next, 1 << 20);
        if (!read.ok() || read->empty()) {
            return fail(std::pair(read.ok() ? RaftLogError::damaged : read.error(),
                                  dir + ": cannot read the metadata log at offset " +
                                      std::to_string(next.value()) + ": " +
                                      (read.ok() ? "no entry" : to_string(read.error()))));
        }
        for (RaftEntry& e : *read) {
            ASSERT(e.offset == next, "RaftLog::read returns consecutive entries");
            entries.push_back(Entry{e.epoch.value(), std::move(e.data)});
            next = next + 1;
        }
    }
    return {};
}

// The recovery a voter restarts in (DurableState::recovering_epoch): the one quorum-state
// records, or a new one when the log lost entries it had synced (made durable before the loss is
// forgotten); none once the log already holds what was lost. Errors: one line. Suspends.
Result<void, std::string> restore_recovery(Env& env, RaftLog& log, const std::string& dir,
                                           const QuorumState& state, bool voter, NodeId self,
                                           DurableState& durable) {
    if (state.recovering_epoch && voter) {
        durable.recovering_epoch = state.recovering_epoch->value();
        if (state.recovering_end) {
            durable.recovering_end = state.recovering_end->value();
        }
    }
    if (log.lost_synced_end()) {
        // Entries it had synced are gone (bit rot past the recovery point, cut as a torn tail):
        // it may have acknowledged them. It recovers from its epoch now, which is at least every
        // epoch it voted or acknowledged in (quorum-state is written before a vote or an
        // acknowledgement of a new epoch's entries is sent). Durable before the loss is forgotten.
        if (voter && !durable.recovering_epoch) {
            durable.recovering_epoch = durable.epoch;
            if (*log.lost_synced_end() > log.end_offset()) {
                durable.recovering_end = log.lost_synced_end()->value();
            }  // else the synced-end file itself was damaged: what was synced is unknown
            env.log.warn("%s lost entries it had synced up to offset %lld: until it has caught "
                         "up, this voter votes only for candidates past the log it lost (epoch "
                         "%d) and never stands",
                         dir.c_str(),
                         static_cast<long long>(log.lost_synced_end()->value()), durable.epoch);
            QuorumState s = state;
            s.leader_epoch = LeaderEpoch(durable.epoch);
            s.voted_id = durable.voted_for;
            if (durable.epoch != state.leader_epoch.value()) {
                s.leader_id.reset();
            }
            s.recovering_epoch = LeaderEpoch(durable.epoch);
            if (durable.recovering_end) {
                s.recovering_end = Offset(*durable.recovering_end);
            }
            if (auto r = write_quorum_state(env, dir, s); !r.ok()) {
                return fail(dir + "/" + std::string(quorum_state_file) + ": cannot be written (" +
                            log::to_string(r.error()) + ")");
            }
        }
        if (auto r = log.forget_lost(); !r.ok()) {
            return fail(dir + ": cannot record the lost entries (" + to_string(r.error()) + ")");
        }
    }
    if (durable.recovering_epoch) {
        const int32_t last = durable.log.empty() ? durable.snapshot.epoch : durable.log.back().epoch;
        const int64_t end = durable.snapshot.end_offset + static_cast<int64_t>(durable.log.size());
        if (last > *durable.recovering_epoch ||
            (last == *durable.recovering_epoch && durable.recovering_end &&
             end >= *durable.recovering_end)) {
            // It caught up, and stopped before quorum-state said so (QuorumReplica writes the
            // cleared flag after the entries).
            durable.recovering_epoch.reset();
            durable.recovering_end.reset();
        } else {
            env.tracer.event("raft.recovering",
                             {{"node", self.value()},
                              {"epoch", *durable.recovering_epoch},
                              {"end", durable.recovering_end.value_or(-1)}});
        }
    }
    return {};
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

Result<QuorumState, std::string> QuorumDriver::set_aside_damaged(Env& env, log::LogManager& logs,
                                                                 const RaftLogOptions& options,
                                                                 bool voter) {
    const log::PartitionLog* damaged = logs.get(options.topic_partition);
    if (damaged == nullptr) {
        return fail(std::string("cannot open the metadata log: damaged"));
    }
    const std::string dir = damaged->dir();
    // The vote and the epoch survive in quorum-state, which is checked on its own: without them
    // this voter could vote twice in an epoch, so a damaged quorum-state stops it here.
    auto state = read_quorum_state(env, dir);
    if (!state.ok()) {
        return fail(dir + " is damaged, and so is its quorum-state: " + state.error());
    }
    QuorumState s = *state;
    if (voter && !s.recovering_epoch) {
        // What it lost: a log in its epoch (at least every epoch it voted or acknowledged in)
        // up to the end it had synced, if the damaged directory still says.
        auto synced = RaftLog::read_synced_end(env, dir);
        if (!synced.ok()) {
            return fail(dir + " is damaged, and its synced-end file cannot be read");
        }
        s.recovering_epoch = s.leader_epoch;
        s.recovering_end = *synced;
    }
    // Marked in the damaged directory first, so that the state taken over from it after a crash
    // (set_aside_state) says the voter is recovering.
    if (auto r = write_quorum_state(env, dir, s); !r.ok()) {
        return fail(dir + "/" + std::string(quorum_state_file) + ": cannot be written (" +
                    log::to_string(r.error()) + ")");
    }
    const std::string reason =
        damaged->offline() ? damaged->offline_reason() : "the Raft log does not recover";
    auto replaced = logs.replace_damaged(options.topic_partition, options.config, reason);
    if (!replaced.ok()) {
        return fail(dir + " is damaged and cannot be set aside: " +
                    std::string(log::to_string(replaced.error())));
    }
    if (BUGGIFY(env)) {
        // A crash before quorum-state reaches the new log: the next start takes it over from
        // the copy set aside (set_aside_state).
        env.process.crash("buggify: crashed after setting the damaged metadata log aside");
    }
    env.log.warn("%s was damaged (%s): set aside; %s", dir.c_str(), reason.c_str(),
                 voter ? "this voter copies the log from the leader, and until it has caught "
                         "up votes only for candidates past the log it lost and never stands"
                       : "this observer copies the log from the leader");
    return s;
}

Result<std::unique_ptr<QuorumDriver>, std::string> QuorumDriver::open(Env& env,
                                                                     log::LogManager& logs,
                                                                     QuorumDriverOptions options,
                                                                     QuorumApplication& app) {
    const bool voter = std::find(options.config.voters.begin(), options.config.voters.end(),
                                 options.self) != options.config.voters.end();
    // The only voter of its quorum has no other copy to recover a damaged log from: it stops,
    // as it did before recovery existed, and leaves the files as found.
    const bool lone = voter && options.config.voters.size() == 1;
    constexpr std::string_view lone_damage =
        "the metadata log is damaged and this node is the quorum's only voter: there is no other "
        "copy to recover it from (the files are left as found)";
    // Opens the log and reads what the replica restarts from; a log found damaged on the way is
    // set aside for an empty one (once), and its quorum-state carried over.
    std::unique_ptr<RaftLog> log;
    std::optional<QuorumState> carried;  // the state of a log set aside as damaged
    std::optional<Bytes> image;
    SnapshotId snapshot;
    std::vector<Entry> entries;
    for (bool retried = false;; retried = true) {
        auto opened = RaftLog::open(env, logs, options.log);
        if (!opened.ok()) {
            if (opened.error() != RaftLogError::damaged || retried) {
                return fail(std::string("cannot open the metadata log: ") +
                            to_string(opened.error()));
            }
        } else {
            log = std::move(*opened);
            auto loaded = load_log(*log, snapshot, image, entries);
            if (loaded.ok()) {
                break;
            }
            if (loaded.error().first != RaftLogError::damaged || retried) {
                return fail(loaded.error().second);
            }
            env.log.error("%s", loaded.error().second.c_str());
            log.reset();
            image.reset();
            entries.clear();
            snapshot = {};
        }
        if (lone) {
            return fail("cannot open the metadata log: " + std::string(lone_damage));
        }
        auto recovered = set_aside_damaged(env, logs, options.log, voter);
        if (!recovered.ok()) {
            return fail(recovered.error());
        }
        carried = std::move(*recovered);
    }
    std::string dir = log->partition_log().dir();
    auto state = read_quorum_state(env, dir);
    if (!state.ok()) {
        return fail(state.error());
    }
    if (!carried && *state == QuorumState{} && log->end_offset() == Offset(0)) {
        auto taken = set_aside_state(env, dir);
        if (!taken.ok()) {
            return fail(taken.error());
        }
        carried = std::move(*taken);
    }
    if (carried) {
        if (!voter) {
            carried->recovering_epoch.reset();  // an observer has no vote to protect
            carried->recovering_end.reset();
        }
        if (auto r = write_quorum_state(env, dir, *carried); !r.ok()) {
            return fail(dir + "/" + std::string(quorum_state_file) + ": cannot be written (" +
                        log::to_string(r.error()) + ")");
        }
        *state = *carried;
    }
    if (!state->cluster_id.empty() && !options.cluster_id.empty() &&
        state->cluster_id != options.cluster_id) {
        return fail(dir + "/" + std::string(quorum_state_file) + " belongs to cluster " +
                    state->cluster_id + ", this node is in cluster " + options.cluster_id);
    }

    DurableState durable;
    durable.epoch = state->leader_epoch.value();
    durable.voted_for = state->voted_id;
    if (!voter && durable.voted_for) {
        // Written while this node was a voter (controller.quorum.voters changed since), or by
        // hand: an observer casts no vote, so it keeps none.
        env.log.warn("%s/%s names a vote, but this node is not a voter: ignored", dir.c_str(),
                     std::string(quorum_state_file).c_str());
        durable.voted_for.reset();
    }
    durable.snapshot = snapshot;
    durable.log = std::move(entries);
    if (durable.log.empty() ? durable.snapshot.epoch > durable.epoch
                            : durable.log.back().epoch > durable.epoch) {
        // quorum-state is written after the log, so a crash in between leaves it behind the log:
        // the log's own epoch is then the one this replica reached.
        durable.epoch = durable.log.empty() ? durable.snapshot.epoch : durable.log.back().epoch;
        durable.voted_for = std::nullopt;
    }
    if (log->lost_synced_end() && lone) {
        return fail(dir + ": " + std::string(lone_damage));
    }
    TRY_VOID(restore_recovery(env, *log, dir, *state, voter, options.self, durable));

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
        if (delta.hard_state->recovering_epoch) {
            s.recovering_epoch = LeaderEpoch(*delta.hard_state->recovering_epoch);
        }
        if (delta.hard_state->recovering_end) {
            s.recovering_end = Offset(*delta.hard_state->recovering_end);
        }
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
