// OpenSSLSaslRandom: the production SaslRandom (services/security/sasl_random.h), drawing SCRAM
// nonces, salts and the fake-credential key from OpenSSL's CSPRNG (RAND_bytes). The simulator
// uses SaslRandomFromRandom over its seeded stream instead; services/ never reads OS entropy.
#pragma once

#include "services/security/sasl_random.h"

namespace eddy {

class OpenSSLSaslRandom final : public security::SaslRandom {
public:
    // RAND_bytes fails only when OpenSSL cannot seed itself, after which no nonce is safe: the
    // process aborts (ASSERT) rather than hand out predictable bytes.
    void fill(MutableByteSpan out) override;
};

}  // namespace eddy
