// Hostile-client sessions (issue #9, point 3): a broker in a SimWorld, served through its real
// FrameServer over the simulated network, receives requests built to hurt it, and must answer
// each or close its connection, and keep serving ordinary clients afterwards.
//
// The requests come from one generator for every API: the generated randomize() functions driven
// by an ExtremeRng (core/protocol/random_fill.h): strings empty, at the 32767-byte limit or
// repeating real names, arrays empty or thousands long with repeated elements, integers at their
// edges, records that are garbage, within a budget of encoded bytes per request. A HostileCase
// picks the API and version and how the header lies about them (Mismatch).
//
// One session: start the broker, create topic "t" (2 partitions) and produce into it, then for
// each frame: send it on a fresh connection, wait (simulated time) for the answer or the close;
// an answer must carry the request's correlation id and decode as the response to what the
// header claims; then an ordinary Metadata request on another fresh connection must be answered.
// At the end a produce and fetch round trip on a new topic must work and the broker must stop
// cleanly. A broker crash (an ASSERT reached by client input) aborts the process: that is the
// finding, and what the libFuzzer target tests/fuzz/hostile_client.cpp hunts for.
//
// The same for the controller listener (ListenerKind::controller, port 9093): the cases are drawn
// from its API table (the quorum's Raft APIs, broker registration and heartbeats, producer id
// blocks, forwarded admin requests), and after each such frame the quorum must still be led by
// the node (DescribeQuorum on the controller listener names node 1 within a few simulated
// seconds: a forged higher epoch may depose it, after which it elects itself again) besides the
// client listener's Metadata check.
//
// Used by tests/unit/kafka/hostile_client_test.cpp (fixed seeds, the four named examples), the
// fuzz target, and tools: the frame writer (tests/fuzz/hostile/write_frames.cpp) for the
// integration test against a real `eddy broker`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/protocol/generated/api_keys.h"
#include "core/protocol/random_fill.h"
#include "services/kafka/api_table.h"

namespace eddy::hostile {

// How the request header relates to the body.
enum class Mismatch : uint8_t {
    none,                 // header and body agree
    body_version,         // the body is encoded in another supported version than the header says
    unsupported_version,  // the header claims a version the broker does not serve
    header_format,        // header v1 where v2 belongs, or the other way round
};

struct HostileCase {
    kafka::ListenerKind listener = kafka::ListenerKind::client;  // whose API table, which port
    protocol::ApiKey key = protocol::ApiKey::api_versions;
    int16_t version = 0;  // the version the body is encoded in (a supported one)
    Mismatch mismatch = Mismatch::none;
    size_t budget_bytes = 4096;  // about the largest the body gets
};

// One request frame (without its size prefix) and what the header claims.
struct HostileFrame {
    kafka::ListenerKind listener = kafka::ListenerKind::client;  // where it is sent
    Bytes body;
    protocol::ApiKey key = protocol::ApiKey::api_versions;
    int16_t header_version = 0;  // the API version the header claims
    int32_t correlation_id = 0;
    // The broker must answer it (not close, not stay silent): for the named examples.
    bool must_answer = false;
    // Further checks of the answer (the response frame body): "" if it is right, else what is not.
    std::function<std::string(ByteSpan)> verify;
    // When set, the body is made just before sending, knowing the session's cluster id (a
    // request an attacker builds after asking DescribeCluster); `body` is then unused.
    std::function<Bytes(const std::string& cluster_id)> make_body;
    std::string label;
};

// The names an extreme request draws from besides random text: the session's topic, the internal
// topics, a group.
std::vector<std::string> hostile_names();

// Builds the request of `c`: every field of the body and the header's client id and tagged fields
// from an ExtremeRng over `bits`.
HostileFrame build_hostile_frame(const HostileCase& c, protocol::Rng& bits, int32_t correlation_id);

// A case drawn from `bits`: an API `listener` serves, one of its versions, a mismatch a quarter
// of the time, a budget of 1 KiB, 64 KiB or 1 MiB.
HostileCase random_case(protocol::Rng& bits,
                        kafka::ListenerKind listener = kafka::ListenerKind::client);

// Every (API, version) `listener` serves with its header in agreement, then every API once with
// each kind of mismatch; budgets drawn from `bits`.
std::vector<HostileCase> all_cases(protocol::Rng& bits,
                                   kafka::ListenerKind listener = kafka::ListenerKind::client);

// Frames to send, made one at a time (a frame can be megabytes): `next(i)` gives frame i, or
// nullopt after the last.
using FrameSource = std::function<std::optional<HostileFrame>(size_t index)>;

struct SessionReport {
    size_t answered = 0;  // a well-formed response came back
    size_t closed = 0;    // the broker closed the connection
    size_t silent = 0;    // neither within the wait (a long poll, acks=0, a join that waits)
    std::vector<std::string> silent_labels;
    // What went wrong, one line each ("<label>: <what>"); empty when the broker held up.
    std::vector<std::string> failures;
    std::string summary() const;
};

// Runs one session in a SimWorld with `world_seed` (see the file comment). Returns when the
// broker has stopped.
SessionReport run_session(uint64_t world_seed, const FrameSource& frames);

// Forged quorum requests against a three-voter cluster: nodes n1-n3 (node ids 1-3, each a broker
// and a controller) and an outsider on the network, which (1) sends every voter a Vote and a
// BeginQuorumEpoch from non-voter 7 with a higher epoch, then (2) a BeginQuorumEpoch that names
// another voter as the leader of the current epoch + 1,000,000. The controller listener has no
// authentication, and Raft believes its voters: (1) must change nothing, (2) deposes the leader
// and moves the quorum to the forged epoch, after which it must elect a leader again and serve
// clients (a CreateTopics through every node's client listener). What the outsider saw:
struct QuorumView {
    int32_t leader = -1;
    int32_t epoch = -1;
};
struct QuorumAttackReport {
    QuorumView before;
    QuorumView after_outsider;  // after (1)
    int32_t forged_epoch = -1;
    QuorumView after_forgery;           // the leader the three agree on after (2)
    std::vector<std::string> failures;  // a node not answering or not recovering, a bad answer
};
QuorumAttackReport run_quorum_attack(uint64_t world_seed);

// Whether `body` (a response frame without its size prefix) is the response to a request of
// (key, version): header with `correlation_id`, then a body that decodes completely. ApiVersions
// requests of a version `listener` does not serve are answered in v0.
bool is_response_to(protocol::ApiKey key, int16_t version, int32_t correlation_id, ByteSpan body,
                    std::string* why, kafka::ListenerKind listener = kafka::ListenerKind::client);

// The four examples of issue #9 as frames (must be answered).
std::vector<HostileFrame> named_examples(int32_t first_correlation_id);

// Well-formed but hostile requests to the controller listener of the session's node (node 1, the
// only voter, cluster id from its meta.properties unknown to the sender: the requests name no
// cluster id, which the quorum APIs accept): votes and epochs from ids that are not voters or
// that claim to be node 1 itself, epochs at the int32 edge, a Fetch claiming to be the voter,
// FetchSnapshot at absurd positions, registrations and heartbeats for node 1 and for strangers.
// Each must be answered (must_answer).
std::vector<HostileFrame> controller_examples(int32_t first_correlation_id);

}  // namespace eddy::hostile
