// Shared by the SASL unit tests and fuzz targets: the PlainLoginModule entry of Kafka's security
// documentation (admin/admin-secret, alice/alice-secret) and PLAIN message building.
#pragma once

#include <string>
#include <string_view>

#include "core/base/bytes.h"

namespace eddy::security::test {

inline constexpr std::string_view kafka_doc_plain_jaas =
    "org.apache.kafka.common.security.plain.PlainLoginModule required "
    "username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\" "
    "user_alice=\"alice-secret\";";

// "\0user\0password": a PLAIN message without authzid.
inline Bytes plain_token(std::string_view user, std::string_view password) {
    std::string t;
    t.push_back('\0');
    t += user;
    t.push_back('\0');
    t += password;
    return to_bytes(t);
}

}  // namespace eddy::security::test
