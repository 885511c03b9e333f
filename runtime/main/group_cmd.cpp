// `eddy group list|describe|reset-offsets|delete-offsets|delete`: consumer groups through Eddy's
// client (services/client/): the groups of the cluster; per group its committed offsets, log-end
// offsets, lag and the member that owns each partition (kafka-consumer-groups.sh --describe's
// columns); and kafka-consumer-groups.sh's admin operations. reset-offsets is a dry run unless
// --execute, and only touches a group without members (Empty or Dead), as Kafka does: an admin
// commit (generation -1) would otherwise race the members' own commits.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/main/client_cli.h"
#include "services/client/offset_spec.h"

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
    std::vector<Row> rows{{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                           "CONSUMER-ID", "HOST", "CLIENT-ID"}};
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

// --- reset-offsets, delete-offsets, delete ---------------------------------------------------

// `--topic T[:P,P...]`: a topic and its partitions (empty: every partition of the topic).
struct TopicSpec {
    std::string topic;
    std::vector<int32_t> partitions;
};

Result<TopicSpec, std::string> parse_topic_spec(const std::string& text) {
    const auto colon = text.rfind(':');
    TopicSpec out;
    out.topic = text.substr(0, colon);
    if (out.topic.empty()) {
        return fail("bad --topic '" + text + "': expected TOPIC[:P,P...]");
    }
    if (colon == std::string::npos) {
        return out;
    }
    std::string_view rest = std::string_view(text).substr(colon + 1);
    while (true) {
        const auto comma = rest.find(',');
        const std::string_view part = rest.substr(0, comma);
        int32_t p = -1;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), p);
        if (part.empty() || ec != std::errc() || end != part.data() + part.size() || p < 0) {
            return fail("bad --topic '" + text + "': partitions are numbers, e.g. " + out.topic +
                        ":0,1");
        }
        out.partitions.push_back(p);
        if (comma == std::string_view::npos) {
            break;
        }
        rest = rest.substr(comma + 1);
    }
    std::sort(out.partitions.begin(), out.partitions.end());
    out.partitions.erase(std::unique(out.partitions.begin(), out.partitions.end()),
                         out.partitions.end());
    return out;
}

// An ISO-8601 duration as java.time.Duration.parse reads it (Kafka's --by-duration):
// P[nD][T[nH][nM][n[.fff]S]], at least one part, e.g. P1DT2H, PT1H, PT30M, PT0.5S.
Result<Duration, std::string> parse_iso_duration(std::string_view text) {
    const auto bad = [&] {
        return fail("bad duration '" + std::string(text) + "': expected PnDTnHnMnS, e.g. PT1H");
    };
    std::string_view s = text;
    if (s.empty() || (s[0] != 'P' && s[0] != 'p')) {
        return bad();
    }
    s.remove_prefix(1);
    int64_t nanos = 0;
    bool in_time = false;
    bool any = false;
    while (!s.empty()) {
        if (s[0] == 'T' || s[0] == 't') {
            if (in_time) {
                return bad();
            }
            in_time = true;
            s.remove_prefix(1);
            continue;
        }
        int64_t whole = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), whole);
        if (ec != std::errc() || whole < 0 || end == s.data()) {
            return bad();
        }
        s.remove_prefix(static_cast<size_t>(end - s.data()));
        int64_t frac_nanos = 0;  // only for seconds
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            int64_t scale = 100'000'000;
            size_t digits = 0;
            while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') {
                frac_nanos += (s[digits] - '0') * scale;
                scale /= 10;
                ++digits;
            }
            if (digits == 0 || digits > 9) {
                return bad();
            }
            s.remove_prefix(digits);
            if (s.empty() || (s[0] != 'S' && s[0] != 's')) {
                return bad();
            }
        }
        if (s.empty()) {
            return bad();
        }
        int64_t unit = 0;
        switch (s[0]) {
            case 'D':
            case 'd':
                unit = in_time ? 0 : 86'400'000'000'000;
                break;
            case 'H':
            case 'h':
                unit = in_time ? 3'600'000'000'000 : 0;
                break;
            case 'M':
            case 'm':
                unit = in_time ? 60'000'000'000 : 0;
                break;
            case 'S':
            case 's':
                unit = in_time ? 1'000'000'000 : 0;
                break;
            default:
                break;
        }
        // Ten thousand days is far beyond any retention and keeps the sum from overflowing.
        if (unit == 0 || whole > 10'000 * (86'400'000'000'000 / unit)) {
            return bad();
        }
        nanos += whole * unit + frac_nanos;
        any = true;
        s.remove_prefix(1);
    }
    if (!any) {
        return bad();
    }
    return Duration::nanos(nanos);
}

// Exactly one of the reset targets (kafka-consumer-groups.sh --reset-offsets).
struct ResetArgs {
    ClientArgs client;
    std::string group;
    std::vector<std::string> topics;
    bool all_topics = false;
    bool execute = false;
    bool dry_run = false;  // the default; accepted for kafka-consumer-groups.sh users
    bool to_earliest = false;
    bool to_latest = false;
    std::optional<int64_t> to_offset;
    std::optional<int64_t> shift_by;
    std::string to_datetime;
    std::string by_duration;
};

// The new offset of one partition, before clamping; a timestamp target is resolved by
// ListOffsets. nullopt: the log end (no record at or after the timestamp).
struct Target {
    enum class Kind { earliest, latest, offset, shift, timestamp } kind = Kind::earliest;
    int64_t value = 0;
};

Result<Target, std::string> parse_target(const ResetArgs& a, Env& env) {
    int chosen = 0;
    Target t;
    if (a.to_earliest) {
        ++chosen;
        t = {Target::Kind::earliest, 0};
    }
    if (a.to_latest) {
        ++chosen;
        t = {Target::Kind::latest, 0};
    }
    if (a.to_offset) {
        ++chosen;
        t = {Target::Kind::offset, *a.to_offset};
    }
    if (a.shift_by) {
        ++chosen;
        t = {Target::Kind::shift, *a.shift_by};
    }
    if (!a.to_datetime.empty()) {
        ++chosen;
        TRY_ASSIGN(const int64_t ms, client::parse_iso8601_ms(a.to_datetime));
        t = {Target::Kind::timestamp, ms};
    }
    if (!a.by_duration.empty()) {
        ++chosen;
        TRY_ASSIGN(const Duration d, parse_iso_duration(a.by_duration));
        t = {Target::Kind::timestamp, (env.clock.wall_now() - d).to_millis()};
    }
    if (chosen != 1) {
        return fail(std::string("give exactly one of --to-earliest, --to-latest, --to-offset, ") +
                    "--shift-by, --to-datetime, --by-duration");
    }
    return t;
}

// The partitions named by --topic specs (all of a topic's when none are given).
Result<std::vector<client::TopicPartition>, std::string> resolve_partitions(
    client::Client& c, const std::vector<std::string>& specs) {
    std::vector<client::TopicPartition> out;
    for (const auto& text : specs) {
        TRY_ASSIGN(TopicSpec spec, parse_topic_spec(text));
        if (spec.partitions.empty()) {
            auto md = c.topic(spec.topic);
            if (!md.ok()) {
                return fail(md.error().to_string());
            }
            for (const auto& p : md->partitions) {
                spec.partitions.push_back(p.id.value());
            }
        }
        for (const int32_t p : spec.partitions) {
            out.push_back({spec.topic, PartitionId(p)});
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
        return std::make_pair(x.topic, x.partition.value()) <
               std::make_pair(y.topic, y.partition.value());
    });
    return out;
}

int reset_offsets(client::Client& c, Env& env, const ResetArgs& a) {
    const std::string cmd = "eddy group reset-offsets";
    auto target = parse_target(a, env);
    if (!target.ok()) {
        return report(cmd, target.error());
    }
    if (a.execute && a.dry_run) {
        return report(cmd, "give --execute or --dry-run, not both");
    }
    if (a.all_topics == !a.topics.empty()) {
        return report(cmd, "give --topic T[:P,P...] (repeatable) or --all-topics");
    }
    auto desc = c.describe_group(a.group);
    if (!desc.ok()) {
        return report(cmd, desc.error());
    }
    if (desc->state != "Empty" && desc->state != "Dead") {
        return report(cmd, "group '" + a.group + "' is active (state " + desc->state +
                               "): stop its consumers first");
    }
    auto committed = c.committed_offsets(a.group);
    if (!committed.ok()) {
        return report(cmd, committed.error());
    }
    std::map<std::pair<std::string, int32_t>, int64_t> current;
    for (const auto& o : *committed) {
        current[{o.topic, o.partition.value()}] = o.offset.value();
    }
    std::vector<client::TopicPartition> partitions;
    if (a.all_topics) {
        // Kafka's --all-topics: every partition the group has a committed offset for.
        for (const auto& o : *committed) {
            partitions.push_back({o.topic, o.partition});
        }
    } else {
        auto resolved = resolve_partitions(c, a.topics);
        if (!resolved.ok()) {
            return report(cmd, resolved.error());
        }
        partitions = std::move(*resolved);
    }
    std::vector<client::CommittedOffset> next;
    std::vector<Row> rows{{"GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"}};
    for (const auto& tp : partitions) {
        const std::string where = tp.topic + ":" + std::to_string(tp.partition.value());
        auto start = c.list_offset(tp.topic, tp.partition, -2);
        auto end = c.list_offset(tp.topic, tp.partition, -1);
        if (!start.ok() || !end.ok()) {
            return report(cmd, "partition " + where + ": " +
                                   (start.ok() ? end.error() : start.error()).to_string());
        }
        if (!*start || !*end) {
            return report(cmd, "partition " + where + ": no log start or end offset");
        }
        const int64_t log_start = (*start)->value();
        const int64_t log_end = (*end)->value();
        int64_t offset = 0;
        switch (target->kind) {
            case Target::Kind::earliest:
                offset = log_start;
                break;
            case Target::Kind::latest:
                offset = log_end;
                break;
            case Target::Kind::offset:
                offset = target->value;
                break;
            case Target::Kind::shift: {
                const auto it = current.find({tp.topic, tp.partition.value()});
                if (it == current.end()) {
                    return report(cmd,
                                  "partition " + where + " has no committed offset to shift from");
                }
                offset = it->second + target->value;
                break;
            }
            case Target::Kind::timestamp: {
                auto at = c.list_offset(tp.topic, tp.partition, target->value);
                if (!at.ok()) {
                    return report(cmd, "partition " + where + ": " + at.error().to_string());
                }
                offset = *at ? (*at)->value() : log_end;  // no record that late: the end
                break;
            }
        }
        // Kafka's checkOffsetRange: out-of-range targets move to the nearest valid offset.
        offset = std::clamp(offset, log_start, std::max(log_start, log_end));
        next.push_back({tp.topic, tp.partition, Offset(offset)});
        rows.push_back(
            {a.group, tp.topic, std::to_string(tp.partition.value()), std::to_string(offset)});
    }
    if (a.execute && !next.empty()) {
        auto done = c.commit_offsets(a.group, next);
        if (!done.ok()) {
            return report(cmd, done.error());
        }
    }
    print_table(rows);
    if (!a.execute) {
        std::printf("(dry run: add --execute to commit these offsets)\n");
    }
    return 0;
}

int delete_offsets(client::Client& c, const std::string& group,
                   const std::vector<std::string>& specs) {
    const std::string cmd = "eddy group delete-offsets";
    auto partitions = resolve_partitions(c, specs);
    if (!partitions.ok()) {
        return report(cmd, partitions.error());
    }
    // One call per topic, so an error names its topic.
    std::map<std::string, std::vector<client::TopicPartition>> by_topic;
    for (const auto& tp : *partitions) {
        by_topic[tp.topic].push_back(tp);
    }
    for (const auto& [topic, tps] : by_topic) {
        auto done = c.delete_offsets(group, tps);
        if (!done.ok()) {
            client::ClientError e = done.error();
            if (e.code == client::error_code::group_subscribed_to_topic) {
                e.message = "group '" + group + "' is subscribed to topic '" + topic +
                            "': stop its consumers first";
            } else if (e.code == client::error_code::group_id_not_found) {
                e.message = "group '" + group + "' does not exist";
            }
            return report(cmd, e);
        }
        std::string list;
        for (const auto& tp : tps) {
            list += (list.empty() ? "" : ",") + std::to_string(tp.partition.value());
        }
        std::printf("deleted offsets of group %s for %s:%s\n", group.c_str(), topic.c_str(),
                    list.c_str());
    }
    return 0;
}

int delete_groups(client::Client& c, const std::vector<std::string>& groups) {
    int code = 0;
    for (const auto& g : groups) {
        auto done = c.delete_group(g);
        if (!done.ok()) {
            client::ClientError e = done.error();
            if (e.code == client::error_code::non_empty_group) {
                e.message = "group '" + g + "' is not empty: stop its consumers first";
            } else if (e.code == client::error_code::group_id_not_found) {
                e.message = "group '" + g + "' does not exist";
            }
            code = report("eddy group delete", e);
            continue;
        }
        std::printf("deleted group %s\n", g.c_str());
    }
    return code;
}

}  // namespace

void add_group_commands(CLI::App& app, int& exit_code) {
    auto* group = app.add_subcommand(
        "group", "List, describe and delete consumer groups; reset and delete their offsets");
    group->require_subcommand(1);

    auto la = std::make_shared<ClientArgs>();
    auto* list_cmd = group->add_subcommand("list", "List groups: id, state, protocol type");
    add_client_options(list_cmd, *la);
    list_cmd->callback([la, &exit_code] {
        exit_code =
            run_client("eddy group list", *la, [](client::Client& c, Env&) { return list(c); });
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
    auto ra = std::make_shared<ResetArgs>();
    auto* reset_cmd = group->add_subcommand(
        "reset-offsets",
        "Set a group's committed offsets (dry run unless --execute; the group must have no "
        "members)");
    reset_cmd->add_option("group", ra->group, "Group id")->required();
    reset_cmd->add_option("-t,--topic", ra->topics, "TOPIC[:P,P...] (repeatable)");
    reset_cmd->add_flag("--all-topics", ra->all_topics,
                        "Every partition the group has a committed offset for");
    reset_cmd->add_flag("--to-earliest", ra->to_earliest, "The log start offset");
    reset_cmd->add_flag("--to-latest", ra->to_latest, "The log end offset");
    reset_cmd->add_option("--to-offset", ra->to_offset, "Offset N (clamped to the log)");
    reset_cmd->add_option("--shift-by", ra->shift_by, "The committed offset plus N (may be < 0)");
    reset_cmd->add_option("--to-datetime", ra->to_datetime,
                          "First offset at or after YYYY-MM-DDTHH:mm:SS.sss (UTC unless a zone "
                          "is given)");
    reset_cmd->add_option("--by-duration", ra->by_duration,
                          "First offset at or after now minus PnDTnHnMnS (e.g. PT1H)");
    reset_cmd->add_flag("--execute", ra->execute, "Commit the new offsets");
    reset_cmd->add_flag("--dry-run", ra->dry_run, "Only show the new offsets (the default)");
    add_client_options(reset_cmd, ra->client);
    reset_cmd->callback([ra, &exit_code] {
        exit_code =
            run_client("eddy group reset-offsets", ra->client,
                       [ra](client::Client& c, Env& env) { return reset_offsets(c, env, *ra); });
    });

    struct DeleteOffsetsArgs {
        ClientArgs client;
        std::string group;
        std::vector<std::string> topics;
    };
    auto oa = std::make_shared<DeleteOffsetsArgs>();
    auto* delete_offsets_cmd = group->add_subcommand(
        "delete-offsets", "Delete a group's committed offsets of topics it no longer consumes");
    delete_offsets_cmd->add_option("group", oa->group, "Group id")->required();
    delete_offsets_cmd->add_option("-t,--topic", oa->topics, "TOPIC[:P,P...] (repeatable)")
        ->required();
    add_client_options(delete_offsets_cmd, oa->client);
    delete_offsets_cmd->callback([oa, &exit_code] {
        exit_code = run_client(
            "eddy group delete-offsets", oa->client,
            [oa](client::Client& c, Env&) { return delete_offsets(c, oa->group, oa->topics); });
    });

    struct DeleteArgs {
        ClientArgs client;
        std::vector<std::string> groups;
    };
    auto xa = std::make_shared<DeleteArgs>();
    auto* delete_cmd =
        group->add_subcommand("delete", "Delete groups that have no members, with their offsets");
    delete_cmd->add_option("group", xa->groups, "Group ids")->required();
    add_client_options(delete_cmd, xa->client);
    delete_cmd->callback([xa, &exit_code] {
        exit_code = run_client("eddy group delete", xa->client, [xa](client::Client& c, Env&) {
            return delete_groups(c, xa->groups);
        });
    });
}

}  // namespace eddy::cli
