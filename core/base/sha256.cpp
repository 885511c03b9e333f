#include "core/base/sha256.h"

#include <openssl/sha.h>

namespace eddy {

Sha256Digest sha256(ByteSpan data) {
    Sha256Digest out;
    static_assert(sizeof(out) == SHA256_DIGEST_LENGTH);
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

}  // namespace eddy
