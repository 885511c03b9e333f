// SHA-256 (FIPS 180-4), from OpenSSL's libcrypto: pure computation, no I/O, deterministic, so
// services/ may use it (derived ids, and later SCRAM). One call over a whole buffer.
#pragma once

#include <array>
#include <cstddef>

#include "core/base/bytes.h"

namespace eddy {

using Sha256Digest = std::array<std::byte, 32>;

Sha256Digest sha256(ByteSpan data);

}  // namespace eddy
