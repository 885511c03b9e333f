// What admin.listener names: the address of the node's HTTP admin API and whether it serves TLS.
//
//   127.0.0.1:9644            plain HTTP (the default)
//   http://0.0.0.0:9644       the same, spelled as a URL
//   https://0.0.0.0:9644      TLS, with the broker's ssl.* keys overridden by admin.ssl.*
//
// The scheme is what Confluent's REST services put in their `listeners` value; its case does not
// matter. An IPv6 host is written in brackets ([::1]:9644). Parsed by the runtime (which builds
// the TLS context before anything starts) and by start_admin_server alike.
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/env/network.h"

namespace eddy::admin {

struct AdminListenerSpec {
    Address address;
    bool tls = false;
    // "https" or "http", for the URL the broker prints.
    const char* scheme() const { return tls ? "https" : "http"; }
};

// Parses a non-empty admin.listener value; one line naming it on error.
Result<AdminListenerSpec, std::string> parse_admin_listener(std::string_view spec);

}  // namespace eddy::admin
