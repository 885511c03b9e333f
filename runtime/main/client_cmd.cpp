// The client commands' shared plumbing (client_cli.h) and the operator's view of a cluster:
// `eddy cluster info|quorum|health` (their text: services/client/cluster_report.h).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>

#include "runtime/main/client_cli.h"
#include "runtime/main/commands.h"
#include "runtime/posix_env.h"
#include "runtime/sasl_random_openssl.h"
#include "runtime/signals.h"
#include "services/client/cluster_report.h"

namespace eddy::cli {

void add_client_options(CLI::App* cmd, ClientArgs& args) {
    const char* env = std::getenv("EDDY_BROKERS");
    args.brokers = env != nullptr && *env != '\0' ? env : "127.0.0.1:9092";
    cmd->add_option("-b,--brokers,--bootstrap-server", args.brokers,
                    "Bootstrap brokers, host:port[,host:port...] (default: $EDDY_BROKERS, else "
                    "127.0.0.1:9092)");
    cmd->add_option("--timeout-ms", args.timeout_ms,
                    "Give up on a request (retries included) after this many ms (default 30000)")
        ->check(CLI::Range(1, 3600 * 1000));
    cmd->add_option("--command-config", args.command_config,
                    "Properties file with the connection's security settings (librdkafka's keys): "
                    "security.protocol=PLAINTEXT|SSL, ssl.ca.location, ssl.certificate.location, "
                    "ssl.key.location, ssl.key.password, ssl.endpoint.identification.algorithm");
}

Result<std::vector<Address>, std::string> parse_brokers(const std::string& list) {
    std::vector<Address> out;
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(',', start);
        if (end == std::string::npos) {
            end = list.size();
        }
        std::string item = list.substr(start, end - start);
        start = end + 1;
        if (item.empty()) {
            continue;
        }
        Address a;
        const size_t colon = item.rfind(':');
        if (colon == std::string::npos) {
            a.host = item;
            a.port = 9092;
        } else {
            a.host = item.substr(0, colon);
            const std::string port = item.substr(colon + 1);
            char* rest = nullptr;
            const long p = std::strtol(port.c_str(), &rest, 10);
            if (port.empty() || *rest != '\0' || p < 1 || p > 65535 || a.host.empty()) {
                return fail("invalid broker address '" + item + "' (expected host:port)");
            }
            a.port = static_cast<uint16_t>(p);
        }
        if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') {
            a.host = a.host.substr(1, a.host.size() - 2);  // [::1]:9092
        }
        out.push_back(std::move(a));
    }
    if (out.empty()) {
        return fail(std::string("no brokers given (-b host:port)"));
    }
    return out;
}

void print_table(const std::vector<Row>& rows) {
    std::fputs(client::format_table(rows).c_str(), stdout);
}

int report(const std::string& command, const std::string& message) {
    std::fprintf(stderr, "%s: %s\n", command.c_str(), message.c_str());
    return 1;
}

int report(const std::string& command, const client::ClientError& e) {
    return report(command, e.to_string());
}

namespace {

int run_client_impl(const std::string& command, const ClientArgs& args, bool watch_signals,
                    const std::function<int(client::Client&, Env&, const bool&)>& body) {
    auto brokers = parse_brokers(args.brokers);
    if (!brokers.ok()) {
        return report(command, brokers.error());
    }
    PosixEnvOptions po;
    po.data_dir = ".";  // the client touches no files
    po.log_levels = LogLevel::error;
    std::optional<client::SaslCredentials> sasl;
    OpenSSLSaslRandom sasl_random;  // SCRAM client nonces
    if (!args.command_config.empty()) {
        auto security = client_security_from_file(args.command_config);
        if (!security.ok()) {
            return report(command,
                          "--command-config " + args.command_config + ": " + security.error());
        }
        po.client_tls = std::move(security->tls);
        sasl = std::move(security->sasl);
        if (sasl) {
            sasl->random = &sasl_random;
        }
    }
    auto made = PosixEnv::create(po);
    if (!made.ok()) {
        return report(command, made.error());
    }
    PosixEnv& pe = **made;
    // Before any fiber runs (runtime/signals.h).
    std::optional<SignalWatch> signals;
    if (watch_signals) {
        signals.emplace(pe.reactor(), std::initializer_list<int>{SIGTERM, SIGINT});
    }
    client::ClientOptions co;
    co.bootstrap = std::move(brokers).value();
    co.client_id = "eddy-cli";
    co.request_timeout = Duration::millis(args.timeout_ms);
    co.sasl = sasl;
    int code = 1;
    bool done = false;
    bool stopping = false;
    pe.scheduler().spawn("eddy-client", [&] {
        client::Client c(pe.env(), co);
        code = body(c, pe.env(), stopping);
        done = true;
    });
    bool watching = signals.has_value();
    if (signals) {
        pe.scheduler().spawn("signals", [&] {
            while (!done && !stopping) {
                if (signals->wait(pe.scheduler().now() + Duration::millis(200)).ok()) {
                    stopping = true;
                }
            }
            watching = false;
        });
    }
    pe.run([&] { return done && !watching; });
    return code;
}

}  // namespace

int run_client(const std::string& command, const ClientArgs& args,
               const std::function<int(client::Client&, Env&)>& body) {
    return run_client_impl(command, args, false,
                           [&](client::Client& c, Env& env, const bool&) { return body(c, env); });
}

int run_client_until_signal(
    const std::string& command, const ClientArgs& args,
    const std::function<int(client::Client&, Env&, const bool& stopping)>& body) {
    return run_client_impl(command, args, true, body);
}

namespace {

int cluster_info(client::Client& c) {
    const std::string cmd = "eddy cluster info";
    auto desc = c.describe_cluster(/*include_fenced=*/true);
    if (!desc.ok()) {
        return report(cmd, desc.error());
    }
    auto md = c.metadata(std::nullopt);
    if (!md.ok()) {
        return report(cmd, md.error());
    }
    size_t internal = 0;
    for (const auto& t : md->topics) {
        internal += t.internal ? 1 : 0;
    }
    std::fputs(client::cluster_info_report(*desc, md->topics.size() - internal).c_str(), stdout);
    return 0;
}

int cluster_quorum(client::Client& c, Env& env) {
    const std::string cmd = "eddy cluster quorum";
    auto desc = c.describe_cluster();
    if (!desc.ok()) {
        return report(cmd, "cannot reach the cluster: " + desc.error().to_string());
    }
    auto q = c.describe_quorum();
    if (!q.ok()) {
        return report(cmd, "cannot describe the quorum: " + q.error().to_string());
    }
    std::fputs(client::quorum_report(desc->cluster_id, *q, env.clock.wall_now()).c_str(), stdout);
    return 0;
}

// What DescribeQuorum answers while the quorum has no leader (an election, or too few voters):
// the listener's forward times out or the controller it reached does not lead.
bool no_leader_error(int16_t code) {
    return code == client::error_code::not_leader_or_follower ||
           code == client::error_code::leader_not_available ||
           code == client::error_code::not_controller ||
           code == client::error_code::request_timed_out;
}

// Every problem on its own line on stdout; exit 1 if there is any, else one "ok" line and 0.
int cluster_health(client::Client& c) {
    auto desc = c.describe_cluster(/*include_fenced=*/true);
    if (!desc.ok()) {
        std::printf("cannot reach the cluster: %s\n", desc.error().to_string().c_str());
        return 1;
    }
    std::vector<std::string> problems;
    auto q = c.describe_quorum();
    if (!q.ok()) {
        problems.push_back((no_leader_error(q.error().code) ? "no quorum leader ("
                                                            : "cannot describe the quorum (") +
                           q.error().to_string() + ")");
    } else {
        problems = client::quorum_problems(*q);
    }
    for (auto& p : client::broker_problems(*desc)) {
        problems.push_back(std::move(p));
    }
    if (auto md = c.metadata(std::nullopt); md.ok()) {
        // min.insync.replicas only matters where the ISR is short: ask for those topics only.
        std::map<std::string, int32_t> min_isr;
        auto min_isr_of = [&](const std::string& topic) {
            auto it = min_isr.find(topic);
            if (it != min_isr.end()) {
                return it->second;
            }
            int32_t m = 1;
            if (auto configs = c.describe_topic_configs(topic); configs.ok()) {
                for (const auto& e : *configs) {
                    if (e.name == "min.insync.replicas" && e.value) {
                        m = std::max(1, std::atoi(e.value->c_str()));
                    }
                }
            }
            min_isr[topic] = m;
            return m;
        };
        for (auto& p : client::partition_problems(*md, min_isr_of)) {
            problems.push_back(std::move(p));
        }
    } else {
        problems.push_back("cannot read the partitions' metadata (" + md.error().to_string() + ")");
    }
    // Registered and unfenced is not enough: a broker killed a moment ago stays so until its
    // session expires (broker.session.timeout.ms). Ask each one.
    size_t live = 0;
    for (const auto& b : desc->brokers) {
        if (b.fenced) {
            continue;
        }
        if (auto r = c.reach(b.address); !r.ok()) {
            problems.push_back("broker " + std::to_string(b.id.value()) + " is unreachable at " +
                               b.address.to_string() + " (" + r.error().to_string() + ")");
        } else {
            ++live;
        }
    }
    for (const auto& p : problems) {
        std::printf("%s\n", p.c_str());
    }
    if (!problems.empty()) {
        return 1;
    }
    std::printf("ok: quorum leader %d (epoch %d), %zu brokers live\n", q->leader.value(),
                q->leader_epoch, live);
    return 0;
}

}  // namespace

void add_cluster_commands(CLI::App& app, int& exit_code) {
    auto* cluster = app.add_subcommand(
        "cluster",
        "The operator's view of a cluster: its brokers, its metadata quorum, its health");
    cluster->require_subcommand(1);
    struct Command {
        const char* name;
        const char* summary;  // one line, in `eddy cluster --help`
        const char* details;  // the footer of `eddy cluster <name> --help`
        int (*body)(client::Client&, Env&);
    };
    static const Command commands[] = {
        {"info", "Every registered broker with its state, the cluster id and the controller",
         "Prints the cluster id, the controller clients are told about, the number of topics,\n"
         "and every registered broker with its address and state:\n"
         "  live    registered, unfenced: it serves clients\n"
         "  fenced  registered but not serving: its heartbeats stopped (its session expired)\n"
         "          or it has not caught up with the metadata log yet\n"
         "Fenced brokers come from DescribeCluster v2 (KIP-1073); a broker without it lists the\n"
         "live brokers only.",
         [](client::Client& c, Env&) { return cluster_info(c); }},
        {"quorum", "The metadata quorum: leader, epoch, high watermark, each replica's lag",
         "Asks the active controller (DescribeQuorum, forwarded by the broker reached) and prints\n"
         "what `kafka-metadata-quorum describe --status` and `--replication` print together:\n"
         "  ClusterId, LeaderId, LeaderEpoch, HighWatermark\n"
         "  MaxFollowerLag        records between the leader's log end and the voter furthest\n"
         "                        behind\n"
         "  MaxFollowerLagTimeMs  how long before the leader that voter was last caught up\n"
         "  CurrentVoters, CurrentObservers (observers: broker-only nodes)\n"
         "then a row per voter and observer: NodeId, LogEndOffset, Lag (the leader's log end\n"
         "minus its own), LastFetchTimestamp and LastCaughtUpTimestamp (as 'N ms ago' on this\n"
         "machine's clock; '-' when never) and Status (Leader, Follower or Observer).\n"
         "Exits 1 with one line on stderr when the cluster cannot be reached or the quorum has\n"
         "no leader (after retrying for --timeout-ms).",
         cluster_quorum},
        {"health",
         "Exit 0 if the quorum has a leader, every broker is up and every partition fully "
         "replicated, else list problems",
         "Exits 0, printing one 'ok: ...' line, when the metadata quorum has a leader, every\n"
         "registered broker is unfenced and answers a connection, and every partition has a\n"
         "leader and all its replicas in sync. Otherwise prints each problem on its own line on\n"
         "stdout and exits 1:\n"
         "  no quorum leader (...)\n"
         "  broker 3 is fenced\n"
         "  broker 3 is unreachable at host:port (...)   (killed, not yet fenced)\n"
         "  partition orders-2 is offline (no leader; ISR [3], replicas [1,2,3])\n"
         "  partition orders-0 is under min ISR (ISR [1], min.insync.replicas=2)\n"
         "  partition orders-1 is under-replicated (ISR [1,2] of replicas [1,2,3])\n"
         "  cannot reach the cluster: ...\n"
         "Usage errors exit 2. Without a quorum leader the check takes up to --timeout-ms.",
         [](client::Client& c, Env&) { return cluster_health(c); }},
    };
    auto args = std::make_shared<ClientArgs>();
    for (const Command& command : commands) {
        auto* sub = cluster->add_subcommand(command.name, command.summary);
        sub->footer(command.details);
        add_client_options(sub, *args);
        sub->callback([args, &exit_code, &command] {
            exit_code =
                run_client(std::string("eddy cluster ") + command.name, *args, command.body);
        });
    }
}

int usage_exit_code(const CLI::App& app, int cli11_code) {
    // `eddy cluster ...` is for scripts and monitors: 0 healthy, 1 not, 2 the command was wrong;
    // so is `eddy topic reassign` (0 done, 1 refused or not done in time). Other commands keep
    // CLI11's codes.
    const bool reassign =
        app.got_subcommand("topic") && app.get_subcommand("topic")->got_subcommand("reassign");
    if (cli11_code != 0 && (app.got_subcommand("cluster") || reassign)) {
        return 2;
    }
    return cli11_code;
}

void add_client_commands(CLI::App& app, int& exit_code) {
    add_topic_commands(app, exit_code);
    add_produce_command(app, exit_code);
    add_consume_command(app, exit_code);
    add_cluster_commands(app, exit_code);
    add_group_commands(app, exit_code);
    add_user_commands(app, exit_code);
    add_acl_commands(app, exit_code);
    add_quota_commands(app, exit_code);
}

}  // namespace eddy::cli
