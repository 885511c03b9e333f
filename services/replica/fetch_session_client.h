// FetchSessionClient: the fetcher's side of one KIP-227 fetch session with one broker (Kafka's
// FetchSessionHandler). Each round the fetcher says which partitions it wants, with their fetch
// positions; the first request names them all and asks for a session (epoch 0), and each later
// one, in the session the broker opened, names only the partitions added or whose position
// changed, and forgets those no longer wanted. A partition missing from an incremental answer has
// nothing new.
//
// The session starts over with a full request when the broker answers FETCH_SESSION_ID_NOT_FOUND
// (the broker lost it: restart, eviction), INVALID_FETCH_SESSION_EPOCH or any other top-level
// error, when the connection is lost (reset()), and while the broker has no room for a session
// (an answer with session id 0: every request is then a full one asking again). A full request
// that still names an old session closes it at the broker.
//
// Plain state: nothing here suspends or does I/O. The broker's answers are untrusted: an answer
// that does not fit the request (a session id it did not give) never reaches an assertion; the
// session just starts over.
#pragma once

#include <cstdint>
#include <map>

#include "core/protocol/generated/fetch.h"
#include "services/log/file_names.h"

namespace eddy::replica {

class FetchSessionClient {
public:
    using Wanted = std::map<log::TopicPartition, protocol::FetchRequest::FetchPartition>;

    // Fills `req`'s session id and epoch, topics and forgotten_topics_data for a round that wants
    // exactly `wanted`. The next answer goes to handle_response().
    void build(const Wanted& wanted, protocol::FetchRequest& req);
    // The answer to the request built last. True when its partitions can be used (they answer
    // the request, or the session's partitions for an incremental request); false after a
    // top-level error or an answer that does not fit, after which the next request is full.
    bool handle_response(const protocol::FetchResponse& resp);
    // The request built last got no answer (the connection was lost): the next request is a
    // full one, closing the session at the broker and asking for a new one.
    void reset();

    int32_t session_id() const { return session_id_; }
    // The epoch the next request carries (0: a full request).
    int32_t epoch() const { return epoch_; }
    // The partitions (with the positions) the broker's session holds, as far as this side knows.
    const Wanted& session() const { return session_; }

private:
    void start_over(bool close_existing);

    int32_t session_id_ = 0;
    int32_t epoch_ = 0;
    Wanted session_;
    // What the session holds once the request built last is answered.
    Wanted pending_;
    bool pending_full_ = true;
};

}  // namespace eddy::replica
