// The client commands' shared plumbing (client_cli.h) and `eddy cluster info`.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "runtime/main/client_cli.h"
#include "runtime/main/commands.h"
#include "runtime/posix_env.h"
#include "runtime/signals.h"

namespace eddy::cli {

void add_client_options(CLI::App* cmd, ClientArgs& args) {
    const char* env = std::getenv("EDDY_BROKERS");
    args.brokers = env != nullptr && *env != '\0' ? env : "127.0.0.1:9092";
    cmd->add_option("-b,--brokers", args.brokers,
                    "Bootstrap brokers, host:port[,host:port...] (default: $EDDY_BROKERS, else "
                    "127.0.0.1:9092)");
    cmd->add_option("--timeout-ms", args.timeout_ms,
                    "Give up on a request (retries included) after this many ms (default 30000)")
        ->check(CLI::Range(1, 3600 * 1000));
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
    std::vector<size_t> widths;
    for (const Row& r : rows) {
        widths.resize(std::max(widths.size(), r.size()));
        for (size_t i = 0; i < r.size(); ++i) {
            widths[i] = std::max(widths[i], r[i].size());
        }
    }
    for (const Row& r : rows) {
        std::string line;
        for (size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) {
                line.append(widths[i] - r[i].size() + 2, ' ');
            }
        }
        std::printf("%s\n", line.c_str());
    }
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
    po.log_level = LogLevel::error;
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
    auto desc = c.describe_cluster();
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
    std::printf("CLUSTER     %s\n", desc->cluster_id.c_str());
    std::printf("CONTROLLER  %d\n", desc->controller.value());
    std::printf("TOPICS      %zu\n", md->topics.size() - internal);
    std::printf("BROKERS\n");
    std::printf("  ID  ADDRESS\n");
    for (const auto& b : desc->brokers) {
        std::printf("  %-3d %s%s\n", b.id.value(), b.address.to_string().c_str(),
                    b.id == desc->controller ? " (controller)" : "");
    }
    return 0;
}

}  // namespace

void add_cluster_commands(CLI::App& app, int& exit_code) {
    auto* cluster = app.add_subcommand("cluster", "Cluster-wide information");
    cluster->require_subcommand(1);
    auto args = std::make_shared<ClientArgs>();
    auto* info = cluster->add_subcommand(
        "info", "Print the cluster id, the controller, the brokers and the number of topics");
    add_client_options(info, *args);
    info->callback([args, &exit_code] {
        exit_code = run_client("eddy cluster info", *args,
                               [](client::Client& c, Env&) { return cluster_info(c); });
    });
}

void add_client_commands(CLI::App& app, int& exit_code) {
    add_topic_commands(app, exit_code);
    add_produce_command(app, exit_code);
    add_consume_command(app, exit_code);
    add_cluster_commands(app, exit_code);
    add_group_commands(app, exit_code);
}

}  // namespace eddy::cli
