#include "services/admin/admin_listener.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace eddy::admin {

namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char lower, char c) {
               return std::tolower(static_cast<unsigned char>(c)) == lower;
           });
}

}  // namespace

Result<AdminListenerSpec, std::string> parse_admin_listener(std::string_view spec) {
    AdminListenerSpec out;
    std::string_view rest = spec;
    if (starts_with_nocase(rest, "https://")) {
        out.tls = true;
        rest.remove_prefix(8);
    } else if (starts_with_nocase(rest, "http://")) {
        rest.remove_prefix(7);
    }
    const auto bad = [spec] {
        return fail("admin.listener: '" + std::string(spec) +
                    "' is not [http://|https://]host:port");
    };
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return bad();
    }
    std::string_view host = rest.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string_view port = rest.substr(colon + 1);
    uint16_t p = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || host.empty() ||
        host.find('/') != std::string_view::npos) {
        return bad();
    }
    out.address = Address{std::string(host), p};
    return out;
}

}  // namespace eddy::admin
