// Codec round trips for every generated message and record, in every version: for random
// messages (randomize() driven by RapidCheck seeds), decode(encode(m)) == m, the decoder consumes
// exactly the encoded bytes, and every strict prefix of the encoding is rejected with an error.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <string>

#include "core/protocol/generated/all_messages.h"
#include "core/protocol/generated/records/all_records.h"
#include "core/protocol/random_fill.h"

using namespace eddy;
using namespace eddy::protocol;

namespace {

int type_count = 0;
int version_count = 0;

template <typename T>
Bytes encode(const T& m, int16_t version) {
    Bytes b;
    Writer w(b);
    m.encode(w, version);
    return b;
}

// RapidCheck property over seeds: every version of T round-trips.
template <typename T>
void check_round_trip(const char* name) {
    ++type_count;
    version_count += T::max_version - T::min_version + 1;
    const bool ok = rc::check(std::string(name) + " round trip, all versions", [](uint64_t seed) {
        for (int v = T::min_version; v <= T::max_version; ++v) {
            const auto version = static_cast<int16_t>(v);
            SplitMix64 rng(seed ^ static_cast<uint64_t>(v));
            T m;
            randomize(m, rng, version);
            const Bytes bytes = encode(m, version);
            Reader r(bytes);
            auto decoded = T::decode(r, version);
            RC_ASSERT(decoded.ok());
            RC_ASSERT(r.consumed() == bytes.size());
            RC_ASSERT(*decoded == m);
            RC_ASSERT(encode(*decoded, version) == bytes);
        }
    });
    CHECK_MESSAGE(ok, name);
}

// Truncation: every strict prefix of a valid encoding fails to decode (and never crashes).
template <typename T>
void check_truncation(const char* name) {
    for (int v = T::min_version; v <= T::max_version; ++v) {
        const auto version = static_cast<int16_t>(v);
        for (uint64_t seed = 1; seed <= 3; ++seed) {
            SplitMix64 rng(seed * 7919 + static_cast<uint64_t>(v));
            T m;
            randomize(m, rng, version);
            const Bytes bytes = encode(m, version);
            for (size_t n = 0; n < bytes.size(); ++n) {
                Reader r(ByteSpan(bytes).first(n));
                auto decoded = T::decode(r, version);
                if (decoded.ok()) {
                    FAIL_CHECK(name << " v" << v << " decoded a " << n << "-byte prefix of "
                                    << bytes.size() << " bytes");
                    return;
                }
            }
        }
    }
}

// The default-constructed message round-trips too (defaults must survive decode).
template <typename T>
void check_defaults(const char* name) {
    for (int v = T::min_version; v <= T::max_version; ++v) {
        const auto version = static_cast<int16_t>(v);
        const T m{};
        const Bytes bytes = encode(m, version);
        Reader r(bytes);
        auto decoded = T::decode(r, version);
        CHECK_MESSAGE(decoded.ok(), name << " v" << v);
        if (decoded.ok()) {
            CHECK_MESSAGE(*decoded == m, name << " v" << v);
        }
    }
}

template <typename T>
void check_unsupported_versions(const char* name) {
    Bytes nothing;
    for (int v : {T::min_version - 1, T::max_version + 1}) {
        Reader r(nothing);
        auto decoded = T::decode(r, static_cast<int16_t>(v));
        CHECK_MESSAGE(!decoded.ok(), name << " v" << v);
        if (!decoded.ok()) {
            CHECK(decoded.error() == DecodeError::unsupported_version);
        }
    }
}

}  // namespace

TEST_CASE("protocol: every API request and response round-trips in every version") {
    type_count = 0;
    version_count = 0;
#define EDDY_ROUND_TRIP(key, Req, Resp) \
    check_round_trip<Req>(#Req);        \
    check_round_trip<Resp>(#Resp);
    EDDY_PROTOCOL_FOR_EACH_API(EDDY_ROUND_TRIP)
#undef EDDY_ROUND_TRIP
    check_round_trip<RequestHeader>("RequestHeader");
    check_round_trip<ResponseHeader>("ResponseHeader");
    CHECK(type_count == 2 * static_cast<int>(all_apis().size()) + 2);
    MESSAGE("round-tripped " << type_count << " message types, " << version_count
                             << " (type, version) pairs");
}

TEST_CASE("protocol: every record schema round-trips in every version") {
    type_count = 0;
    version_count = 0;
#define EDDY_ROUND_TRIP(T) check_round_trip<T>(#T);
    EDDY_PROTOCOL_FOR_EACH_RECORD(EDDY_ROUND_TRIP)
#undef EDDY_ROUND_TRIP
    MESSAGE("round-tripped " << type_count << " record types, " << version_count
                             << " (type, version) pairs");
}

TEST_CASE("protocol: truncated input is an error for every message, version and prefix") {
#define EDDY_TRUNCATION(key, Req, Resp) \
    check_truncation<Req>(#Req);        \
    check_truncation<Resp>(#Resp);
    EDDY_PROTOCOL_FOR_EACH_API(EDDY_TRUNCATION)
#undef EDDY_TRUNCATION
#define EDDY_TRUNCATION(T) check_truncation<T>(#T);
    EDDY_PROTOCOL_FOR_EACH_RECORD(EDDY_TRUNCATION)
#undef EDDY_TRUNCATION
}

TEST_CASE("protocol: default messages round-trip; versions outside validVersions are refused") {
#define EDDY_DEFAULTS(key, Req, Resp)      \
    check_defaults<Req>(#Req);             \
    check_defaults<Resp>(#Resp);           \
    check_unsupported_versions<Req>(#Req); \
    check_unsupported_versions<Resp>(#Resp);
    EDDY_PROTOCOL_FOR_EACH_API(EDDY_DEFAULTS)
#undef EDDY_DEFAULTS
#define EDDY_DEFAULTS(T)   \
    check_defaults<T>(#T); \
    check_unsupported_versions<T>(#T);
    EDDY_PROTOCOL_FOR_EACH_RECORD(EDDY_DEFAULTS)
#undef EDDY_DEFAULTS
}
