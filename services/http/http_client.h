// A minimal HTTP/1.1 client on Env connections: one GET per connection (Connection: close), the
// response parsed by Boost.Beast's response parser (chunked or not). For the simulator's
// scenarios that scrape the admin API and for Eddy's own tools probing a node's readiness.
#pragma once

#include <string>

#include "core/base/result.h"
#include "core/env/env.h"

namespace eddy::http {

struct ClientResponse {
    int status = 0;
    std::string body;
};

// GET `path` from `at`. Suspends until the answer, an error (one line) or `timeout`.
Result<ClientResponse, std::string> get(Env& env, const Address& at, const std::string& path,
                                        Duration timeout, size_t body_bytes_max = 16 << 20);

}  // namespace eddy::http
