// `eddy topic create|list|describe|delete|alter-config|add-partitions|elect-leaders`: topic
// administration through Eddy's client (services/client/); `reassign` is topic_reassign.cpp.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "runtime/main/client_cli.h"
#include "services/client/reassignment_plan.h"

namespace eddy::cli {
namespace {

using client::id_list;

// "K=V" into (K, V); errors name the bad item.
Result<std::pair<std::string, std::string>, std::string> split_kv(const std::string& kv) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
        return fail("invalid config '" + kv + "' (expected KEY=VALUE)");
    }
    return std::make_pair(kv.substr(0, eq), kv.substr(eq + 1));
}

struct CreateArgs {
    ClientArgs client;
    std::string name;
    int partitions = -1;
    int replication_factor = -1;
    std::vector<std::string> configs;
    bool if_not_exists = false;
};

int create(client::Client& c, const CreateArgs& a) {
    const std::string cmd = "eddy topic create";
    client::NewTopic t;
    t.name = a.name;
    t.partitions = a.partitions;
    t.replication_factor = static_cast<int16_t>(a.replication_factor);
    for (const std::string& kv : a.configs) {
        auto p = split_kv(kv);
        if (!p.ok()) {
            return report(cmd, p.error());
        }
        t.configs.push_back(*p);
    }
    auto r = c.create_topic(t);
    if (!r.ok()) {
        if (a.if_not_exists && r.error().code == client::error_code::topic_already_exists) {
            return 0;
        }
        return report(cmd, r.error());
    }
    std::printf("created topic %s\n", a.name.c_str());
    return 0;
}

int list(client::Client& c, bool internal) {
    auto md = c.metadata(std::nullopt);
    if (!md.ok()) {
        return report("eddy topic list", md.error());
    }
    std::vector<Row> rows{{"NAME", "PARTITIONS", "REPLICAS"}};
    for (const auto& t : md->topics) {
        if (t.internal && !internal) {
            continue;
        }
        const size_t replicas = t.partitions.empty() ? 0 : t.partitions[0].replicas.size();
        rows.push_back({t.name, std::to_string(t.partitions.size()), std::to_string(replicas)});
    }
    print_table(rows);
    return 0;
}

int describe_one(client::Client& c, const client::TopicMetadata& t, bool all_configs) {
    const std::string cmd = "eddy topic describe";
    auto configs = c.describe_topic_configs(t.name);
    if (!configs.ok()) {
        return report(cmd, configs.error());
    }
    const size_t replicas = t.partitions.empty() ? 0 : t.partitions[0].replicas.size();
    std::printf("TOPIC       %s\n", t.name.c_str());
    std::printf("PARTITIONS  %zu\n", t.partitions.size());
    std::printf("REPLICAS    %zu\n", replicas);
    std::vector<const client::ConfigEntry*> shown;
    for (const auto& e : *configs) {
        if (all_configs || e.source == client::ConfigSource::dynamic_topic) {
            shown.push_back(&e);
        }
    }
    std::printf("CONFIGS%s\n", shown.empty() ? "     (all defaults)" : "");
    for (const client::ConfigEntry* e : shown) {
        const std::string value = e->sensitive ? "(sensitive)" : e->value.value_or("(null)");
        if (all_configs) {
            std::printf("  %s=%s  (%s)\n", e->name.c_str(), value.c_str(), to_string(e->source));
        } else {
            std::printf("  %s=%s\n", e->name.c_str(), value.c_str());
        }
    }
    std::vector<Row> rows{{"PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR"}};
    for (const auto& p : t.partitions) {
        rows.push_back({std::to_string(p.id.value()), std::to_string(p.leader.value()),
                        std::to_string(p.leader_epoch.value()), id_list(p.replicas),
                        id_list(p.isr)});
    }
    print_table(rows);
    return 0;
}

int describe(client::Client& c, const std::vector<std::string>& names, bool all_configs) {
    const std::string cmd = "eddy topic describe";
    std::optional<std::vector<std::string>> wanted;
    if (!names.empty()) {
        wanted = names;
    }
    auto md = c.metadata(wanted);
    if (!md.ok()) {
        return report(cmd, md.error());
    }
    bool first = true;
    for (const auto& t : md->topics) {
        if (t.error_code != client::error_code::none) {
            return report(cmd, client::topic_error(t.error_code, t.name, std::nullopt));
        }
        if (t.internal && names.empty()) {
            continue;
        }
        if (!first) {
            std::printf("\n");
        }
        first = false;
        if (const int code = describe_one(c, t, all_configs); code != 0) {
            return code;
        }
    }
    return 0;
}

int remove(client::Client& c, const std::vector<std::string>& names) {
    for (const std::string& n : names) {
        if (auto r = c.delete_topic(n); !r.ok()) {
            return report("eddy topic delete", r.error());
        }
        std::printf("deleted topic %s\n", n.c_str());
    }
    return 0;
}

struct AlterArgs {
    ClientArgs client;
    std::string name;
    std::vector<std::string> set;
    std::vector<std::string> del;
};

int alter(client::Client& c, const AlterArgs& a) {
    const std::string cmd = "eddy topic alter-config";
    std::vector<client::ConfigChange> changes;
    for (const std::string& kv : a.set) {
        auto p = split_kv(kv);
        if (!p.ok()) {
            return report(cmd, p.error());
        }
        changes.push_back(client::ConfigChange{p->first, p->second});
    }
    for (const std::string& k : a.del) {
        changes.push_back(client::ConfigChange{k, std::nullopt});
    }
    if (changes.empty()) {
        return report(cmd, std::string("nothing to change (use --set KEY=VALUE or --delete KEY)"));
    }
    // Fail early and clearly on a topic that does not exist.
    if (auto t = c.topic(a.name); !t.ok()) {
        return report(cmd, t.error());
    }
    if (auto r = c.alter_topic_configs(a.name, changes); !r.ok()) {
        return report(cmd, r.error());
    }
    std::printf("altered configs of topic %s\n", a.name.c_str());
    return 0;
}

}  // namespace

void add_topic_commands(CLI::App& app, int& exit_code) {
    auto* topic = app.add_subcommand("topic", "Create, list, describe, alter and delete topics");
    topic->require_subcommand(1);

    auto ca = std::make_shared<CreateArgs>();
    auto* create_cmd = topic->add_subcommand("create", "Create a topic");
    create_cmd->add_option("name", ca->name, "Topic name")->required();
    create_cmd
        ->add_option("-p,--partitions", ca->partitions,
                     "Number of partitions (default: the broker's num.partitions)")
        ->check(CLI::Range(1, 1000000));
    create_cmd
        ->add_option("-r,--replication-factor", ca->replication_factor,
                     "Replicas per partition (default: the broker's "
                     "default.replication.factor)")
        ->check(CLI::Range(1, 32767));
    create_cmd->add_option("-c,--config", ca->configs,
                           "Topic config KEY=VALUE, e.g. retention.ms=60000 (repeatable)");
    create_cmd->add_flag("--if-not-exists", ca->if_not_exists,
                         "Succeed silently if the topic already exists");
    add_client_options(create_cmd, ca->client);
    create_cmd->callback([ca, &exit_code] {
        exit_code = run_client("eddy topic create", ca->client,
                               [ca](client::Client& c, Env&) { return create(c, *ca); });
    });

    struct ListArgs {
        ClientArgs client;
        bool internal = false;
    };
    auto la = std::make_shared<ListArgs>();
    auto* list_cmd = topic->add_subcommand("list", "List topics: name, partitions, replicas");
    list_cmd->add_flag("-i,--internal", la->internal, "Include internal topics");
    add_client_options(list_cmd, la->client);
    list_cmd->callback([la, &exit_code] {
        exit_code = run_client("eddy topic list", la->client,
                               [la](client::Client& c, Env&) { return list(c, la->internal); });
    });

    struct DescribeArgs {
        ClientArgs client;
        std::vector<std::string> names;
        bool all_configs = false;
    };
    auto da = std::make_shared<DescribeArgs>();
    auto* describe_cmd = topic->add_subcommand(
        "describe", "Describe topics: partitions, leaders, replicas, ISR and configs");
    describe_cmd->add_option("names", da->names, "Topic names (default: every topic)");
    describe_cmd->add_flag("-a,--all-configs", da->all_configs,
                           "Show every config with its source, not only the topic's overrides");
    add_client_options(describe_cmd, da->client);
    describe_cmd->callback([da, &exit_code] {
        exit_code = run_client("eddy topic describe", da->client, [da](client::Client& c, Env&) {
            return describe(c, da->names, da->all_configs);
        });
    });

    struct DeleteArgs {
        ClientArgs client;
        std::vector<std::string> names;
    };
    auto xa = std::make_shared<DeleteArgs>();
    auto* delete_cmd = topic->add_subcommand("delete", "Delete topics and all their records");
    delete_cmd->add_option("names", xa->names, "Topic names")->required();
    add_client_options(delete_cmd, xa->client);
    delete_cmd->callback([xa, &exit_code] {
        exit_code = run_client("eddy topic delete", xa->client,
                               [xa](client::Client& c, Env&) { return remove(c, xa->names); });
    });

    auto aa = std::make_shared<AlterArgs>();
    auto* alter_cmd = topic->add_subcommand(
        "alter-config", "Set or delete topic config overrides (IncrementalAlterConfigs)");
    alter_cmd->add_option("name", aa->name, "Topic name")->required();
    alter_cmd->add_option("-s,--set", aa->set, "Set KEY=VALUE (repeatable)");
    alter_cmd->add_option("-d,--delete", aa->del,
                          "Delete the override of KEY, back to the default (repeatable)");
    add_client_options(alter_cmd, aa->client);
    alter_cmd->callback([aa, &exit_code] {
        exit_code = run_client("eddy topic alter-config", aa->client,
                               [aa](client::Client& c, Env&) { return alter(c, *aa); });
    });

    struct ElectArgs {
        ClientArgs client;
        std::string type = "preferred";
        std::vector<std::string> topics;
        std::vector<int> partitions;
    };
    auto ea = std::make_shared<ElectArgs>();
    auto* elect_cmd = topic->add_subcommand(
        "elect-leaders",
        "Move leadership back to the preferred replicas, or give leaderless partitions a leader");
    elect_cmd->add_option("--type", ea->type,
                          "preferred (default: the first replica, if in sync) or unclean (any "
                          "live replica of a leaderless partition: may lose acknowledged data)")
        ->check(CLI::IsMember({"preferred", "unclean"}));
    elect_cmd->add_option("--topic", ea->topics, "Only this topic (repeatable; default: all)");
    elect_cmd->add_option("--partition", ea->partitions,
                          "Only these partitions of the --topic (repeatable)");
    elect_cmd->footer(
        "Prints one line per partition: elected, or why not (ELECTION_NOT_NEEDED when the\n"
        "preferred replica already leads, PREFERRED_LEADER_NOT_AVAILABLE when it is out of\n"
        "the ISR or fenced). Without --topic every partition that needs an election is tried.\n"
        "Exits 1 if a partition asked for by name could not be elected (ELECTION_NOT_NEEDED\n"
        "counts as done).");
    add_client_options(elect_cmd, ea->client);
    elect_cmd->callback([ea, &exit_code] {
        exit_code = run_client("eddy topic elect-leaders", ea->client, [ea](client::Client& c,
                                                                           Env&) {
            std::optional<std::vector<std::pair<std::string, int32_t>>> which;
            if (!ea->topics.empty()) {
                which.emplace();
                for (const auto& t : ea->topics) {
                    if (!ea->partitions.empty()) {
                        for (int p : ea->partitions) {
                            which->emplace_back(t, p);
                        }
                        continue;
                    }
                    auto md = c.topic(t);
                    if (!md.ok()) {
                        return report("eddy topic elect-leaders", md.error());
                    }
                    for (const auto& p : md->partitions) {
                        which->emplace_back(t, p.id.value());
                    }
                }
            } else if (!ea->partitions.empty()) {
                std::fprintf(stderr, "eddy topic elect-leaders: --partition needs --topic\n");
                return 2;
            }
            auto r = c.elect_leaders(ea->type == "unclean", which);
            if (!r.ok()) {
                return report("eddy topic elect-leaders", r.error());
            }
            int failed = 0;
            for (const auto& e : *r) {
                if (e.error == 0) {
                    std::printf("%s-%d: elected\n", e.topic.c_str(), e.partition);
                } else {
                    std::printf("%s-%d: %s%s%s\n", e.topic.c_str(), e.partition,
                                client::error_name(e.error), e.message.empty() ? "" : ": ",
                                e.message.c_str());
                    // Already led by the preferred replica is success, as Kafka's tool has it.
                    failed += which.has_value() && e.error != client::error_code::election_not_needed
                                  ? 1
                                  : 0;
                }
            }
            if (r->empty()) {
                std::printf("no partition needed an election\n");
            }
            return failed > 0 ? 1 : 0;
        });
    });

    add_topic_reassign_command(topic, exit_code);

    struct PartitionsArgs {
        ClientArgs client;
        std::string name;
        int total = 0;
    };
    auto pa = std::make_shared<PartitionsArgs>();
    auto* parts_cmd =
        topic->add_subcommand("add-partitions", "Grow a topic to a larger number of partitions");
    parts_cmd->add_option("name", pa->name, "Topic name")->required();
    parts_cmd->add_option("-p,--partitions", pa->total, "The new total number of partitions")
        ->required()
        ->check(CLI::Range(1, 1000000));
    add_client_options(parts_cmd, pa->client);
    parts_cmd->callback([pa, &exit_code] {
        exit_code =
            run_client("eddy topic add-partitions", pa->client, [pa](client::Client& c, Env&) {
                if (auto r = c.create_partitions(pa->name, pa->total); !r.ok()) {
                    return report("eddy topic add-partitions", r.error());
                }
                std::printf("topic %s now has %d partitions\n", pa->name.c_str(), pa->total);
                return 0;
            });
    });
}

}  // namespace eddy::cli
