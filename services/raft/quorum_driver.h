// QuorumDriver: one node's replica of the controller quorum on real I/O. It binds the protocol
// core (QuorumReplica, a plain state machine) to the node's disk — the Raft log on
// `__cluster_metadata-0` (RaftLog), the `quorum-state` file beside it, the snapshots — to a
// transport that carries messages to the other nodes, to the node's clock, and to the
// application the committed entries drive (the metadata image).
//
// Every call into the replica (a message received, a timer tick, a proposal, a resign) runs under
// one fiber mutex and follows the replica's contract (quorum.h):
//   1. take the persist delta and make it durable: snapshot install, log start, truncation,
//      appends (RaftLog syncs each), then quorum-state (atomic replace, synced). Any failure to
//      persist crashes the node — the replica already acts on what it believes is durable, so
//      carrying on could grant a vote or acknowledge an entry that a crash then forgets;
//   2. only then hand the messages to the caller (the replies to the request being answered) and
//      to the transport (everything else);
//   3. apply the newly committed entries to the application, and wake proposals they complete.
//
// Start: open() reads quorum-state and the whole RaftLog (the metadata log is small: snapshots
// bound it) into the replica's DurableState, loads the latest snapshot into the application and
// applies nothing else yet: entries are applied as the replica learns they are committed (a
// restarted node learns it from the leader, or, as the only voter, at once).
//
// Snapshots: after `snapshot_every` applied entries beyond the latest snapshot, the driver asks
// the application for its image, writes it (RaftLog::write_snapshot) and tells the replica, whose
// log start then moves up. The leader serves FetchSnapshot from the latest snapshot, kept in
// memory; a follower that installs one hands it to the application.
//
// Fibers: a ticker (every tick_interval) drives the replica's timers. Everything else runs on the
// caller's fiber: the transport's receiving fibers call receive(), the controller calls propose().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/log/log_manager.h"
#include "services/raft/quorum.h"
#include "services/raft/quorum_state.h"
#include "services/raft/raft_log.h"

namespace eddy::raft {

// What the committed entries drive. Called with the driver's mutex held: must not call back into
// the driver.
class QuorumApplication {
public:
    virtual ~QuorumApplication() = default;
    // Entries committed since the last call, in offset order (the first at `base_offset`).
    // Leader-change entries (empty data) are included. Must not fail: an entry the application
    // cannot apply is a bug of the node that proposed it (it validates first). May suspend.
    virtual void apply(int64_t base_offset, const std::vector<Entry>& entries) = 0;
    // Replaces the whole state by a snapshot image (at start, or installed from the leader); the
    // next entry applied is at id.end_offset. The reason when the image does not decode (at start
    // the node refuses to start; installed from a leader, the node crashes). May suspend.
    virtual Result<void, std::string> load_snapshot(SnapshotId id, ByteSpan image) = 0;
    // The current state as a snapshot image. Does not suspend.
    virtual Bytes snapshot_image() const = 0;
};

// Carries the driver's messages to other nodes. Must not suspend: it queues. A message may be
// lost (the replica resends what matters).
class QuorumTransport {
public:
    virtual ~QuorumTransport() = default;
    virtual void send(Message m) = 0;
};

// Planted bugs of the driver itself, for the simulator's checkers; never set in production.
struct DriverKnobs {
    // Sends (and returns) each step's messages before its persist delta is durable: the delta is
    // written at the end of the next tick instead. A vote granted, or entries acknowledged by a
    // fetch, can then be forgotten by a crash after someone heard of them (Raft's "persist
    // before you speak" broken; scenarios/controller_quorum.cpp must catch it).
    bool send_before_persist = false;
};

class QuorumDriver;

// Watches a driver from outside, for the simulator's checkers (scenarios/controller_quorum.cpp);
// production sets none. Called on the driver's fibers with its mutex held: must not suspend and
// must use only the driver's const accessors.
class QuorumObserver {
public:
    virtual ~QuorumObserver() = default;
    // The driver opened its replica from disk (a start or a restart).
    virtual void opened(const QuorumDriver& driver) = 0;
    // A message from another node reached the replica (before it is handled).
    virtual void received(const QuorumDriver& driver, const Message& m) = 0;
    // A step (`ticked`: the timer step) is done: its delta is durable (unless a DriverKnobs bug
    // says otherwise) and `sent` are the messages it produced, about to leave.
    virtual void settled(const QuorumDriver& driver, bool ticked,
                         const std::vector<Message>& sent) = 0;
    // Committed entries handed to the application, the first at `base_offset`.
    virtual void applied(const QuorumDriver& driver, int64_t base_offset,
                         const std::vector<Entry>& entries) = 0;
    // A snapshot installed from the leader replaced the application's state.
    virtual void snapshot_loaded(const QuorumDriver& driver, SnapshotId id, ByteSpan image) = 0;
};

struct QuorumDriverOptions {
    NodeId self{-1};
    QuorumConfig config;
    std::string cluster_id;  // written into quorum-state
    // Take a snapshot once this many entries have been applied past the latest one (0: never).
    int64_t snapshot_every = 1024;
    Duration tick_interval = Duration::millis(10);
    RaftLogOptions log;
    QuorumKnobs knobs;  // planted bugs; never set in production
    DriverKnobs driver_knobs;
    QuorumObserver* observer = nullptr;  // the simulator's checkers; must outlive the driver
};

enum class ProposeError : uint8_t {
    not_leader,  // this node does not lead (or stopped leading before the entry committed)
    timed_out,   // not committed within the timeout (it may still commit later)
    stopped,     // the driver is stopping
};
const char* to_string(ProposeError e);

class QuorumDriver {
public:
    // Opens the Raft log through `logs` (which must be open) and the quorum-state in its
    // directory, and loads the latest snapshot into `app`. One-line error on failure (a damaged
    // log or quorum-state, a snapshot the application refuses, a quorum-state written for another
    // cluster). Suspends.
    //
    // A metadata log found damaged (RaftLogError::damaged) is set aside
    // (`__cluster_metadata-0.<n>-damaged`, kept as evidence) and an empty one takes its place,
    // which the replica fills from the leader; its quorum-state is carried over. A voter then
    // recovers (DurableState::recovering_epoch): no votes until it has caught up with a leader
    // elected without it. The same when the log opens without entries it had synced
    // (RaftLog::lost_synced_end). Only a damaged quorum-state itself still stops the node.
    static Result<std::unique_ptr<QuorumDriver>, std::string> open(Env& env, log::LogManager& logs,
                                                                  QuorumDriverOptions options,
                                                                  QuorumApplication& app);
    ~QuorumDriver();
    QuorumDriver(const QuorumDriver&) = delete;
    QuorumDriver& operator=(const QuorumDriver&) = delete;

    // Starts the ticker; messages go out through `transport`, which must outlive stop(). Does not
    // suspend.
    void start(QuorumTransport& transport);
    // Graceful stop: a leader resigns (EndQuorumEpoch goes out, so the others elect at once rather
    // than after a fetch timeout), then the ticker stops and waiting proposals fail with stopped.
    // Suspends.
    void stop();

    // A message from another node (a request or a response). Returns the messages this produced
    // for `m.from`, for a request/response transport to send back as the answer; the rest went to
    // the transport. Suspends (persists before returning).
    std::vector<Message> receive(const Message& m);

    // Leader only: appends `data` and waits until it is committed and applied; its offset.
    // Suspends.
    Result<int64_t, ProposeError> propose(Bytes data, Duration timeout);

    // Waits until the application has applied everything below `offset` (or the deadline).
    // Suspends.
    bool wait_applied(int64_t offset, Instant deadline);

    QuorumStatus describe() const;
    Role role() const { return replica_->role(); }
    bool is_leader() const { return replica_->role() == Role::leader; }
    // Recovering from a damaged log (DurableState::recovering_epoch).
    bool recovering() const { return replica_->recovering(); }
    std::optional<NodeId> leader() const { return replica_->leader(); }
    int32_t epoch() const { return replica_->epoch(); }
    int64_t high_watermark() const { return replica_->high_watermark(); }
    int64_t end_offset() const { return replica_->end_offset(); }
    // The next offset the application will be handed (everything below is applied).
    int64_t applied_offset() const { return applied_; }
    const QuorumConfig& config() const { return options_.config; }
    // See QuorumReplica::refused_responses (0 among correct replicas).
    uint64_t refused_responses() const { return replica_->refused_responses(); }
    NodeId self() const { return options_.self; }

private:
    // Sets the damaged metadata log aside for an empty one (see open); the quorum-state to carry
    // over, marked recovering for a voter. Suspends.
    static Result<QuorumState, std::string> set_aside_damaged(Env& env, log::LogManager& logs,
                                                              const RaftLogOptions& options,
                                                              bool voter);
    class Snapshots;
    QuorumDriver(Env& env, QuorumDriverOptions options, QuorumApplication& app,
                 std::unique_ptr<RaftLog> log, std::string state_dir);

    // Steps 1-3 of the file comment for the messages `out` the replica produced; returns those
    // addressed to `reply_to`. Called with mutex_ held. Suspends.
    std::vector<Message> settle(std::vector<Message> out, std::optional<NodeId> reply_to,
                                bool ticked = false);
    void persist(const PersistDelta& delta);
    // DriverKnobs::send_before_persist: writes the deltas it held back, in order.
    void persist_deferred();
    // Traces `raft.role` when the role or the epoch changed since the last step.
    void trace_role();
    void apply_committed();
    void maybe_snapshot();
    void tick_loop();

    Env& env_;
    QuorumDriverOptions options_;
    QuorumApplication& app_;
    std::unique_ptr<RaftLog> log_;
    std::string state_dir_;
    std::unique_ptr<Snapshots> snapshots_;
    std::unique_ptr<QuorumReplica> replica_;
    QuorumTransport* transport_ = nullptr;
    Mutex mutex_;
    int64_t applied_ = 0;
    int64_t last_snapshot_end_ = 0;
    // Proposals waiting for their offset to commit (offset -> the epoch that proposed it), and
    // the verdicts apply_committed reached for them (true: committed as proposed).
    std::map<int64_t, int32_t> proposed_;
    std::map<int64_t, bool> outcomes_;
    WaitQueue applied_changed_;
    std::optional<FiberRef> ticker_;
    bool stopping_ = false;
    std::vector<PersistDelta> deferred_;  // DriverKnobs::send_before_persist only
    std::optional<std::pair<Role, int32_t>> traced_;  // the role and epoch last traced
};

}  // namespace eddy::raft
