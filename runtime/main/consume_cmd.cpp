// `eddy consume TOPIC`: reads records from a topic's partitions (no consumer group) and prints
// them. Without --follow it stops at the high watermark each partition had when it started, or
// after --count records; with --follow it keeps waiting for new records.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/main/client_cli.h"
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
};

struct Position {
    PartitionId partition;
    Offset next;
    Offset end;  // stop here unless following
    int empty_fetches = 0;
};

int consume(client::Client& c, Env& env, const ConsumeArgs& a) {
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

    auto topic = c.topic(a.topic);
    if (!topic.ok()) {
        return report(cmd, topic.error());
    }
    std::vector<Position> positions;
    for (const auto& p : topic->partitions) {
        if (a.partition >= 0 && p.id.value() != a.partition) {
            continue;
        }
        auto start = c.list_offset(a.topic, p.id, -2);
        auto end = c.list_offset(a.topic, p.id, -1);
        if (!start.ok() || !end.ok()) {
            return report(cmd, start.ok() ? end.error() : start.error());
        }
        const int64_t log_start = start->value_or(Offset(0)).value();
        const int64_t hw = end->value_or(Offset(0)).value();
        std::optional<int64_t> ts_offset;
        if (spec->kind == client::OffsetSpec::Kind::timestamp) {
            auto t = c.list_offset(a.topic, p.id, spec->value);
            if (!t.ok()) {
                return report(cmd, t.error());
            }
            if (*t) {
                ts_offset = (*t)->value();
            }
        }
        const int64_t from = client::resolve_offset(*spec, log_start, hw, ts_offset);
        positions.push_back(Position{p.id, Offset(from), Offset(hw)});
    }
    if (positions.empty()) {
        return report(cmd, "topic '" + a.topic + "' has no partition " +
                               std::to_string(a.partition));
    }

    int64_t printed = 0;
    bool warned = false;
    const bool limited = a.count >= 0;
    client::FetchOptions fo;
    fo.max_wait = a.follow ? Duration::millis(std::max<int64_t>(50, 500 / static_cast<int64_t>(
                                                                          positions.size())))
                           : Duration::millis(100);
    fo.max_bytes = 4 * 1024 * 1024;
    for (;;) {
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
            if (!out.empty() &&
                (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() ||
                 std::fflush(stdout) != 0)) {
                // A closed pipe (`eddy consume -F T | head`) ends the command quietly, as
                // SIGPIPE would (the runtime blocks it); other write errors are reported.
                return errno == EPIPE ? 0 : report(cmd, std::string("cannot write to stdout: ") +
                                                            std::strerror(errno));
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
    cmd->add_flag("-F,--follow", a->follow, "Keep waiting for new records instead of stopping at "
                                            "the end");
    add_client_options(cmd, a->client);
    cmd->callback([a, &exit_code] {
        exit_code = run_client("eddy consume", a->client,
                               [a](client::Client& c, Env& env) { return consume(c, env, *a); });
    });
}

}  // namespace eddy::cli
