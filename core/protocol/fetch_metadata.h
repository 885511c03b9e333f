// A Fetch request's session fields (KIP-227 incremental fetch sessions): what the pair
// (session_id, session_epoch) asks for, and how a session's epoch advances. Shared by the broker's
// session cache (services/kafka/fetch_sessions.h) and the follower's session
// (services/replica/fetch_session_client.h) so both sides count epochs the same way.
//
//   session_id  epoch   meaning
//   0           -1      sessionless full fetch (every Fetch before v7 reads as this)
//   0            0      full fetch that asks for a new session
//   N           -1      close session N, then a sessionless full fetch
//   N            0      close session N, then a full fetch that asks for a new session
//   N           k > 0   incremental fetch in session N, whose next epoch must be k
//   anything else       an incremental fetch that names no session the broker can have
#pragma once

#include <cstdint>
#include <limits>

namespace eddy::protocol::fetch_session {

// A session id the broker never hands out: "no session".
inline constexpr int32_t invalid_session_id = 0;
// The epoch of a full fetch that asks for a session, and of none.
inline constexpr int32_t initial_epoch = 0;
inline constexpr int32_t final_epoch = -1;

// Both full kinds: the request names every partition it wants.
constexpr bool is_full(int32_t epoch) { return epoch == initial_epoch || epoch == final_epoch; }

// The epoch after `epoch` in a session: 1 after the initial epoch, and 1 again after INT32_MAX
// (Kafka's FetchMetadata.nextEpoch), so a long session never runs into the special values.
constexpr int32_t next_epoch(int32_t epoch) {
    if (epoch < 0) {
        return final_epoch;  // a closed session stays closed
    }
    if (epoch == std::numeric_limits<int32_t>::max()) {
        return 1;
    }
    return epoch + 1;
}
static_assert(next_epoch(initial_epoch) == 1);
static_assert(next_epoch(std::numeric_limits<int32_t>::max()) == 1);

}  // namespace eddy::protocol::fetch_session
