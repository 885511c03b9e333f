// `eddy quota set|remove|list`: client quotas in the metadata log (KIP-546), through Eddy's client
// (AlterClientQuotas / DescribeClientQuotas). The entity is named as kafka-configs names it:
// --user NAME or --user-default, --client-id ID or --client-id-default (alone or together), or
// --ip ADDRESS or --ip-default; the quotas as Kafka's keys: producer_byte_rate=1048576.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "runtime/main/client_cli.h"

namespace eddy::cli {
namespace {

struct QuotaArgs {
    ClientArgs client;
    std::string user;
    bool user_default = false;
    std::string client_id;
    bool client_id_default = false;
    std::string ip;
    bool ip_default = false;
    std::vector<std::string> items;  // key=value (set) or key (remove)
};

void add_entity_options(CLI::App* cmd, QuotaArgs& a) {
    auto* user = cmd->add_option("--user", a.user, "The user (principal name) the quota is for");
    auto* user_default = cmd->add_flag("--user-default", a.user_default, "Every user without one");
    user->excludes(user_default);
    auto* cid = cmd->add_option("--client-id", a.client_id, "The client id the quota is for");
    auto* cid_default =
        cmd->add_flag("--client-id-default", a.client_id_default, "Every client id without one");
    cid->excludes(cid_default);
    auto* ip = cmd->add_option("--ip", a.ip, "The client address (connection_creation_rate)");
    auto* ip_default = cmd->add_flag("--ip-default", a.ip_default, "Every address without one");
    ip->excludes(ip_default);
}

std::vector<client::Client::QuotaEntityName> entity_of(const QuotaArgs& a) {
    std::vector<client::Client::QuotaEntityName> e;
    if (!a.user.empty() || a.user_default) {
        e.push_back({"user", a.user_default ? std::nullopt : std::optional<std::string>(a.user)});
    }
    if (!a.client_id.empty() || a.client_id_default) {
        e.push_back({"client-id", a.client_id_default ? std::nullopt
                                                       : std::optional<std::string>(a.client_id)});
    }
    if (!a.ip.empty() || a.ip_default) {
        e.push_back({"ip", a.ip_default ? std::nullopt : std::optional<std::string>(a.ip)});
    }
    return e;
}

std::string format_value(double v) {
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
        std::snprintf(buf, sizeof buf, "%g", v);
    }
    return buf;
}

}  // namespace

void add_quota_commands(CLI::App& app, int& exit_code) {
    auto* quota = app.add_subcommand(
        "quota", "Set, remove and list client quotas (byte rates, request time, connection rate)");
    quota->require_subcommand(1);

    auto sa = std::make_shared<QuotaArgs>();
    auto* set_cmd = quota->add_subcommand(
        "set", "Set quotas of an entity: producer_byte_rate, consumer_byte_rate (bytes/s), "
               "request_percentage (% of one thread), controller_mutation_rate, "
               "connection_creation_rate (--ip)");
    add_entity_options(set_cmd, *sa);
    set_cmd->add_option("quotas", sa->items, "KEY=VALUE, e.g. producer_byte_rate=1048576")
        ->required();
    add_client_options(set_cmd, sa->client);
    set_cmd->callback([sa, &exit_code] {
        const auto entity = entity_of(*sa);
        if (entity.empty()) {
            std::fprintf(stderr, "eddy quota set: name an entity (--user, --client-id or --ip)\n");
            exit_code = 2;
            return;
        }
        std::vector<std::pair<std::string, std::optional<double>>> ops;
        for (const auto& item : sa->items) {
            const auto eq = item.find('=');
            char* end = nullptr;
            const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
            const double v = value.empty() ? 0 : std::strtod(value.c_str(), &end);
            if (eq == std::string::npos || value.empty() || end == nullptr || *end != '\0') {
                std::fprintf(stderr, "eddy quota set: '%s' is not KEY=NUMBER\n", item.c_str());
                exit_code = 2;
                return;
            }
            ops.emplace_back(item.substr(0, eq), v);
        }
        exit_code = run_client("eddy quota set", sa->client, [&entity, &ops](client::Client& c, Env&) {
            if (auto r = c.alter_client_quota(entity, ops); !r.ok()) {
                return report("eddy quota set", r.error());
            }
            std::printf("set %zu quota(s)\n", ops.size());
            return 0;
        });
    });

    auto ra = std::make_shared<QuotaArgs>();
    auto* remove_cmd = quota->add_subcommand("remove", "Remove quotas of an entity");
    add_entity_options(remove_cmd, *ra);
    remove_cmd->add_option("keys", ra->items, "Quota keys to remove")->required();
    add_client_options(remove_cmd, ra->client);
    remove_cmd->callback([ra, &exit_code] {
        const auto entity = entity_of(*ra);
        if (entity.empty()) {
            std::fprintf(stderr,
                         "eddy quota remove: name an entity (--user, --client-id or --ip)\n");
            exit_code = 2;
            return;
        }
        std::vector<std::pair<std::string, std::optional<double>>> ops;
        for (const auto& key : ra->items) {
            ops.emplace_back(key, std::nullopt);
        }
        exit_code =
            run_client("eddy quota remove", ra->client, [&entity, &ops](client::Client& c, Env&) {
                if (auto r = c.alter_client_quota(entity, ops); !r.ok()) {
                    return report("eddy quota remove", r.error());
                }
                std::printf("removed %zu quota(s)\n", ops.size());
                return 0;
            });
    });

    auto la = std::make_shared<QuotaArgs>();
    auto* list_cmd = quota->add_subcommand(
        "list", "List quotas (all, or those of the entities matching the options)");
    add_entity_options(list_cmd, *la);
    add_client_options(list_cmd, la->client);
    list_cmd->callback([la, &exit_code] {
        const auto filter = entity_of(*la);
        exit_code = run_client("eddy quota list", la->client, [&filter](client::Client& c, Env&) {
            auto entries = c.describe_client_quotas(filter, false);
            if (!entries.ok()) {
                return report("eddy quota list", entries.error());
            }
            std::vector<Row> rows{{"ENTITY", "QUOTA", "VALUE"}};
            for (const auto& e : *entries) {
                std::string entity;
                for (const auto& part : e.entity) {
                    entity += (entity.empty() ? "" : ",") + part.type + "=" +
                              part.name.value_or("<default>");
                }
                for (const auto& v : e.values) {
                    rows.push_back({entity, v.first, format_value(v.second)});
                }
            }
            print_table(rows);
            return 0;
        });
    });
}

}  // namespace eddy::cli
