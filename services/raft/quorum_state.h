// The `quorum-state` file of a controller: the Raft state that must survive a crash besides the
// log — the epoch, the vote cast in it, and the leader known in it. KRaft keeps it as JSON in the
// metadata log's partition directory (`<log dir>/__cluster_metadata-0/quorum-state`); Eddy
// writes the same shape (version 0):
//
//   {"clusterId":"","leaderId":-1,"leaderEpoch":0,"votedId":-1,"appliedOffset":0,
//    "currentVoters":[{"voterId":1}],"data_version":0}
//
// (one line; -1 means "none"). Eddy adds two keys Kafka does not write:
// - "recoveringEpoch":E and "recoveringEnd":N (-1: unknown), only while the voter is recovering
//   from damage to its metadata log (it lost entries it may have acknowledged; quorum.h,
//   DurableState::recovering_epoch);
// - "crc32c":N, last: the CRC-32C of the text with this key removed (`...,"crc32c":N}` becomes
//   `...}`), so a flipped bit at rest (a digit of the epoch or the vote turned into another digit
//   still parses) is found rather than believed. A file without it (written by an earlier Eddy,
//   or by hand) is read as before.
// Reading is strict: exactly these keys, each once, in any order, JSON whitespace between tokens;
// integers without fraction or exponent; strings without escapes (the only string is a base64url
// cluster id). Anything else is a damaged file.
//
// Durability: write() replaces the file atomically (temp file, sync, rename, directory sync). A
// crash at any point leaves the previous state or the new one, never a mix; once write() returns
// ok the new state survives any crash. A failed sync is returned (sync_failed), never swallowed:
// the caller must crash the node (log::crash_after_failed_sync) and must not send anything that
// depends on the state (a vote), as Raft requires the vote to be durable before it is granted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/result.h"
#include "core/env/env.h"
#include "services/log/checkpoint.h"

namespace eddy::raft {

namespace limits {
// A quorum-state file is a few hundred bytes; anything larger is not one of ours.
inline constexpr uint64_t quorum_state_bytes_max = 64 * 1024;
// Voters listed in one file (a quorum is 3 or 5 in practice).
inline constexpr size_t quorum_voters_max = 1024;
}  // namespace limits

inline constexpr std::string_view quorum_state_file = "quorum-state";

struct QuorumState {
    std::string cluster_id;              // "" when not recorded (Kafka writes "")
    std::optional<NodeId> leader_id;     // the leader known in leader_epoch
    LeaderEpoch leader_epoch{0};         // the current epoch (Raft term)
    std::optional<NodeId> voted_id;      // the vote cast in leader_epoch
    Offset applied_offset{0};            // kept for the format; Kafka writes 0
    std::vector<NodeId> current_voters;  // in the order written
    std::optional<LeaderEpoch> recovering_epoch;  // Eddy's: see the file comment
    std::optional<Offset> recovering_end;         // only with recovering_epoch
    bool operator==(const QuorumState&) const = default;
};

// One line of JSON (no trailing newline), the shape above, "crc32c" last. Precondition
// (ASSERTed): the cluster id needs no escaping, ids >= 0, epochs >= 0, at most
// limits::quorum_voters_max voters.
std::string encode_quorum_state(const QuorumState& state);
// The strict parse described above (a "crc32c" that does not match is damage); the one-line
// reason otherwise. Does not suspend.
Result<QuorumState, std::string> decode_quorum_state(std::string_view text);

// Reads `<dir>/quorum-state`. A missing file is a fresh state (epoch 0, no vote, no leader).
// Errors are one line naming the file: unreadable (the disk failed twice in a row), too large,
// or damaged (the reason). Suspends.
Result<QuorumState, std::string> read_quorum_state(Env& env, std::string_view dir);

// Replaces `<dir>/quorum-state` with `state`, durably (see the file comment). Errors: io_error,
// no_space (nothing changed: the old state stands), sync_failed (crash the node). Suspends.
Result<void, log::ReplaceError> write_quorum_state(Env& env, std::string_view dir,
                                                   const QuorumState& state);

}  // namespace eddy::raft
