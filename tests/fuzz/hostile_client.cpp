// Fuzz target: hostile clients against the broker's real request path (hostile_session.h). The
// input's bytes are the random bits (hostile/fuzz_input.h): they pick one to three requests (API,
// version, how the header lies, a size budget) and every field of each, filled with extreme
// values by the generated randomize() functions. A broker in a SimWorld receives them over its
// FrameServer; each must be answered with a well-formed response or have its connection closed,
// an ordinary request must work after each, and a produce/fetch/commit round trip at the end. A
// broker ASSERT reached by client input is the crash libFuzzer reports.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/hostile/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    eddy::hostile::fuzz_session(data, size, eddy::kafka::ListenerKind::client);
    return 0;
}
