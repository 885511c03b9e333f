// Codec round trips for every generated message and record, in every version: for random
// messages (randomize() driven by RapidCheck seeds), decode(encode(m)) == m, the decoder consumes
// exactly the encoded bytes, and every strict prefix of the encoding is rejected with an error.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/protocol/generated/all_messages.h"
#include "core/protocol/generated/records/all_records.h"
#include "core/protocol/random_fill.h"

using namespace eddy;
using namespace eddy::protocol;

namespace {

// Each message type's operations behind plain function pointers: the per-type template code is
// only encode, decode, randomize and ==, and RapidCheck and doctest are instantiated once for
// all of them (one rc::check lambda per type made this file take minutes to compile).
struct Codec {
    std::string name;
    int min_version = 0;
    int max_version = 0;
    // A random message of `version` from `seed` round-trips: "" if so, else what went wrong.
    std::string (*round_trip)(uint64_t seed, int16_t version) = nullptr;
    // The length of a strict prefix of a random message's encoding that decodes, if any.
    std::optional<size_t> (*decodable_prefix)(uint64_t seed, int16_t version) = nullptr;
    // The default-constructed message round-trips: "" if so, else what went wrong.
    std::string (*defaults)(int16_t version) = nullptr;
    // Decoding at `version` fails with unsupported_version.
    bool (*refuses)(int16_t version) = nullptr;
};

template <typename T>
Bytes encode(const T& m, int16_t version) {
    Bytes b;
    Writer w(b);
    m.encode(w, version);
    return b;
}

template <typename T>
std::string round_trip_one(const T& m, int16_t version) {
    const Bytes bytes = encode(m, version);
    Reader r(bytes);
    auto decoded = T::decode(r, version);
    if (!decoded.ok()) {
        return "does not decode";
    }
    if (r.consumed() != bytes.size()) {
        return "decode consumed " + std::to_string(r.consumed()) + " of " +
               std::to_string(bytes.size()) + " bytes";
    }
    if (!(*decoded == m)) {
        return "decodes to a different message";
    }
    if (encode(*decoded, version) != bytes) {
        return "re-encodes differently";
    }
    return "";
}

template <typename T>
Codec codec_of(const char* name) {
    Codec c;
    c.name = name;
    c.min_version = T::min_version;
    c.max_version = T::max_version;
    c.round_trip = [](uint64_t seed, int16_t version) {
        SplitMix64 rng(seed ^ static_cast<uint64_t>(version));
        T m;
        randomize(m, rng, version);
        return round_trip_one(m, version);
    };
    c.decodable_prefix = [](uint64_t seed, int16_t version) -> std::optional<size_t> {
        SplitMix64 rng(seed * 7919 + static_cast<uint64_t>(version));
        T m;
        randomize(m, rng, version);
        const Bytes bytes = encode(m, version);
        for (size_t n = 0; n < bytes.size(); ++n) {
            Reader r(ByteSpan(bytes).first(n));
            if (T::decode(r, version).ok()) {
                return n;
            }
        }
        return std::nullopt;
    };
    c.defaults = [](int16_t version) { return round_trip_one(T{}, version); };
    c.refuses = [](int16_t version) {
        Bytes nothing;
        Reader r(nothing);
        auto decoded = T::decode(r, version);
        return !decoded.ok() && decoded.error() == DecodeError::unsupported_version;
    };
    return c;
}

std::vector<Codec> api_codecs() {
    std::vector<Codec> out;
#define EDDY_CODEC(key, Req, Resp)          \
    out.push_back(codec_of<Req>(#Req)); \
    out.push_back(codec_of<Resp>(#Resp));
    EDDY_PROTOCOL_FOR_EACH_API(EDDY_CODEC)
#undef EDDY_CODEC
    out.push_back(codec_of<RequestHeader>("RequestHeader"));
    out.push_back(codec_of<ResponseHeader>("ResponseHeader"));
    return out;
}

std::vector<Codec> record_codecs() {
    std::vector<Codec> out;
#define EDDY_CODEC(T) out.push_back(codec_of<T>(#T));
    EDDY_PROTOCOL_FOR_EACH_RECORD(EDDY_CODEC)
#undef EDDY_CODEC
    return out;
}

// RapidCheck property over seeds: every version of the type round-trips. Returns the number of
// versions checked.
int check_round_trip(const Codec& c) {
    const bool ok = rc::check(c.name + " round trip, all versions", [&c](uint64_t seed) {
        for (int v = c.min_version; v <= c.max_version; ++v) {
            const std::string failure = c.round_trip(seed, static_cast<int16_t>(v));
            if (!failure.empty()) {
                RC_FAIL(c.name + " v" + std::to_string(v) + ": " + failure);
            }
        }
    });
    CHECK_MESSAGE(ok, c.name);
    return c.max_version - c.min_version + 1;
}

// Truncation: every strict prefix of a valid encoding fails to decode (and never crashes).
void check_truncation(const Codec& c) {
    for (int v = c.min_version; v <= c.max_version; ++v) {
        for (uint64_t seed = 1; seed <= 3; ++seed) {
            const auto n = c.decodable_prefix(seed, static_cast<int16_t>(v));
            if (n) {
                FAIL_CHECK(c.name << " v" << v << " decoded a " << *n << "-byte prefix");
                return;
            }
        }
    }
}

// The default-constructed message round-trips too (defaults must survive decode), and versions
// outside validVersions are refused.
void check_defaults(const Codec& c) {
    for (int v = c.min_version; v <= c.max_version; ++v) {
        const std::string failure = c.defaults(static_cast<int16_t>(v));
        CHECK_MESSAGE(failure.empty(), c.name << " v" << v << ": " << failure);
    }
    for (int v : {c.min_version - 1, c.max_version + 1}) {
        CHECK_MESSAGE(c.refuses(static_cast<int16_t>(v)), c.name << " v" << v);
    }
}

}  // namespace

TEST_CASE("protocol: every API request and response round-trips in every version") {
    const auto codecs = api_codecs();
    int versions = 0;
    for (const Codec& c : codecs) {
        versions += check_round_trip(c);
    }
    CHECK(codecs.size() == 2 * all_apis().size() + 2);
    MESSAGE("round-tripped " << codecs.size() << " message types, " << versions
                             << " (type, version) pairs");
}

TEST_CASE("protocol: every record schema round-trips in every version") {
    const auto codecs = record_codecs();
    int versions = 0;
    for (const Codec& c : codecs) {
        versions += check_round_trip(c);
    }
    MESSAGE("round-tripped " << codecs.size() << " record types, " << versions
                             << " (type, version) pairs");
}

TEST_CASE("protocol: truncated input is an error for every message, version and prefix") {
    for (const Codec& c : api_codecs()) {
        check_truncation(c);
    }
    for (const Codec& c : record_codecs()) {
        check_truncation(c);
    }
}

TEST_CASE("protocol: default messages round-trip; versions outside validVersions are refused") {
    for (const Codec& c : api_codecs()) {
        check_defaults(c);
    }
    for (const Codec& c : record_codecs()) {
        check_defaults(c);
    }
}
