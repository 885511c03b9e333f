// ApiVersions negotiation (KIP-35, KIP-511): the version ranges this client implements per API,
// and the pick of the highest version both sides speak. Pure: no I/O, unit-tested.
//
// The client's ranges are deliberately narrower than the codecs': the lower bound is where record
// batch v2 (Produce 3, Fetch 4) or a field the client relies on appears; the upper bound stops
// where a version would change what the client must send (Fetch 13+ names topics by id only).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/protocol/generated/api_keys.h"

namespace eddy::client {

struct VersionRange {
    int16_t min = 0;
    int16_t max = 0;
};

// The APIs the client uses, with the versions it can speak. nullopt for an API it never sends.
std::optional<VersionRange> client_versions(protocol::ApiKey key);

// What the broker advertised (ApiVersionsResponse.api_keys), by API key.
using BrokerVersions = std::map<int16_t, VersionRange>;

// The versions to use with one broker: for each API the client speaks, the highest version in both
// ranges. An API missing here is one the two sides share no version of.
class VersionTable {
public:
    VersionTable() = default;
    static VersionTable negotiate(const BrokerVersions& broker);

    // The negotiated version, or nullopt if there is none.
    std::optional<int16_t> version(protocol::ApiKey key) const;
    void set(protocol::ApiKey key, int16_t v) { versions_[static_cast<int16_t>(key)] = v; }

private:
    std::map<int16_t, int16_t> versions_;
};

}  // namespace eddy::client
