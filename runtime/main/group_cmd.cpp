// `eddy group list|describe`: consumer groups through Eddy's client (services/client/): the
// groups of the cluster, and per group its committed offsets, log-end offsets, lag and the
// member that owns each partition (kafka-consumer-groups.sh --describe's columns).
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/main/client_cli.h"

namespace eddy::cli {
namespace {

int list(client::Client& c) {
    auto groups = c.list_groups();
    if (!groups.ok()) {
        return report("eddy group list", groups.error());
    }
    std::vector<Row> rows{{"GROUP", "STATE", "PROTOCOL-TYPE"}};
    for (const auto& g : *groups) {
        rows.push_back({g.group_id, g.state, g.protocol_type});
    }
    print_table(rows);
    return 0;
}

int describe(client::Client& c, const std::string& group) {
    const std::string cmd = "eddy group describe";
    auto desc = c.describe_group(group);
    if (!desc.ok()) {
        return report(cmd, desc.error());
    }
    auto committed = c.committed_offsets(group);
    if (!committed.ok()) {
        return report(cmd, committed.error());
    }
    if (desc->state == "Dead" && committed->empty()) {
        return report(cmd, "group '" + group + "' does not exist");
    }
    // Every partition that is assigned or has a committed offset.
    using Key = std::pair<std::string, int32_t>;
    std::map<Key, const client::GroupMemberDescription*> owner;
    for (const auto& m : desc->members) {
        for (const auto& tp : m.assignment) {
            owner[tp] = &m;
        }
    }
    std::map<Key, int64_t> offsets;
    for (const auto& o : *committed) {
        offsets[{o.topic, o.partition.value()}] = o.offset.value();
    }
    std::map<Key, bool> keys;
    for (const auto& [k, m] : owner) {
        (void)m;
        keys[k] = true;
    }
    for (const auto& [k, o] : offsets) {
        (void)o;
        keys[k] = true;
    }
    std::printf("GROUP %s  STATE %s  MEMBERS %zu\n", group.c_str(), desc->state.c_str(),
                desc->members.size());
    std::vector<Row> rows{{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET",
                           "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"}};
    for (const auto& [k, unused] : keys) {
        (void)unused;
        auto end = c.list_offset(k.first, PartitionId(k.second), -1);
        const auto o = offsets.find(k);
        std::string current = o == offsets.end() ? "-" : std::to_string(o->second);
        std::string log_end = end.ok() && *end ? std::to_string((*end)->value()) : "-";
        std::string lag = "-";
        if (o != offsets.end() && end.ok() && *end) {
            lag = std::to_string(std::max<int64_t>(0, (*end)->value() - o->second));
        }
        const auto m = owner.find(k);
        const bool owned = m != owner.end();
        rows.push_back({group, k.first, std::to_string(k.second), current, log_end, lag,
                        owned ? m->second->member_id : "-", owned ? m->second->client_host : "-",
                        owned ? m->second->client_id : "-"});
    }
    print_table(rows);
    return 0;
}

}  // namespace

void add_group_commands(CLI::App& app, int& exit_code) {
    auto* group = app.add_subcommand("group", "List and describe consumer groups");
    group->require_subcommand(1);

    auto la = std::make_shared<ClientArgs>();
    auto* list_cmd = group->add_subcommand("list", "List groups: id, state, protocol type");
    add_client_options(list_cmd, *la);
    list_cmd->callback([la, &exit_code] {
        exit_code = run_client("eddy group list", *la,
                               [](client::Client& c, Env&) { return list(c); });
    });

    struct DescribeArgs {
        ClientArgs client;
        std::string group;
    };
    auto da = std::make_shared<DescribeArgs>();
    auto* describe_cmd = group->add_subcommand(
        "describe", "Per partition: committed offset, log end, lag and owning member");
    describe_cmd->add_option("group", da->group, "Group id")->required();
    add_client_options(describe_cmd, da->client);
    describe_cmd->callback([da, &exit_code] {
        exit_code = run_client("eddy group describe", da->client,
                               [da](client::Client& c, Env&) { return describe(c, da->group); });
    });
}

}  // namespace eddy::cli
