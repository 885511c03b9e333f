// The text encodings SCRAM messages are made of (RFC 5802 §5, §7): standard padded base64 (RFC
// 4648 §4) for salts, proofs, signatures and channel bindings; "saslname", the username with ','
// written "=2C" and '=' written "=3D"; "name=value" attributes separated by ','; nonces of
// printable characters other than ','. Decoders are strict (they see client and server input) and
// report failure as nullopt or an error; they never ASSERT on input.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "services/security/sasl_random.h"

namespace eddy::security {

std::string base64_encode(ByteSpan data);
// Canonical padded base64 only: length a multiple of 4, '=' only as the final one or two
// characters, and the unused bits of the last character zero (so every byte string has exactly
// one accepted encoding).
std::optional<Bytes> base64_decode(std::string_view text);

// saslname -> username: "=2C" -> ',', "=3D" -> '='. nullopt for any other '=' sequence, a bare
// ',', a NUL byte or an empty name (RFC 5802 §7 "saslname").
std::optional<std::string> decode_saslname(std::string_view saslname);
std::string encode_saslname(std::string_view username);

// A nonce: non-empty, printable ASCII without ',' (%x21-2B / %x2D-7E).
bool valid_scram_nonce(std::string_view nonce);
// A fresh nonce of 32 base64 characters (24 random bytes).
std::string make_scram_nonce(SaslRandom& random);

struct ScramAttribute {
    std::string_view name;   // usually one letter; extensions may be longer ("tokenauth")
    std::string_view value;  // may contain '=' (base64)
};
// Splits "a=1,b=2" into attributes. nullopt when a part has no '=' or an empty name.
std::optional<std::vector<ScramAttribute>> split_scram_attributes(std::string_view message);

}  // namespace eddy::security
