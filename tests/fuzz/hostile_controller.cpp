// Fuzz target: hostile peers against the controller listener (hostile_session.h), as
// hostile_client.cpp does for the client listener: the input's bytes (hostile/fuzz_input.h) pick
// one to three requests from the controller listener's API table (Vote, BeginQuorumEpoch,
// EndQuorumEpoch, the Raft Fetch, FetchSnapshot, DescribeQuorum, BrokerRegistration,
// BrokerHeartbeat, AllocateProducerIds, the forwarded admin APIs, ...) and every field of each,
// filled with extreme values. The broker, the only voter of its quorum, must answer each or close
// its connection, lead its quorum again within seconds (a forged higher epoch may depose it),
// serve an ordinary client request after each, and pass the produce/fetch/commit round trip at
// the end. A broker ASSERT reached through that listener is the crash libFuzzer reports.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/hostile/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    eddy::hostile::fuzz_session(data, size, eddy::kafka::ListenerKind::controller);
    return 0;
}
