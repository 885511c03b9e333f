// `eddy topic reassign`: moves partitions to other brokers (AlterPartitionReassignments,
// KIP-455), cancels such moves, lists those in progress (ListPartitionReassignments) and, unless
// told not to, waits until each partition it started is on its target replicas, printing its
// progress. The plan and the progress lines are services/client/reassignment_plan.h; this file is
// the command line, the file and the waiting.
//
// Exit codes: 0 every named partition done (or cancelled, or started with --no-wait), 1 a
// partition refused or not done within --timeout-ms (its reassignment goes on), 2 usage errors
// (a bad option or plan file).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "runtime/main/client_cli.h"
#include "services/client/reassignment_plan.h"

namespace eddy::cli {
namespace {

constexpr const char* command = "eddy topic reassign";
constexpr size_t plan_file_bytes_max = 64 << 20;
constexpr int exit_usage = 2;
// How often the wait asks the controller, and how long an unchanged progress line stays unsaid.
constexpr Duration poll_interval = Duration::seconds(1);
constexpr Duration repeat_interval = Duration::seconds(5);

struct ReassignArgs {
    ClientArgs client;
    std::string topic;
    int partition = -1;
    std::string replicas;
    std::string json_file;
    bool cancel = false;
    bool list = false;
    bool no_wait = false;
};

using Key = std::pair<std::string, int32_t>;
using Plan = std::vector<client::PartitionReassignment>;

Result<std::string, std::string> read_plan_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail("cannot read the reassignment file " + path);
    }
    std::string text;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        text.append(buf, static_cast<size_t>(in.gcount()));
        if (text.size() > plan_file_bytes_max) {
            return fail(path + " is larger than " + std::to_string(plan_file_bytes_max) + " bytes");
        }
    }
    if (in.bad()) {
        return fail("cannot read the reassignment file " + path);
    }
    return text;
}

// The partitions the options name, with their targets (nullopt with --cancel). A usage error is
// one line.
Result<Plan, std::string> plan_of(const ReassignArgs& a) {
    const bool by_file = !a.json_file.empty();
    if (a.list) {
        if (a.cancel || by_file || !a.replicas.empty() || a.no_wait) {
            return fail(std::string("--list takes only --topic and --partition"));
        }
        return Plan{};
    }
    if (by_file && (!a.topic.empty() || a.partition >= 0 || !a.replicas.empty())) {
        return fail(
            std::string("--reassignment-json-file excludes --topic, --partition and --replicas"));
    }
    if (a.cancel && !a.replicas.empty()) {
        return fail(std::string("--cancel takes no --replicas"));
    }
    Plan plan;
    if (by_file) {
        auto text = read_plan_file(a.json_file);
        if (!text.ok()) {
            return fail(text.error());
        }
        auto parsed = client::parse_reassignment_json(*text);
        if (!parsed.ok()) {
            return fail(a.json_file + ": " + parsed.error());
        }
        plan = std::move(parsed).value();
    } else {
        if (a.topic.empty() || a.partition < 0 || (a.replicas.empty() && !a.cancel)) {
            return fail(std::string(a.cancel ? "--cancel needs --topic and --partition, or "
                                               "--reassignment-json-file"
                                             : "name the move: --topic T --partition P --replicas "
                                               "1,2,3, or --reassignment-json-file F"));
        }
        client::PartitionReassignment r;
        r.topic = a.topic;
        r.partition = a.partition;
        if (!a.cancel) {
            auto ids = client::parse_replica_list(a.replicas);
            if (!ids.ok()) {
                return fail(ids.error());
            }
            r.replicas = std::move(ids).value();
        }
        plan.push_back(std::move(r));
    }
    if (a.cancel) {
        for (auto& r : plan) {
            r.replicas = std::nullopt;  // Kafka's --cancel takes the plan file too
        }
    }
    return plan;
}

int list(client::Client& c, const ReassignArgs& a) {
    auto r = c.list_partition_reassignments(std::nullopt);
    if (!r.ok()) {
        return report(command, r.error());
    }
    int shown = 0;
    for (const auto& o : *r) {
        if ((!a.topic.empty() && o.topic != a.topic) ||
            (a.partition >= 0 && o.partition != a.partition)) {
            continue;
        }
        std::printf("%s-%d: replicas %s adding %s removing %s\n", o.topic.c_str(), o.partition,
                    client::id_list(o.replicas).c_str(), client::id_list(o.adding).c_str(),
                    client::id_list(o.removing).c_str());
        ++shown;
    }
    if (shown == 0) {
        std::printf("no partition reassignments in progress\n");
    }
    return 0;
}

// Where each partition of `pending` stands (in its order): the controller's list of
// reassignments under way, and Metadata.
Result<std::vector<client::ReassignmentProgress>, client::ClientError> observe(
    client::Client& c, const Plan& pending) {
    std::vector<client::TopicPartition> which;
    std::vector<std::string> topics;
    for (const auto& p : pending) {
        which.push_back({p.topic, PartitionId(p.partition)});
        if (std::find(topics.begin(), topics.end(), p.topic) == topics.end()) {
            topics.push_back(p.topic);
        }
    }
    TRY_ASSIGN(auto ongoing, c.list_partition_reassignments(which));
    TRY_ASSIGN(auto md, c.metadata(topics));
    std::vector<client::ReassignmentProgress> out;
    for (const auto& p : pending) {
        std::optional<client::OngoingReassignment> o;
        for (const auto& x : ongoing) {
            if (x.topic == p.topic && x.partition == p.partition) {
                o = x;
            }
        }
        std::optional<client::PartitionMetadata> pm;
        for (const auto& t : md.topics) {
            for (const auto& q : t.partitions) {
                if (t.name == p.topic && q.id.value() == p.partition) {
                    pm = q;
                }
            }
        }
        out.push_back(client::reassignment_progress(p.topic, p.partition, *p.replicas, o, pm));
    }
    return out;
}

// Polls the controller's list and Metadata about once a second until every partition of
// `pending` is done, the deadline passes or a signal arrives. A partition's line is printed when
// it changes (or every repeat_interval). Returns how many were not done.
size_t wait_until_done(client::Client& c, Env& env, Plan pending, Instant deadline,
                       const bool& stopping) {
    struct Said {
        std::string line;
        Instant at;
    };
    std::map<Key, Said> said;
    std::string last_error;
    while (true) {
        auto seen = observe(c, pending);
        if (!seen.ok()) {
            const std::string e = seen.error().to_string();
            if (e != last_error) {
                std::fprintf(stderr, "%s: cannot see the progress: %s; retrying\n", command,
                             e.c_str());
                last_error = e;
            }
        } else {
            last_error.clear();
            Plan left;
            const Instant now = env.scheduler.now();
            for (size_t i = 0; i < pending.size(); ++i) {
                const client::PartitionReassignment& p = pending[i];
                const client::ReassignmentProgress& progress = (*seen)[i];
                const Key key{p.topic, p.partition};
                const auto it = said.find(key);
                if (progress.done || it == said.end() || it->second.line != progress.line ||
                    now - it->second.at >= repeat_interval) {
                    std::printf("%s\n", progress.line.c_str());
                    said[key] = Said{progress.line, now};
                }
                if (!progress.done) {
                    left.push_back(p);
                }
            }
            pending = std::move(left);
            std::fflush(stdout);
        }
        if (pending.empty()) {
            return 0;
        }
        const Instant now = env.scheduler.now();
        if (stopping || now >= deadline) {
            for (const auto& p : pending) {
                std::printf(
                    "%s-%d: not done %s; the reassignment goes on (see --list; --cancel "
                    "stops it)\n",
                    p.topic.c_str(), p.partition,
                    stopping ? "when interrupted" : "within --timeout-ms");
            }
            return pending.size();
        }
        env.scheduler.sleep_for(std::min(poll_interval, deadline - now));
    }
}

int submit(client::Client& c, Env& env, const ReassignArgs& a, const Plan& plan,
           const bool& stopping) {
    const Instant deadline = env.scheduler.now() + Duration::millis(a.client.timeout_ms);
    auto r = c.alter_partition_reassignments(plan);
    if (!r.ok()) {
        return report(command, r.error());
    }
    std::map<Key, const client::PartitionResult*> answers;
    for (const auto& x : *r) {
        answers[{x.topic, x.partition}] = &x;
    }
    size_t failed = 0;
    Plan pending;
    for (const auto& p : plan) {
        const auto it = answers.find({p.topic, p.partition});
        if (it == answers.end()) {
            std::printf("%s-%d: the controller did not answer for it\n", p.topic.c_str(),
                        p.partition);
            ++failed;
        } else if (it->second->error != client::error_code::none) {
            const client::PartitionResult& e = *it->second;
            std::printf("%s-%d: %s%s%s\n", p.topic.c_str(), p.partition,
                        client::error_name(e.error), e.message.empty() ? "" : ": ",
                        e.message.c_str());
            ++failed;
        } else if (!p.replicas) {
            std::printf("%s-%d: reassignment cancelled\n", p.topic.c_str(), p.partition);
        } else {
            std::printf("%s-%d: reassigning to %s\n", p.topic.c_str(), p.partition,
                        client::id_list(*p.replicas).c_str());
            pending.push_back(p);
        }
    }
    std::fflush(stdout);
    if (!a.no_wait && !pending.empty()) {
        failed += wait_until_done(c, env, std::move(pending), deadline, stopping);
    }
    return failed > 0 ? 1 : 0;
}

}  // namespace

void add_topic_reassign_command(CLI::App* topic, int& exit_code) {
    auto ra = std::make_shared<ReassignArgs>();
    auto* cmd = topic->add_subcommand(
        "reassign", "Move partitions to other brokers, cancel such moves, or list those under way");
    cmd->add_option("--topic", ra->topic, "The topic of the partition to move (or to --list)");
    cmd->add_option("--partition", ra->partition, "The partition to move (or to --list)")
        ->check(CLI::Range(0, INT32_MAX));
    cmd->add_option("--replicas", ra->replicas,
                    "Its new replicas, broker ids like 2,3,4 (the first is the preferred leader)");
    cmd->add_option("--reassignment-json-file", ra->json_file,
                    "Many partitions at once, in kafka-reassign-partitions' format")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--cancel", ra->cancel,
                  "Cancel the named partitions' reassignments: back to their original replicas");
    cmd->add_flag("--list", ra->list, "Print the reassignments in progress");
    cmd->add_flag("--no-wait", ra->no_wait, "Start the reassignments and exit");
    cmd->footer(
        "Moving a partition adds its new replicas, which copy the log from the leader; once all\n"
        "of them are in sync the old ones leave, leadership moves if the leader left, and the\n"
        "removed brokers delete their copy. Writes go on throughout.\n"
        "\n"
        "  eddy topic reassign --topic orders --partition 0 --replicas 2,3,4\n"
        "  eddy topic reassign --reassignment-json-file plan.json\n"
        "      {\"version\":1,\"partitions\":[{\"topic\":\"orders\",\"partition\":0,"
        "\"replicas\":[2,3,4]}]}\n"
        "  eddy topic reassign --list\n"
        "  eddy topic reassign --cancel --topic orders --partition 0\n"
        "\n"
        "After starting, it waits (unless --no-wait) until every partition is on its new\n"
        "replicas, printing a partition's progress when it changes, e.g.\n"
        "  orders-0: adding [4], removing [1], in sync 2 of 3 target replicas\n"
        "  orders-0: done, replicas [2,3,4], leader 2\n"
        "--timeout-ms bounds the wait (default 30000); a reassignment not done by then goes on.\n"
        "--list prints 'T-P: replicas [..] adding [..] removing [..]' per partition under way.\n"
        "Refused partitions print their error (INVALID_REPLICA_ASSIGNMENT: an unknown broker or\n"
        "a repeated one; NO_REASSIGNMENT_IN_PROGRESS: nothing to cancel).\n"
        "Exit: 0 all done, 1 a partition refused or not done in time, 2 usage errors.");
    add_client_options(cmd, ra->client);
    cmd->callback([ra, &exit_code] {
        auto plan = plan_of(*ra);
        if (!plan.ok()) {
            report(command, plan.error());
            exit_code = exit_usage;
            return;
        }
        const Plan p = std::move(plan).value();
        exit_code = run_client_until_signal(
            command, ra->client, [ra, p](client::Client& c, Env& env, const bool& stopping) {
                return ra->list ? list(c, *ra) : submit(c, env, *ra, p, stopping);
            });
    });
}

}  // namespace eddy::cli
