// Request/response header helpers (see message_header.h).
#include "core/protocol/message_header.h"

namespace eddy::protocol {

Result<RequestHeader, DecodeError> decode_request_header(Reader& r) {
    Reader peek = r;
    TRY_ASSIGN(const int16_t raw_key, peek.read_int16());
    TRY_ASSIGN(const int16_t api_version, peek.read_int16());
    const auto key = api_key_from_int(raw_key);
    if (!key) {
        return fail(DecodeError::unknown_api_key);
    }
    return RequestHeader::decode(r, request_header_version(*key, api_version));
}

void encode_request_header(Writer& w, const RequestHeader& h) {
    const auto key = api_key_from_int(h.request_api_key_);
    ASSERT(key.has_value(), "encode_request_header: unknown API key");
    h.encode(w, request_header_version(*key, h.request_api_version_));
}

Result<ResponseHeader, DecodeError> decode_response_header(Reader& r, ApiKey key,
                                                           int16_t api_version) {
    return ResponseHeader::decode(r, response_header_version(key, api_version));
}

void encode_response_header(Writer& w, ApiKey key, int16_t api_version, int32_t correlation_id) {
    ResponseHeader h;
    h.correlation_id_ = correlation_id;
    h.encode(w, response_header_version(key, api_version));
}

}  // namespace eddy::protocol
