// Small builders shared by the controller tests: topic ids and broker registrations.
#pragma once

#include <optional>
#include <string>

#include "services/controller/metadata_image.h"

namespace eddy::controller::testing {

// A topic or incarnation id with every byte `b`.
inline Uuid id_of(uint8_t b) {
    Uuid u{};
    u.bytes_.fill(b);
    return u;
}

// A registration of broker `id` with one PLAINTEXT listener host<id>:9092, fenced (as the
// controller writes them).
inline protocol::records::RegisterBrokerRecord registration(
    int32_t id, int64_t epoch, std::optional<std::string> rack = std::nullopt) {
    protocol::records::RegisterBrokerRecord r;
    r.broker_id_ = id;
    r.broker_epoch_ = epoch;
    r.incarnation_id_ = id_of(static_cast<uint8_t>(100 + id));
    protocol::records::RegisterBrokerRecord::BrokerEndpoint ep;
    ep.name_ = "PLAINTEXT";
    ep.host_ = "host" + std::to_string(id);
    ep.port_ = 9092;
    r.end_points_.push_back(ep);
    r.rack_ = std::move(rack);
    return r;
}

}  // namespace eddy::controller::testing
