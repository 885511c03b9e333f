// BrokerHeartbeats: the active controller's view of broker liveness, as KRaft's
// BrokerHeartbeatManager and ClusterControlManager: BrokerRegistration and BrokerHeartbeat
// requests in, a response plus the metadata records to commit out. A plain state machine — no
// I/O, no clock: the caller passes `now` and commits the records, and the response is to be sent
// once they are committed (its fields describe the state those records produce).
//
// Lifecycle of a broker: it registers (a RegisterBrokerRecord, fenced, whose offset is its broker
// epoch); its heartbeats unfence it once it has replayed the metadata log past its registration
// and is close to the committed end; heartbeats asking for controlled shutdown move its
// leadership and ISR membership away and tell it to shut down once it leads nothing; a broker
// silent for longer than the session timeout is fenced and taken out of every ISR (expire()).
//
// Session state (the last contact per broker) lives only here, in memory: a controller that has
// just become active gives every registered broker a full session (start_sessions, as Kafka
// touches every broker on activation: no fencing storm after a failover, and no other
// incarnation can take a live broker's id in the meantime), and a broker it learns of later a
// full session from the first expire() that sees it. Deterministic: std::map, time passed in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/ids.h"
#include "core/base/time.h"
#include "services/controller/api_error.h"
#include "services/controller/metadata_image.h"

namespace eddy::controller {

struct BrokerHeartbeatOptions {
    // broker.session.timeout.ms (Kafka's default 9 s).
    Duration session_timeout = Duration::millis(9000);
    // A broker is caught up when its metadata offset is at most this many records behind the
    // committed end of the metadata log (and past its own registration).
    int64_t metadata_lag_max = 100;
};

// A BrokerRegistrationRequest's contents that the controller uses.
struct BrokerRegistration {
    int32_t broker_id = -1;
    Uuid incarnation_id;
    std::vector<BrokerEndpoint> listeners;
    std::optional<std::string> rack;
};

struct RegistrationOutcome {
    ApiError error;
    int64_t broker_epoch = -1;
    // The RegisterBrokerRecord, then the changes that take the previous incarnation out of ISRs
    // and leadership (a restarted broker must catch up before it leads again).
    std::vector<MetadataRecord> records;
};

// A BrokerHeartbeatRequest's contents.
struct BrokerHeartbeat {
    int32_t broker_id = -1;
    int64_t broker_epoch = -1;
    Offset current_metadata_offset{-1};
    bool want_fence = false;
    bool want_shutdown = false;
};

struct HeartbeatOutcome {
    int16_t error = kafka_error::none;
    bool is_caught_up = false;
    bool is_fenced = true;
    bool should_shut_down = false;
    std::vector<MetadataRecord> records;
};

class BrokerHeartbeats {
public:
    explicit BrokerHeartbeats(BrokerHeartbeatOptions options) : options_(options) {}

    // The controller has just become active: every broker registered in `image` has a session
    // from `now`. Call once, before anything else.
    void start_sessions(const MetadataImage& image, Instant now);

    // Forgets the broker's session (its process is known to be gone).
    void end_session(int32_t broker) { last_contact_.erase(broker); }

    // A registration: refused with DUPLICATE_BROKER_REGISTRATION while another incarnation of
    // the id has a live session; otherwise the broker epoch (record_offset, the offset the
    // RegisterBrokerRecord will have, raised past the previous epoch if the log says otherwise)
    // and the records. Starts the broker's session.
    RegistrationOutcome register_broker(const BrokerRegistration& request,
                                        const MetadataImage& image, int64_t record_offset,
                                        Instant now);

    // A heartbeat: BROKER_ID_NOT_REGISTERED for an unknown id, STALE_BROKER_EPOCH for another
    // registration's epoch; otherwise renews the session and answers (see the file comment).
    HeartbeatOutcome heartbeat(const BrokerHeartbeat& request, const MetadataImage& image,
                               Instant now, Offset committed_offset);

    // Fences every unfenced broker whose session has expired, taking it out of ISRs and electing
    // new leaders; the records are consistent applied in order. Forgets unregistered brokers.
    std::vector<MetadataRecord> expire(const MetadataImage& image, Instant now);

    std::optional<Instant> last_contact(int32_t broker) const;

private:
    bool session_live(int32_t broker, Instant now) const;

    BrokerHeartbeatOptions options_;
    std::map<int32_t, Instant> last_contact_;
};

}  // namespace eddy::controller
