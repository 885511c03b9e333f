// Fuzz target: a Kafka response. A client knows which request a response answers, so the input
// starts with that request's int16 API key and int16 API version, followed by the response as it
// follows the frame size on the wire: response header (v0 for ApiVersions, else by flexibility),
// then the body. Same oracle as protocol_request. Seeds: tests/fuzz/corpus/protocol_response/.
#include "core/protocol/generated/all_messages.h"
#include "core/protocol/message_header.h"
#include "tests/fuzz/protocol_fuzz_util.h"

using namespace eddy;
using namespace eddy::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r(fuzz::as_span(data, size));
    auto raw_key = r.read_int16();
    auto version = r.read_int16();
    if (!raw_key.ok() || !version.ok()) {
        return 0;
    }
    const auto key = api_key_from_int(*raw_key);
    if (!key) {
        return 0;
    }
    auto header = decode_response_header(r, *key, *version);
    if (!header.ok()) {
        return 0;
    }
    switch (*key) {
#define EDDY_FUZZ_CASE(name, Req, Resp)      \
    case ApiKey::name:                       \
        fuzz::check_body<Resp>(r, *version); \
        break;
        EDDY_PROTOCOL_FOR_EACH_API(EDDY_FUZZ_CASE)
#undef EDDY_FUZZ_CASE
    }
    return 0;
}
