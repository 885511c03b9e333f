// See sasl_random_openssl.h.
#include "runtime/sasl_random_openssl.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>

#include "core/base/assert.h"

namespace eddy {

void OpenSSLSaslRandom::fill(MutableByteSpan out) {
    size_t done = 0;
    while (done < out.size()) {
        const size_t chunk = std::min<size_t>(out.size() - done, INT_MAX);
        ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done),
                         static_cast<int>(chunk)) == 1,
               "OpenSSL RAND_bytes failed: no cryptographic randomness for SASL");
        done += chunk;
    }
}

}  // namespace eddy
