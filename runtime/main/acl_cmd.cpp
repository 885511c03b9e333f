// `eddy acl add|list|remove`: the cluster's ACLs through CreateAcls / DescribeAcls / DeleteAcls
// (KIP-140), with kafka-acls.sh's vocabulary: --allow-principal / --deny-principal,
// --allow-host / --deny-host (default *), --operation (repeatable; default All), one or more
// resources (--topic, --group, --cluster, --transactional-id) and --resource-pattern-type
// (literal|prefixed for add; any|match too for list and remove). Needs a broker with an
// authorizer (authorizer.class.name); without one the broker answers SECURITY_DISABLED.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/main/client_cli.h"
#include "services/security/acl.h"

namespace eddy::cli {
namespace {

using security::AclOperation;
using security::AclPermissionType;
using security::PatternType;
using security::ResourceType;

struct AclArgs {
    ClientArgs client;
    std::vector<std::string> allow_principals;
    std::vector<std::string> deny_principals;
    std::vector<std::string> allow_hosts;
    std::vector<std::string> deny_hosts;
    std::vector<std::string> operations;
    std::vector<std::string> topics;
    std::vector<std::string> groups;
    std::vector<std::string> transactional_ids;
    bool cluster = false;
    std::string pattern_type;
    std::string principal;  // list: only this principal's ACLs
};

std::string squash(std::string_view s) {
    std::string out;
    for (char ch : s) {
        if (ch != '_' && ch != '-') {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
        }
    }
    return out;
}

// kafka-acls' operation names (Read, Write, ClusterAction, ...), any case, '_' or '-' ignored.
std::optional<AclOperation> parse_operation(std::string_view name) {
    const std::string n = squash(name);
    for (int8_t code = 2; code <= 14; ++code) {
        const AclOperation op = security::operation_from_code(code);
        if (squash(security::to_string(op)) == n) {
            return op;
        }
    }
    return std::nullopt;
}

struct Resource {
    ResourceType type;
    std::string name;
};

std::vector<Resource> resources_of(const AclArgs& a) {
    std::vector<Resource> out;
    for (const auto& t : a.topics) {
        out.push_back({ResourceType::topic, t});
    }
    for (const auto& g : a.groups) {
        out.push_back({ResourceType::group, g});
    }
    for (const auto& t : a.transactional_ids) {
        out.push_back({ResourceType::transactional_id, t});
    }
    if (a.cluster) {
        out.push_back({ResourceType::cluster, std::string(security::cluster_resource_name)});
    }
    return out;
}

Result<PatternType, std::string> pattern_of(const std::string& text, PatternType fallback,
                                            bool filters) {
    if (text.empty()) {
        return fallback;
    }
    const std::string n = squash(text);
    if (n == "literal") {
        return PatternType::literal;
    }
    if (n == "prefixed") {
        return PatternType::prefixed;
    }
    if (filters && n == "any") {
        return PatternType::any;
    }
    if (filters && n == "match") {
        return PatternType::match;
    }
    return fail("--resource-pattern-type: '" + text + "' is not " +
                (filters ? "literal, prefixed, any or match" : "literal or prefixed"));
}

Result<std::vector<AclOperation>, std::string> operations_of(const AclArgs& a,
                                                             AclOperation fallback) {
    std::vector<AclOperation> out;
    for (const auto& o : a.operations) {
        auto op = parse_operation(o);
        if (!op) {
            return fail("--operation: '" + o +
                        "' is not an operation (Read, Write, Create, Delete, Alter, Describe, "
                        "ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, "
                        "CreateTokens, DescribeTokens, All)");
        }
        out.push_back(*op);
    }
    if (out.empty()) {
        out.push_back(fallback);
    }
    return out;
}

// Each (principal, host, permission) the options name: allow × allow hosts, deny × deny hosts.
struct Entry {
    std::string principal;
    std::string host;
    AclPermissionType permission;
};

std::vector<Entry> entries_of(const AclArgs& a) {
    std::vector<Entry> out;
    auto add = [&](const std::vector<std::string>& principals, std::vector<std::string> hosts,
                   AclPermissionType p) {
        if (hosts.empty()) {
            hosts.push_back(std::string(security::wildcard_host));
        }
        for (const auto& pr : principals) {
            for (const auto& h : hosts) {
                out.push_back({pr, h, p});
            }
        }
    };
    add(a.allow_principals, a.allow_hosts, AclPermissionType::allow);
    add(a.deny_principals, a.deny_hosts, AclPermissionType::deny);
    return out;
}

std::string display(const char* kafka_name) {
    // "CLUSTER_ACTION" → "ClusterAction", as kafka-acls prints.
    std::string out;
    bool upper = true;
    for (const char* p = kafka_name; *p != '\0'; ++p) {
        if (*p == '_') {
            upper = true;
            continue;
        }
        out.push_back(upper ? *p
                            : static_cast<char>(std::tolower(static_cast<unsigned char>(*p))));
        upper = false;
    }
    return out;
}

int add(client::Client& c, const AclArgs& a) {
    const std::string cmd = "eddy acl add";
    const auto resources = resources_of(a);
    const auto entries = entries_of(a);
    if (resources.empty()) {
        return report(cmd, "name a resource: --topic, --group, --cluster or --transactional-id");
    }
    if (entries.empty()) {
        return report(cmd, "name a principal: --allow-principal or --deny-principal");
    }
    auto pattern = pattern_of(a.pattern_type, PatternType::literal, false);
    if (!pattern.ok()) {
        return report(cmd, pattern.error());
    }
    auto ops = operations_of(a, AclOperation::all);
    if (!ops.ok()) {
        return report(cmd, ops.error());
    }
    protocol::CreateAclsRequest req;
    for (const auto& r : resources) {
        for (const auto& e : entries) {
            for (AclOperation op : *ops) {
                protocol::CreateAclsRequest::AclCreation cr;
                cr.resource_type_ = security::code(r.type);
                cr.resource_name_ = r.name;
                cr.resource_pattern_type_ = security::code(*pattern);
                cr.principal_ = e.principal;
                cr.host_ = e.host;
                cr.operation_ = security::code(op);
                cr.permission_type_ = security::code(e.permission);
                req.creations_.push_back(std::move(cr));
            }
        }
    }
    auto resp = c.create_acls(req);
    if (!resp.ok()) {
        return report(cmd, resp.error());
    }
    int code = 0;
    for (size_t i = 0; i < req.creations_.size() && i < resp->results_.size(); ++i) {
        const auto& cr = req.creations_[i];
        const auto& r = resp->results_[i];
        const std::string what =
            display(security::to_string(security::permission_type_from_code(cr.permission_type_))) +
            " " + cr.principal_ + " " +
            display(security::to_string(security::operation_from_code(cr.operation_))) + " on " +
            display(security::to_string(security::resource_type_from_code(cr.resource_type_))) +
            " " + display(security::to_string(*pattern)) + " '" + cr.resource_name_ +
            "' from " + cr.host_;
        if (r.error_code_ != client::error_code::none) {
            code = report(cmd, what + ": " +
                                   client::ClientError{r.error_code_, r.error_message_.value_or("")}
                                       .to_string());
        } else {
            std::printf("added ACL: %s\n", what.c_str());
        }
    }
    return code;
}

int list(client::Client& c, const AclArgs& a) {
    const std::string cmd = "eddy acl list";
    auto pattern = pattern_of(a.pattern_type, PatternType::any, true);
    if (!pattern.ok()) {
        return report(cmd, pattern.error());
    }
    auto resources = resources_of(a);
    if (resources.size() > 1) {
        return report(cmd, "list takes at most one resource");
    }
    protocol::DescribeAclsRequest req;
    req.resource_type_filter_ = security::code(ResourceType::any);
    req.resource_name_filter_ = std::nullopt;
    if (!resources.empty()) {
        req.resource_type_filter_ = security::code(resources[0].type);
        req.resource_name_filter_ = resources[0].name;
    }
    req.pattern_type_filter_ = security::code(*pattern);
    req.principal_filter_ = std::nullopt;
    if (!a.principal.empty()) {
        req.principal_filter_ = a.principal;
    }
    req.host_filter_ = std::nullopt;
    req.operation_ = security::code(AclOperation::any);
    req.permission_type_ = security::code(AclPermissionType::any);
    auto resp = c.describe_acls(req);
    if (!resp.ok()) {
        return report(cmd, resp.error());
    }
    std::vector<Row> rows{
        {"RESOURCE-TYPE", "NAME", "PATTERN", "PRINCIPAL", "HOST", "OPERATION", "PERMISSION"}};
    for (const auto& r : resp->resources_) {
        for (const auto& e : r.acls_) {
            rows.push_back(
                {display(security::to_string(security::resource_type_from_code(r.resource_type_))),
                 r.resource_name_,
                 display(security::to_string(security::pattern_type_from_code(r.pattern_type_))),
                 e.principal_, e.host_,
                 display(security::to_string(security::operation_from_code(e.operation_))),
                 display(security::to_string(
                     security::permission_type_from_code(e.permission_type_)))});
        }
    }
    print_table(rows);
    return 0;
}

int remove(client::Client& c, const AclArgs& a) {
    const std::string cmd = "eddy acl remove";
    const auto resources = resources_of(a);
    if (resources.empty()) {
        return report(cmd, "name a resource: --topic, --group, --cluster or --transactional-id");
    }
    auto pattern = pattern_of(a.pattern_type, PatternType::literal, true);
    if (!pattern.ok()) {
        return report(cmd, pattern.error());
    }
    auto ops = operations_of(a, AclOperation::any);
    if (!ops.ok()) {
        return report(cmd, ops.error());
    }
    protocol::DeleteAclsRequest req;
    auto filter = [&](const Resource& r) {
        protocol::DeleteAclsRequest::DeleteAclsFilter f;
        f.resource_type_filter_ = security::code(r.type);
        f.resource_name_filter_ = r.name;
        f.pattern_type_filter_ = security::code(*pattern);
        f.principal_filter_ = std::nullopt;
        f.host_filter_ = std::nullopt;
        f.operation_ = security::code(AclOperation::any);
        f.permission_type_ = security::code(AclPermissionType::any);
        return f;
    };
    const auto entries = entries_of(a);
    for (const auto& r : resources) {
        for (AclOperation op : *ops) {
            if (entries.empty()) {
                // No principal named: every ACL of the resource (with these operations).
                auto f = filter(r);
                f.operation_ = security::code(op);
                req.filters_.push_back(std::move(f));
                continue;
            }
            for (const auto& e : entries) {
                auto f = filter(r);
                f.principal_filter_ = e.principal;
                // A host given explicitly narrows the filter; the default "*" matches any host.
                const bool hosts_given = e.permission == AclPermissionType::allow
                                             ? !a.allow_hosts.empty()
                                             : !a.deny_hosts.empty();
                if (hosts_given) {
                    f.host_filter_ = e.host;
                }
                f.operation_ = security::code(op);
                f.permission_type_ = security::code(e.permission);
                req.filters_.push_back(std::move(f));
            }
        }
    }
    auto resp = c.delete_acls(req);
    if (!resp.ok()) {
        return report(cmd, resp.error());
    }
    int code = 0;
    size_t removed = 0;
    for (const auto& r : resp->filter_results_) {
        if (r.error_code_ != client::error_code::none) {
            code = report(cmd, client::ClientError{r.error_code_, r.error_message_.value_or("")});
            continue;
        }
        for (const auto& m : r.matching_acls_) {
            if (m.error_code_ != client::error_code::none) {
                code = report(cmd,
                              client::ClientError{m.error_code_, m.error_message_.value_or("")});
                continue;
            }
            ++removed;
            std::printf(
                "removed ACL: %s %s %s on %s %s '%s' from %s\n",
                display(security::to_string(security::permission_type_from_code(m.permission_type_)))
                    .c_str(),
                m.principal_.c_str(),
                display(security::to_string(security::operation_from_code(m.operation_))).c_str(),
                display(security::to_string(security::resource_type_from_code(m.resource_type_)))
                    .c_str(),
                display(security::to_string(security::pattern_type_from_code(m.pattern_type_)))
                    .c_str(),
                m.resource_name_.c_str(), m.host_.c_str());
        }
    }
    if (code == 0 && removed == 0) {
        std::printf("no ACL matched\n");
    }
    return code;
}

void add_binding_options(CLI::App* cmd, AclArgs& a) {
    cmd->add_option("--allow-principal", a.allow_principals,
                    "Principal (User:name) the ACL allows (repeatable)");
    cmd->add_option("--deny-principal", a.deny_principals,
                    "Principal (User:name) the ACL denies (repeatable)");
    cmd->add_option("--allow-host", a.allow_hosts,
                    "Client address the allow ACLs apply to (repeatable; default *)");
    cmd->add_option("--deny-host", a.deny_hosts,
                    "Client address the deny ACLs apply to (repeatable; default *)");
    cmd->add_option("--operation", a.operations,
                    "Read, Write, Create, Delete, Alter, Describe, ClusterAction, "
                    "DescribeConfigs, AlterConfigs, IdempotentWrite, All (repeatable)");
}

void add_resource_options(CLI::App* cmd, AclArgs& a, const char* patterns) {
    cmd->add_option("--topic", a.topics, "Topic (repeatable)");
    cmd->add_option("--group", a.groups, "Consumer group (repeatable)");
    cmd->add_option("--transactional-id", a.transactional_ids, "Transactional id (repeatable)");
    cmd->add_flag("--cluster", a.cluster, "The cluster resource");
    cmd->add_option("--resource-pattern-type", a.pattern_type, patterns);
}

}  // namespace

void add_acl_commands(CLI::App& app, int& exit_code) {
    auto* acl = app.add_subcommand(
        "acl", "Add, list and remove ACLs (needs a broker with authorizer.class.name set)");
    acl->require_subcommand(1);

    auto aa = std::make_shared<AclArgs>();
    auto* add_cmd = acl->add_subcommand(
        "add", "Add ACLs: each principal x host x operation x resource named");
    add_binding_options(add_cmd, *aa);
    add_resource_options(add_cmd, *aa, "literal (default) or prefixed");
    add_client_options(add_cmd, aa->client);
    add_cmd->callback([aa, &exit_code] {
        exit_code = run_client("eddy acl add", aa->client,
                               [aa](client::Client& c, Env&) { return add(c, *aa); });
    });

    auto la = std::make_shared<AclArgs>();
    auto* list_cmd = acl->add_subcommand("list", "List ACLs (all, or of one resource)");
    add_resource_options(list_cmd, *la, "any (default), match, literal or prefixed");
    list_cmd->add_option("--principal", la->principal, "Only the ACLs of this principal");
    add_client_options(list_cmd, la->client);
    list_cmd->callback([la, &exit_code] {
        exit_code = run_client("eddy acl list", la->client,
                               [la](client::Client& c, Env&) { return list(c, *la); });
    });

    auto ra = std::make_shared<AclArgs>();
    auto* remove_cmd = acl->add_subcommand(
        "remove", "Remove the ACLs of the resources named (narrowed by principals, hosts and "
                  "operations when given)");
    add_binding_options(remove_cmd, *ra);
    add_resource_options(remove_cmd, *ra, "literal (default), prefixed, any or match");
    add_client_options(remove_cmd, ra->client);
    remove_cmd->callback([ra, &exit_code] {
        exit_code = run_client("eddy acl remove", ra->client,
                               [ra](client::Client& c, Env&) { return remove(c, *ra); });
    });
}

}  // namespace eddy::cli
