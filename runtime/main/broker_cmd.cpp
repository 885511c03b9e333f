// `eddy broker [--config server.properties] [--override KEY=VALUE]...`: runs one Eddy node (broker
// and controller roles) on real sockets and files until SIGTERM or SIGINT, then shuts down
// gracefully. Configuration uses Kafka's key names (services/config); an unknown key or invalid
// value is a one-line error and exit status 2. With no arguments: node.id=1,
// listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093, log.dirs=./eddy-data.
// Prints one line per client listener with the address it advertises (the real port when the
// listener asked for port 0).
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/main/commands.h"
#include "runtime/posix_env.h"
#include "runtime/signals.h"
#include "services/config/config.h"
#include "services/kafka/broker.h"

namespace eddy::cli {
namespace {

int run_broker(const std::string& config_file, const std::vector<std::string>& overrides) {
    std::vector<std::pair<std::string, std::string>> file_pairs;
    if (!config_file.empty()) {
        std::ifstream in(config_file);
        if (!in) {
            std::fprintf(stderr, "eddy broker: cannot read %s\n", config_file.c_str());
            return 2;
        }
        std::stringstream text;
        text << in.rdbuf();
        auto parsed = config::parse_properties(text.str());
        if (!parsed.ok()) {
            std::fprintf(stderr, "eddy broker: %s: %s\n", config_file.c_str(),
                         parsed.error().c_str());
            return 2;
        }
        file_pairs = std::move(parsed).value();
    }
    std::vector<std::pair<std::string, std::string>> override_pairs;
    for (const auto& o : overrides) {
        const size_t eq = o.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::fprintf(stderr, "eddy broker: --override expects KEY=VALUE, got '%s'\n",
                         o.c_str());
            return 2;
        }
        override_pairs.emplace_back(o.substr(0, eq), o.substr(eq + 1));
    }
    auto loaded = config::BrokerConfig::load(file_pairs, override_pairs);
    if (!loaded.ok()) {
        std::fprintf(stderr, "eddy broker: %s\n", loaded.error().c_str());
        return 2;
    }
    const config::BrokerConfig cfg = std::move(loaded).value();

    PosixEnvOptions po;
    po.data_dir = cfg.log_dir();
    po.node = NodeId(cfg.node_id());
    po.node_name = "node-" + std::to_string(cfg.node_id());
    auto made = PosixEnv::create(po);
    if (!made.ok()) {
        std::fprintf(stderr, "eddy broker: %s\n", made.error().c_str());
        return 1;
    }
    PosixEnv& pe = **made;
    // Before any fiber runs and before any other thread exists (runtime/signals.h).
    SignalWatch signals(pe.reactor(), {SIGTERM, SIGINT});
    bool done = false;
    int rc = 0;
    pe.scheduler().spawn("broker-main", [&] {
        kafka::BrokerOptions bo;
        bo.data_dir = "";  // the PosixEnv's disk is rooted at the data directory
        bo.log_dir_display = cfg.log_dir();
        kafka::Broker broker(pe.env(), cfg, bo);
        if (auto r = broker.start(); !r.ok()) {
            std::fprintf(stderr, "eddy broker: %s\n", r.error().c_str());
            broker.stop();
            rc = 1;
            done = true;
            return;
        }
        for (const auto& ep : broker.endpoints()) {
            std::printf("eddy broker: node %d listening on %s://%s:%d (data in %s)\n",
                        broker.node_id(), ep.listener.c_str(), ep.host.c_str(), ep.port,
                        cfg.log_dir().c_str());
        }
        std::printf("eddy broker: cluster.id %s\n", broker.cluster_id().c_str());
        std::fflush(stdout);
        auto sig = signals.wait();
        pe.env().log.info("shutting down (%s)",
                          sig.ok() ? (*sig == SIGTERM ? "SIGTERM" : "SIGINT") : "wait failed");
        broker.stop();
        std::printf("eddy broker: stopped\n");
        std::fflush(stdout);
        done = true;
    });
    pe.run([&] { return done; });
    return rc;
}

}  // namespace

void add_broker_command(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("broker", "Run a broker (single node with embedded defaults)");
    static std::string config_file;
    static std::vector<std::string> overrides;
    cmd->add_option("--config", config_file, "server.properties file (Kafka key names)");
    cmd->add_option("--override", overrides, "KEY=VALUE, overrides the config file; repeatable");
    cmd->callback([&exit_code] { exit_code = run_broker(config_file, overrides); });
}

}  // namespace eddy::cli
