// `eddy consume TOPIC`: reads records from a topic's partitions and prints them. Without --follow
// it stops at the high watermark each partition had when it started (or was assigned), or after
// --count records; with --follow it keeps waiting for new records.
//
// Without --group it reads every partition (or one) on its own, like kcat -C. With --group it is
// a member of that consumer group, like kafka-console-consumer --group: the group's coordinator
// assigns it partitions (range assignor), it starts from the group's committed offsets (--offset
// only where there is none, as auto.offset.reset), commits its position every second and when it
// stops, and leaves the group on exit, SIGINT or SIGTERM so its partitions move at once.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/main/client_cli.h"
#include "services/client/group_member.h"
#include "services/client/offset_spec.h"
#include "services/client/record_format.h"

namespace eddy::cli {
namespace {

struct ConsumeArgs {
    ClientArgs client;
    std::string topic;
    int partition = -1;
    std::string offset = "start";
    int64_t count = -1;
    std::string format;
    std::string output = "text";
    bool follow = false;
    std::string group;
    int session_timeout_ms = 10000;
};

struct Position {
    PartitionId partition;
    Offset next;
    Offset end;  // stop here unless following
    int empty_fetches = 0;
};

// Writes records already formatted; an exit code if the command must end. A closed pipe
// (`eddy consume -F T | head`) ends it quietly, as SIGPIPE would (the runtime blocks it); other
// write errors are reported.
std::optional<int> write_out(const std::string& cmd, const std::string& out) {
    if (out.empty() || (std::fwrite(out.data(), 1, out.size(), stdout) == out.size() &&
                        std::fflush(stdout) == 0)) {
        return std::nullopt;
    }
    return errno == EPIPE
               ? 0
               : report(cmd, std::string("cannot write to stdout: ") + std::strerror(errno));
}

// Where reading a partition starts: the group's committed offset if there is one, else --offset;
// and where it ends unless following (the high watermark now).
Result<Position, client::ClientError> start_position(client::Client& c, const std::string& topic,
                                                     PartitionId p,
                                                     const std::optional<Offset>& committed,
                                                     const client::OffsetSpec& spec) {
    TRY_ASSIGN(auto start, c.list_offset(topic, p, -2));
    TRY_ASSIGN(auto end, c.list_offset(topic, p, -1));
    const int64_t log_start = start.value_or(Offset(0)).value();
    const int64_t hw = end.value_or(Offset(0)).value();
    if (committed) {
        return Position{p, *committed, Offset(hw)};
    }
    std::optional<int64_t> ts_offset;
    if (spec.kind == client::OffsetSpec::Kind::timestamp) {
        TRY_ASSIGN(auto t, c.list_offset(topic, p, spec.value));
        if (t) {
            ts_offset = t->value();
        }
    }
    return Position{p, Offset(client::resolve_offset(spec, log_start, hw, ts_offset)), Offset(hw)};
}

int consume_group(client::Client& c, Env& env, const ConsumeArgs& a, const client::OffsetSpec& spec,
                  const client::RecordFormatter& formatter, const bool& stopping);

int consume(client::Client& c, Env& env, const ConsumeArgs& a, const bool& stopping) {
    const std::string cmd = "eddy consume";
    auto spec = client::parse_offset_spec(a.offset);
    if (!spec.ok()) {
        return report(cmd, spec.error());
    }
    if (a.output != "text" && a.output != "json") {
        return report(cmd, "invalid --output '" + a.output + "' (expected text or json)");
    }
    if (a.output == "json" && !a.format.empty()) {
        return report(cmd, std::string("--format and --output json exclude each other"));
    }
    auto formatter = client::RecordFormatter::parse(a.format.empty() ? "%v" : a.format);
    if (!formatter.ok()) {
        return report(cmd, formatter.error());
    }
    const bool json = a.output == "json";
    if (!a.group.empty()) {
        if (a.partition >= 0) {
            return report(cmd, std::string("--partition and --group exclude each other: the "
                                           "group assigns the partitions"));
        }
        return consume_group(c, env, a, *spec, *formatter, stopping);
    }

    auto topic = c.topic(a.topic);
    if (!topic.ok()) {
        return report(cmd, topic.error());
    }
    std::vector<Position> positions;
    for (const auto& p : topic->partitions) {
        if (a.partition >= 0 && p.id.value() != a.partition) {
            continue;
        }
        auto pos = start_position(c, a.topic, p.id, std::nullopt, *spec);
        if (!pos.ok()) {
            return report(cmd, pos.error());
        }
        positions.push_back(*pos);
    }
    if (positions.empty()) {
        return report(cmd,
                      "topic '" + a.topic + "' has no partition " + std::to_string(a.partition));
    }

    int64_t printed = 0;
    bool warned = false;
    const bool limited = a.count >= 0;
    client::FetchOptions fo;
    fo.max_wait =
        a.follow
            ? Duration::millis(std::max<int64_t>(50, 500 / static_cast<int64_t>(positions.size())))
            : Duration::millis(100);
    fo.max_bytes = 4 * 1024 * 1024;
    while (!stopping) {
        bool active = false;
        for (Position& pos : positions) {
            if (limited && printed >= a.count) {
                return 0;
            }
            if (!a.follow && pos.next >= pos.end) {
                continue;
            }
            active = true;
            auto r = c.fetch(a.topic, pos.partition, pos.next, fo);
            if (!r.ok()) {
                if (r.error().code == client::error_code::offset_out_of_range) {
                    // Retention removed what we were reading: continue at the log start.
                    auto s = c.list_offset(a.topic, pos.partition, -2);
                    if (s.ok() && *s && **s > pos.next) {
                        pos.next = **s;
                        continue;
                    }
                }
                if (a.follow && client::is_retriable(r.error().code)) {
                    // Following outlives broker restarts, as a Kafka consumer does: say so once
                    // per outage and keep trying.
                    if (!warned) {
                        report(cmd, r.error().to_string() + "; retrying");
                        warned = true;
                    }
                    env.scheduler.sleep_for(Duration::seconds(1));
                    continue;
                }
                return report(cmd, r.error());
            }
            warned = false;
            std::string out;
            for (const auto& rec : r->records) {
                if (!a.follow && rec.offset >= pos.end) {
                    break;
                }
                if (limited && printed >= a.count) {
                    break;
                }
                out += json ? client::format_json(rec) : formatter->format(rec);
                ++printed;
            }
            if (auto stop = write_out(cmd, out)) {
                return *stop;
            }
            if (r->next_offset > pos.next) {
                pos.next = r->next_offset;
                pos.empty_fetches = 0;
            } else if (!a.follow) {
                // Nothing readable below the end we aimed for (it may have been deleted or
                // compacted away): give up on this partition after a few tries.
                if (r->high_watermark <= pos.next || ++pos.empty_fetches >= 20) {
                    pos.end = pos.next;
                }
            }
        }
        if (!active || (limited && printed >= a.count)) {
            return 0;
        }
    }
    return 0;
}

int consume_group(client::Client& c, Env& env, const ConsumeArgs& a, const client::OffsetSpec& spec,
                  const client::RecordFormatter& formatter, const bool& stopping) {
    const std::string cmd = "eddy consume";
    const bool json = a.output == "json";
    client::GroupMemberOptions mo;
    mo.group_id = a.group;
    mo.topics = {a.topic};
    mo.session_timeout = Duration::millis(a.session_timeout_ms);
    mo.heartbeat_interval = mo.session_timeout / 3;
    mo.rebalance_timeout = Duration::seconds(60);
    client::GroupMember member(env, c, mo);
    std::vector<Position> positions;
    const Duration commit_interval = Duration::seconds(1);
    Instant next_commit = env.scheduler.now() + commit_interval;
    int64_t printed = 0;
    const bool limited = a.count >= 0;

    auto commit = [&] {
        if (!member.active() || positions.empty()) {
            return;
        }
        std::vector<client::CommittedOffset> offsets;
        for (const Position& p : positions) {
            offsets.push_back({a.topic, p.partition, p.next});
        }
        if (auto r = member.commit(offsets); !r.ok() && member.active()) {
            report(cmd, "committing offsets: " + r.error().to_string());
        }
    };
    auto finish = [&](int code) {
        commit();
        if (auto r = member.leave(); !r.ok()) {
            report(cmd, "leaving group '" + a.group + "': " + r.error().to_string());
        }
        return code;
    };

    auto topic = c.topic(a.topic);
    if (!topic.ok()) {
        return report(cmd, topic.error());
    }
    // With --follow a consumer rides out broker restarts, as the plain one does: a retriable
    // error is said once per outage and tried again.
    bool warned = false;
    auto retry_or_fail = [&](const client::ClientError& e) -> std::optional<int> {
        if (a.follow && client::is_retriable(e.code)) {
            if (!warned) {
                report(cmd, e.to_string() + "; retrying");
                warned = true;
            }
            env.scheduler.sleep_for(Duration::seconds(1));
            return std::nullopt;
        }
        return finish(report(cmd, e));
    };
    // Where each assigned partition starts: the group's committed offset, else --offset.
    auto start_assigned = [&]() -> Result<void, client::ClientError> {
        TRY_ASSIGN(auto committed, c.committed_offsets(a.group));
        for (const auto& [t, partition] : member.assignment()) {
            std::optional<Offset> from;
            for (const auto& co : committed) {
                if (co.topic == t && co.partition.value() == partition) {
                    from = co.offset;
                }
            }
            TRY_ASSIGN(Position pos, start_position(c, t, PartitionId(partition), from, spec));
            positions.push_back(pos);
        }
        return {};
    };

    client::FetchOptions fo;
    fo.max_bytes = 4 * 1024 * 1024;
    bool started = false;  // positions hold the current generation's assignment
    while (!stopping && !(limited && printed >= a.count)) {
        if (!member.active()) {
            // The eager protocol: what was read is committed, every partition given up, and the
            // group asked again (the first time, or after a rebalance began).
            commit();
            positions.clear();
            started = false;
            auto joined = member.join(env.scheduler.now() + Duration::millis(a.client.timeout_ms));
            if (!joined.ok()) {
                client::ClientError e = joined.error();
                e.message = "joining group '" + a.group + "': " + e.message;
                if (auto code = retry_or_fail(e)) {
                    return *code;
                }
                continue;
            }
        }
        if (!started) {
            positions.clear();
            if (auto r = start_assigned(); !r.ok()) {
                if (auto code = retry_or_fail(r.error())) {
                    return *code;
                }
                (void)member.heartbeat_if_due();
                continue;
            }
            started = true;
            warned = false;
        }
        bool reading = false;
        fo.max_wait = Duration::millis(std::max<int64_t>(
            50, 500 / static_cast<int64_t>(std::max<size_t>(1, positions.size()))));
        for (Position& pos : positions) {
            if (!a.follow && pos.next >= pos.end) {
                continue;
            }
            reading = true;
            auto r = c.fetch(a.topic, pos.partition, pos.next, fo);
            if (!r.ok()) {
                if (!a.follow && client::is_retriable(r.error().code)) {
                    env.scheduler.sleep_for(Duration::millis(200));
                    break;
                }
                if (auto code = retry_or_fail(r.error())) {
                    return *code;
                }
                break;
            }
            warned = false;
            std::string out;
            for (const auto& rec : r->records) {
                if ((!a.follow && rec.offset >= pos.end) || (limited && printed >= a.count)) {
                    break;
                }
                out += json ? client::format_json(rec) : formatter.format(rec);
                pos.next = rec.offset + 1;
                ++printed;
            }
            if (auto stop = write_out(cmd, out)) {
                return finish(*stop);
            }
            if (!limited || printed < a.count) {
                pos.next = std::max(pos.next, r->next_offset);
            }
            if (r->records.empty() && !a.follow && r->high_watermark <= pos.next) {
                pos.end = pos.next;
            }
        }
        if (!reading && !a.follow) {
            return finish(0);  // every assigned partition read to its end
        }
        if (!reading) {
            env.scheduler.sleep_for(Duration::millis(100));
        }
        (void)member.heartbeat_if_due();
        if (env.scheduler.now() >= next_commit) {
            commit();
            next_commit = env.scheduler.now() + commit_interval;
        }
    }
    return finish(0);
}

}  // namespace

void add_consume_command(CLI::App& app, int& exit_code) {
    auto a = std::make_shared<ConsumeArgs>();
    auto* cmd = app.add_subcommand(
        "consume",
        "Print records of a topic (all partitions, or one); stops at the end unless --follow");
    cmd->add_option("topic", a->topic, "Topic to read")->required();
    cmd->add_option("-p,--partition", a->partition, "Read only this partition (default: all)")
        ->check(CLI::Range(0, 1000000));
    cmd->add_option("-o,--offset", a->offset,
                    "Where to start in each partition: start (default), end, N (absolute), "
                    "-N (N before the end), +N (N after the start), @MS or @ISO-8601 "
                    "(first record at or after that time, e.g. @2024-05-01T12:00:00Z)");
    cmd->add_option("-n,--count", a->count, "Stop after this many records")
        ->check(CLI::Range(int64_t{0}, INT64_MAX));
    cmd->add_option("-f,--format", a->format,
                    "Output format: %t topic, %p partition, %o offset, %T or %d timestamp (ms), "
                    "%k key, %v or %s value, %K/%S key/value length, %h headers (k=v,...), %%; "
                    "\\n \\t escapes; a newline is added unless the format ends with one "
                    "(default '%v')");
    cmd->add_option("--output", a->output,
                    "text (default; see --format) or json (one object per line: topic, "
                    "partition, offset, timestamp, key, value, headers)");
    cmd->add_flag("-F,--follow", a->follow,
                  "Keep waiting for new records instead of stopping at "
                  "the end");
    cmd->add_option("-g,--group", a->group,
                    "Consume as a member of this consumer group: partitions assigned by the "
                    "group, start at its committed offsets (--offset where none), commit every "
                    "second and on exit");
    cmd->add_option("--session-timeout-ms", a->session_timeout_ms,
                    "With --group: the group drops this member after this long without a "
                    "heartbeat (default 10000)")
        ->check(CLI::Range(1, 1800000));
    add_client_options(cmd, a->client);
    cmd->callback([a, &exit_code] {
        exit_code = run_client_until_signal("eddy consume", a->client,
                                            [a](client::Client& c, Env& env, const bool& stopping) {
                                                return consume(c, env, *a, stopping);
                                            });
    });
}

}  // namespace eddy::cli
