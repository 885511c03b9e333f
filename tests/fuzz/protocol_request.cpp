// Fuzz target: a Kafka request as it follows the int32 frame size on the wire -- request header
// (its version picked from the API key and version it starts with), then the body of that API
// and version. Must never crash, hit UB or over-allocate; whatever decodes must re-encode to a
// fixed point (protocol_fuzz_util.h). Seeds: tests/fuzz/corpus/protocol_request/.
#include "core/protocol/generated/all_messages.h"
#include "core/protocol/message_header.h"
#include "tests/fuzz/protocol_fuzz_util.h"

using namespace eddy;
using namespace eddy::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r(fuzz::as_span(data, size));
    auto header = decode_request_header(r);
    if (!header.ok()) {
        return 0;
    }
    {
        Bytes again;
        Writer w(again);
        encode_request_header(w, *header);
        Reader rh(again);
        auto header2 = decode_request_header(rh);
        ASSERT(header2.ok() && *header2 == *header, "request header does not round-trip");
    }
    const auto key = api_key_from_int(header->request_api_key_);
    ASSERT(key.has_value());
    const int16_t version = header->request_api_version_;
    switch (*key) {
#define EDDY_FUZZ_CASE(name, Req, Resp)    \
    case ApiKey::name:                     \
        fuzz::check_body<Req>(r, version); \
        break;
        EDDY_PROTOCOL_FOR_EACH_API(EDDY_FUZZ_CASE)
#undef EDDY_FUZZ_CASE
    }
    return 0;
}
