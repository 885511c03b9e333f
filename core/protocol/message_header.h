// Request and response headers: which header version goes with which API version, and encoding
// and decoding them. The header structs themselves are generated (generated/headers.h).
//
// Rules (KIP-482, KIP-511): a request uses header v2 when its API version is flexible, v1
// otherwise, and v0 only for ControlledShutdown v0. A response uses header v1 when flexible, v0
// otherwise -- except ApiVersionsResponse, which always uses v0 so that a client can read it
// before it knows what the broker speaks. ClientId is a classic (int16-length) string even in
// header v2. See api_keys.h for request_header_version() / response_header_version().
#pragma once

#include <cstdint>

#include "core/base/result.h"
#include "core/protocol/generated/api_keys.h"
#include "core/protocol/generated/headers.h"
#include "core/protocol/wire.h"

namespace eddy::protocol {

// Decodes a request header from the start of a request (after the int32 frame size). The API key
// and version come first in every header version, so they are peeked to pick the header version.
// Errors: unknown_api_key for a key this build does not know (Kafka closes the connection), or
// any DecodeError of the header itself. The API version is NOT checked against the table here:
// an ApiVersions request of a version we do not know must still be answered (KIP-511).
Result<RequestHeader, DecodeError> decode_request_header(Reader& r);

// Encodes a request header in the version its API key and version call for. The key must be
// one this build knows (ASSERT): we only send requests we can build.
void encode_request_header(Writer& w, const RequestHeader& h);

// Decodes the header of a response to a request of (key, api_version).
Result<ResponseHeader, DecodeError> decode_response_header(Reader& r, ApiKey key,
                                                           int16_t api_version);

// Encodes the header of a response to a request of (key, api_version).
void encode_response_header(Writer& w, ApiKey key, int16_t api_version, int32_t correlation_id);

}  // namespace eddy::protocol
