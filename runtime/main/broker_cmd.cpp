// `eddy broker [--config server.properties] [--override KEY=VALUE]...`: runs one Eddy node (broker
// and controller roles) on real sockets and files until SIGTERM or SIGINT, then shuts down
// gracefully. Configuration uses Kafka's key names (services/config); an unknown key or invalid
// value is a one-line error and exit status 2, and so is a data directory that belongs to another
// node.id or another cluster (services/controller/meta_properties.h: an unformatted directory is
// formatted at the first start with the cluster id derived from controller.quorum.voters). With
// no arguments: node.id=1, listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,
// log.dirs=./eddy-data.
// Prints one line per client listener with the address it advertises (the real port when the
// listener asked for port 0). Listeners whose security protocol is SSL serve TLS
// (runtime/broker_tls.h; docs/security.md).
// Under systemd (Type=notify, $NOTIFY_SOCKET) it says READY=1 once start() has returned — the
// node is registered, unfenced and serving —, pings the watchdog, and says STOPPING=1 when a
// signal asks it to stop (runtime/systemd_notify.h; docs/deploy.md).
#include <signal.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "runtime/broker_tls.h"
#include "runtime/main/commands.h"
#include "runtime/main/config_cli.h"
#include "runtime/posix_env.h"
#include "runtime/sasl_random_openssl.h"
#include "runtime/signals.h"
#include "runtime/systemd_notify.h"
#include "services/admin/admin_server.h"
#include "services/config/config.h"
#include "services/controller/bootstrap_records.h"
#include "services/controller/meta_properties.h"
#include "services/kafka/broker.h"

namespace eddy::cli {
namespace {

int run_broker(const std::string& config_file, const std::vector<std::string>& overrides,
               const std::vector<std::string>& add_scram) {
    auto loaded = load_config_or_report("broker", config_file, overrides);
    if (!loaded) {
        return 2;
    }
    const config::BrokerConfig cfg = std::move(*loaded);
    auto bootstrap = add_scram_or_report("broker", add_scram);
    if (!bootstrap) {
        return 2;
    }
    // The TLS listeners' certificates are part of the configuration: read before anything
    // starts (or any directory is made), refused like a bad key.
    auto tls = BrokerTls::create(cfg);
    if (!tls.ok()) {
        std::fprintf(stderr, "eddy broker: %s\n", tls.error().c_str());
        return 2;
    }

    auto made = node_env_or_report("broker", cfg, "node-" + std::to_string(cfg.node_id()));
    if (!made) {
        return 1;
    }
    PosixEnv& pe = *made;
    // Before any fiber runs and before any other thread exists (runtime/signals.h).
    SignalWatch signals(pe.reactor(), {SIGTERM, SIGINT});
    SystemdNotifier systemd = SystemdNotifier::from_environment();
    if (!systemd.error().empty()) {
        pe.env().log.warn("%s: systemd notification off", systemd.error().c_str());
    }
    // Best effort: a manager that cannot be told is logged, never fatal.
    auto tell_systemd = [&](const std::string& state) {
        if (auto r = systemd.notify(state); !r.ok()) {
            pe.env().log.warn("%s", r.error().c_str());
        }
    };
    FiberRef watchdog = systemd.spawn_watchdog(pe.scheduler());
    bool done = false;
    int rc = 0;
    pe.scheduler().spawn("broker-main", [&] {
        // The data directory belongs to this node and this cluster (formatted here at the first
        // start, with the --add-scram credentials): a refusal is a configuration problem, exit
        // status 2 like a bad key.
        if (!write_bootstrap_or_report("broker", pe.env(), cfg.log_dir(), *bootstrap)) {
            rc = 1;
            done = true;
            return;
        }
        auto meta = controller::load_or_format(pe.env(), "", cfg.node_id(), cfg.quorum_voters());
        if (!meta.ok()) {
            // The message starts with the file's path inside the data directory.
            std::fprintf(stderr, "eddy broker: %s/%s\n", cfg.log_dir().c_str(),
                         meta.error().c_str());
            rc = 2;
            done = true;
            return;
        }
        kafka::BrokerOptions bo;
        bo.data_dir = "";  // the PosixEnv's disk is rooted at the data directory
        if (cfg.has_role("controller")) {
            // What `--add-scram` left at formatting, for this node's controller to bootstrap a
            // new cluster with (services/controller/bootstrap_records.h).
            auto records = controller::read_bootstrap_records(pe.env(), "");
            if (!records.ok()) {
                std::fprintf(stderr, "eddy broker: %s/%s\n", cfg.log_dir().c_str(),
                             records.error().c_str());
                rc = 2;
                done = true;
                return;
            }
            bo.bootstrap_records = std::move(records).value();
        }
        bo.log_dir_display = cfg.log_dir();
        (*tls)->wire(pe.env(), pe.network(), bo);
        OpenSSLSaslRandom sasl_random;  // SCRAM nonces and salts: never the seeded stream
        bo.sasl_random = &sasl_random;
        kafka::Broker broker(pe.env(), cfg, bo);
        tell_systemd("STATUS=starting: waiting for the controller quorum and registration");
        // The only waiter for signals: a signal while start() waits for the controller quorum
        // makes start() give up; afterwards it asks for the graceful stop below.
        std::optional<int> signalled;
        Event stop_requested(pe.scheduler());
        FiberRef watcher = pe.scheduler().spawn("signals", [&] {
            auto sig = signals.wait();
            signalled = sig.ok() ? *sig : 0;
            broker.abort_start();
            stop_requested.set();
        });
        // The admin API answers from the start: live at once, ready once the node serves.
        auto admin = admin::start_admin_server(pe.env(), cfg, broker, (*tls)->admin_wrap(pe.env()));
        if (!admin.ok()) {
            std::fprintf(stderr, "eddy broker: %s\n", admin.error().c_str());
            rc = 2;
            watcher.cancel();
            (void)watcher.join();
            done = true;
            return;
        }
        auto stop_admin = [&] {
            if (*admin) {
                (*admin)->stop();
            }
        };
        if (auto r = broker.start(); !r.ok()) {
            std::fprintf(stderr, "eddy broker: %s\n", r.error().c_str());
            tell_systemd("STATUS=failed to start: " + r.error());
            stop_admin();
            broker.stop();
            rc = signalled ? 0 : 1;
            watcher.cancel();
            (void)watcher.join();
            done = true;
            return;
        }
        for (const auto& ep : broker.endpoints()) {
            std::printf("eddy broker: node %d listening on %s://%s:%d (data in %s)\n",
                        broker.node_id(), ep.listener.c_str(), ep.host.c_str(), ep.port,
                        cfg.log_dir().c_str());
        }
        if (*admin) {
            const Address at = (*admin)->local_address();
            std::printf("eddy broker: admin API on %s://%s:%d\n", (*admin)->scheme(),
                        at.host.c_str(), at.port);
        }
        std::printf("eddy broker: cluster.id %s\n", broker.cluster_id().c_str());
        std::fflush(stdout);
        tell_systemd("READY=1\nSTATUS=serving: node " + std::to_string(broker.node_id()) +
                     ", cluster.id " + broker.cluster_id());
        (void)stop_requested.wait();
        const char* why = signalled == SIGTERM  ? "SIGTERM"
                          : signalled == SIGINT ? "SIGINT"
                                                : "signal wait failed";
        pe.env().log.info("shutting down (%s)", why);
        tell_systemd(std::string("STOPPING=1\nSTATUS=stopping (") + why + ")");
        broker.stop();
        stop_admin();
        std::printf("eddy broker: stopped\n");
        std::fflush(stdout);
        done = true;
    });
    pe.run([&] { return done; });
    return rc;
}

}  // namespace

void add_broker_command(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "broker",
        "Run a broker (single node with embedded defaults).\n"
        "A data directory that is not formatted is formatted at the first start, with a cluster "
        "id\n"
        "derived from controller.quorum.voters: nodes started from the same voters form one\n"
        "cluster without `eddy format`. A directory of another node.id or another cluster is\n"
        "refused (exit status 2).\n"
        "Configuration, later wins: defaults, --config FILE, environment variables KAFKA_<KEY>\n"
        "or EDDY_<KEY> (log.dirs: EDDY_LOG_DIRS; `_` is `.`, `__` is `_`, `___` is `-`),\n"
        "--override. Under systemd (Type=notify) it reports READY=1 once it serves, pings the\n"
        "watchdog and reports STOPPING=1 (docs/deploy.md).");
    static std::string config_file;
    static std::vector<std::string> overrides;
    static std::vector<std::string> add_scram;
    cmd->add_option("--config", config_file, "server.properties file (Kafka key names)");
    cmd->add_option("--override", overrides, "KEY=VALUE, overrides the config file; repeatable");
    cmd->add_option("--add-scram", add_scram,
                    "At the first start (an unformatted directory) only: a SCRAM credential the "
                    "new cluster starts with, as `eddy format --add-scram`; repeatable");
    static LogOptions logs;
    logs.add_to(*cmd, "Log levels");
    cmd->callback([&exit_code] {
        std::vector<std::string> all = overrides;
        logs.append_overrides(all);
        exit_code = run_broker(config_file, all, add_scram);
    });
}

}  // namespace eddy::cli
