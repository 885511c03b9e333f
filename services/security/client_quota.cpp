#include "services/security/client_quota.h"

#include <algorithm>
#include <cmath>

namespace eddy::security {

std::string_view to_string(QuotaEntityType t) {
    switch (t) {
        case QuotaEntityType::user: return "user";
        case QuotaEntityType::client_id: return "client-id";
        case QuotaEntityType::ip: return "ip";
    }
    return "?";
}

std::optional<QuotaEntityType> quota_entity_type_from_string(std::string_view s) {
    if (s == "user") return QuotaEntityType::user;
    if (s == "client-id") return QuotaEntityType::client_id;
    if (s == "ip") return QuotaEntityType::ip;
    return std::nullopt;
}

std::string_view to_string(QuotaKey k) {
    switch (k) {
        case QuotaKey::producer_byte_rate: return "producer_byte_rate";
        case QuotaKey::consumer_byte_rate: return "consumer_byte_rate";
        case QuotaKey::request_percentage: return "request_percentage";
        case QuotaKey::controller_mutation_rate: return "controller_mutation_rate";
        case QuotaKey::connection_creation_rate: return "connection_creation_rate";
    }
    return "?";
}

std::optional<QuotaKey> quota_key_from_string(std::string_view s) {
    for (QuotaKey k : {QuotaKey::producer_byte_rate, QuotaKey::consumer_byte_rate,
                       QuotaKey::request_percentage, QuotaKey::controller_mutation_rate,
                       QuotaKey::connection_creation_rate}) {
        if (to_string(k) == s) {
            return k;
        }
    }
    return std::nullopt;
}

const QuotaEntityPart* QuotaEntity::find(QuotaEntityType t) const {
    for (const auto& p : parts) {
        if (p.type == t) {
            return &p;
        }
    }
    return nullptr;
}

std::string QuotaEntity::to_string() const {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) {
            out += ',';
        }
        out += security::to_string(p.type);
        out += '=';
        out += p.name ? *p.name : "<default>";
    }
    return out;
}

namespace {

// An IPv4 dotted quad or an IPv6 address in its textual forms (hex groups, "::", an embedded
// IPv4 tail). Kafka asks InetAddress, which would also resolve host names; a quota entity names
// an address, so names are refused rather than looked up.
bool looks_like_ip(std::string_view s) {
    if (s.empty() || s.size() > 45) {
        return false;
    }
    if (s.find(':') == std::string_view::npos) {
        int parts = 0;
        size_t i = 0;
        while (i <= s.size()) {
            size_t j = s.find('.', i);
            if (j == std::string_view::npos) {
                j = s.size();
            }
            const std::string_view part = s.substr(i, j - i);
            if (part.empty() || part.size() > 3 ||
                !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                return false;
            }
            if (std::stoi(std::string(part)) > 255) {
                return false;
            }
            ++parts;
            i = j + 1;
        }
        return parts == 4;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
               c == ':' || c == '.';
    });
}

bool is_rate_key(QuotaKey k) {
    return k == QuotaKey::producer_byte_rate || k == QuotaKey::consumer_byte_rate;
}

}  // namespace

std::optional<std::string> make_quota_entity(const std::vector<QuotaEntityInput>& input,
                                             QuotaEntity& out) {
    out.parts.clear();
    if (input.empty()) {
        return "Invalid empty client quota entity";
    }
    for (const auto& in : input) {
        const auto type = quota_entity_type_from_string(in.type);
        if (!type) {
            return "Unknown client quota entity type '" +
                   std::string(in.type.substr(0, 64)) + "'";
        }
        if (out.find(*type)) {
            return "Duplicate entity type " + std::string(to_string(*type)) +
                   " in a client quota entity";
        }
        QuotaEntityPart part{*type, std::nullopt};
        if (in.name) {
            if (in.name->empty()) {
                return "Empty " + std::string(to_string(*type)) +
                       " name in a client quota entity (null names the default)";
            }
            if (in.name->size() > limits::quota_entity_name_max) {
                return std::string(to_string(*type)) + " name longer than " +
                       std::to_string(limits::quota_entity_name_max) + " bytes";
            }
            if (*type == QuotaEntityType::ip && !looks_like_ip(*in.name)) {
                return std::string(in.name->substr(0, 64)) + " is not a valid IP address";
            }
            part.name = std::string(*in.name);
        }
        out.parts.push_back(std::move(part));
    }
    std::sort(out.parts.begin(), out.parts.end());
    if (out.find(QuotaEntityType::ip) && out.parts.size() > 1) {
        return "An ip quota entity cannot be combined with user or client-id";
    }
    return std::nullopt;
}

std::optional<std::string> quota_value_invalid(const QuotaEntity& entity, QuotaKey key,
                                               double value) {
    const bool ip = entity.find(QuotaEntityType::ip) != nullptr;
    if (ip != (key == QuotaKey::connection_creation_rate)) {
        return "Quota key " + std::string(to_string(key)) + " cannot be set on entity " +
               entity.to_string();
    }
    if (!std::isfinite(value) || value <= 0) {
        return "Quota " + std::string(to_string(key)) + " must be a positive number";
    }
    if (is_rate_key(key) && (value != std::floor(value) || value > 9.2e18)) {
        return "Quota " + std::string(to_string(key)) + " must be a whole number of bytes/s";
    }
    return std::nullopt;
}

void ClientQuotas::set(const QuotaEntity& entity, QuotaKey key, double value) {
    entries_[entity][key] = value;
}

void ClientQuotas::remove(const QuotaEntity& entity, QuotaKey key) {
    const auto it = entries_.find(entity);
    if (it == entries_.end()) {
        return;
    }
    it->second.erase(key);
    if (it->second.empty()) {
        entries_.erase(it);
    }
}

std::optional<double> ClientQuotas::get(const QuotaEntity& entity, QuotaKey key) const {
    const auto it = entries_.find(entity);
    if (it == entries_.end()) {
        return std::nullopt;
    }
    const auto v = it->second.find(key);
    if (v == it->second.end()) {
        return std::nullopt;
    }
    return v->second;
}

std::optional<ResolvedQuota> ClientQuotas::resolve(QuotaKey key, std::string_view user,
                                                   std::string_view client_id) const {
    if (entries_.empty()) {
        return std::nullopt;
    }
    using T = QuotaEntityType;
    const std::string u(user);
    const std::string c(client_id);
    // Kafka's eight levels, most specific first: (user, client-id) names, nullopt = <default>,
    // absent = the type is not part of the entity.
    struct Level {
        std::optional<std::optional<std::string>> user;
        std::optional<std::optional<std::string>> client;
    };
    const std::optional<std::string> dflt;
    const Level levels[] = {
        {u, c}, {u, dflt}, {u, std::nullopt}, {dflt, c}, {dflt, dflt}, {dflt, std::nullopt},
        {std::nullopt, c}, {std::nullopt, dflt},
    };
    for (const auto& level : levels) {
        QuotaEntity entity;
        QuotaEntity bucket;
        if (level.user) {
            entity.parts.push_back({T::user, *level.user});
            bucket.parts.push_back({T::user, u});
        }
        if (level.client) {
            entity.parts.push_back({T::client_id, *level.client});
            bucket.parts.push_back({T::client_id, c});
        }
        if (auto v = get(entity, key)) {
            return ResolvedQuota{*v, std::move(bucket)};
        }
    }
    return std::nullopt;
}

std::optional<double> ClientQuotas::connection_rate(std::string_view ip) const {
    if (entries_.empty()) {
        return std::nullopt;
    }
    QuotaEntity exact{{{QuotaEntityType::ip, std::string(ip)}}};
    if (auto v = get(exact, QuotaKey::connection_creation_rate)) {
        return v;
    }
    return get(QuotaEntity{{{QuotaEntityType::ip, std::nullopt}}},
               QuotaKey::connection_creation_rate);
}

bool QuotaFilter::matches(const QuotaEntity& entity) const {
    for (const auto& f : parts) {
        const QuotaEntityPart* p = entity.find(f.type);
        if (p == nullptr) {
            return false;
        }
        switch (f.match) {
            case QuotaMatch::exact:
                if (p->name != f.name) return false;
                break;
            case QuotaMatch::default_:
                if (p->name) return false;
                break;
            case QuotaMatch::any:
                if (!p->name) return false;
                break;
        }
    }
    if (strict) {
        for (const auto& p : entity.parts) {
            const bool named = std::any_of(parts.begin(), parts.end(),
                                           [&p](const QuotaFilterPart& f) { return f.type == p.type; });
            if (!named) {
                return false;
            }
        }
    }
    return true;
}

std::optional<std::string> make_quota_filter(const std::vector<QuotaFilterInput>& input,
                                             bool strict, QuotaFilter& out) {
    out = QuotaFilter{};
    out.strict = strict;
    for (const auto& in : input) {
        const auto type = quota_entity_type_from_string(in.type);
        if (!type) {
            return "Unknown client quota entity type '" + std::string(in.type.substr(0, 64)) +
                   "' in the filter";
        }
        for (const auto& seen : out.parts) {
            if (seen.type == *type) {
                return "Duplicate entity type " + std::string(to_string(*type)) + " in the filter";
            }
        }
        QuotaFilterPart part{*type, QuotaMatch::exact, std::nullopt};
        switch (in.match_type) {
            case 0:
                if (!in.match) {
                    return "An exact match for " + std::string(to_string(*type)) +
                           " needs a name";
                }
                part.name = std::string(*in.match);
                break;
            case 1: part.match = QuotaMatch::default_; break;
            case 2: part.match = QuotaMatch::any; break;
            default:
                return "Unknown match type " + std::to_string(in.match_type) + " in the filter";
        }
        out.parts.push_back(std::move(part));
    }
    return std::nullopt;
}

}  // namespace eddy::security
