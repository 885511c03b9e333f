// `eddy format` and `eddy random-uuid`: Kafka's `kafka-storage format` and `random-uuid` steps.
//
//   eddy format --cluster-id ID [--config FILE] [--override KEY=VALUE]... [--ignore-formatted]
//               [--add-scram 'SCRAM-SHA-256=[name=admin,password=admin-secret]']...
//       Writes meta.properties (node.id from the config, cluster.id ID) into log.dirs, and before
//       it the --add-scram credentials as bootstrap records (bootstrap_records.h): the new
//       cluster's first active controller commits them. A bad --add-scram value exits 2.
//       Exit 0: formatted, or already formatted with the same ids (nothing to do), or any
//       formatted directory with --ignore-formatted (left as is). Exit 1: already formatted for
//       another cluster id or node id, or the directory cannot be written. Exit 2: bad arguments
//       or configuration (an ID that is not Kafka's 22-character base64url form included).
//   eddy random-uuid
//       Prints a fresh random cluster id in that form.
//
// Formatting is optional with Eddy: `eddy broker` formats an unformatted directory itself, with a
// cluster id derived from controller.quorum.voters (services/controller/meta_properties.h).
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "runtime/main/commands.h"
#include "runtime/main/config_cli.h"
#include "runtime/posix_env.h"
#include "services/controller/meta_properties.h"

namespace eddy::cli {
namespace {

int run_format(const std::string& cluster_id, const std::string& config_file,
               const std::vector<std::string>& overrides, bool ignore_formatted,
               const std::vector<std::string>& add_scram) {
    if (!controller::valid_cluster_id(cluster_id)) {
        std::fprintf(stderr,
                     "eddy format: --cluster-id '%s' is not a cluster id (22 characters of "
                     "base64url, as `eddy random-uuid` prints)\n",
                     cluster_id.c_str());
        return 2;
    }
    auto loaded = load_config_or_report("format", config_file, overrides);
    if (!loaded) {
        return 2;
    }
    const config::BrokerConfig cfg = std::move(*loaded);
    auto bootstrap = add_scram_or_report("format", add_scram);
    if (!bootstrap) {
        return 2;
    }
    auto made = node_env_or_report("format", cfg, "format", LogLevel::warn);
    if (!made) {
        return 1;
    }
    PosixEnv& pe = *made;
    const std::string& dir = cfg.log_dir();
    int rc = 0;
    bool done = false;
    pe.scheduler().spawn("format", [&] {
        if (!write_bootstrap_or_report("format", pe.env(), dir, *bootstrap)) {
            rc = 1;
            done = true;
            return;
        }
        auto r = controller::format(pe.env(), "", cfg.node_id(), cluster_id, ignore_formatted);
        done = true;
        if (!r.ok()) {
            std::fprintf(stderr, "eddy format: %s/%s\n", dir.c_str(), r.error().c_str());
            rc = 1;
            return;
        }
        switch (*r) {
            case controller::FormatOutcome::formatted:
                std::printf("eddy format: formatted %s for cluster.id %s, node.id %d\n",
                            dir.c_str(), cluster_id.c_str(), cfg.node_id());
                break;
            case controller::FormatOutcome::already_formatted:
                std::printf(
                    "eddy format: %s is already formatted for cluster.id %s, node.id %d: nothing "
                    "to do\n",
                    dir.c_str(), cluster_id.c_str(), cfg.node_id());
                break;
            case controller::FormatOutcome::left_as_is:
                std::printf(
                    "eddy format: %s is already formatted: left as is (--ignore-formatted)\n",
                    dir.c_str());
                break;
        }
    });
    pe.run([&] { return done; });
    return rc;
}

int run_random_uuid() {
    std::random_device device;
    Random random((static_cast<uint64_t>(device()) << 32) | device());
    std::printf("%s\n", controller::random_base64_uuid(random).c_str());
    return 0;
}

}  // namespace

void add_format_commands(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "format",
        "Format the data directory (log.dirs) for a cluster id: writes meta.properties, as\n"
        "Kafka's `kafka-storage format`. Optional: `eddy broker` formats an unformatted directory\n"
        "itself with a cluster id derived from controller.quorum.voters, so nodes started from\n"
        "the same config agree. Use it to choose the id (e.g. from `eddy random-uuid`), the same\n"
        "on every node. Exit 0: formatted, or already formatted with these ids; 1: formatted for\n"
        "another cluster id or node.id; 2: bad arguments or configuration.");
    static std::string cluster_id;
    static std::string config_file;
    static std::vector<std::string> overrides;
    static bool ignore_formatted = false;
    static std::vector<std::string> add_scram;
    cmd->add_option("-t,--cluster-id", cluster_id,
                    "Cluster id: 22 characters of base64url (Kafka's Uuid form)")
        ->required();
    cmd->add_option("--config", config_file, "server.properties file (Kafka key names)");
    cmd->add_option("--override", overrides, "KEY=VALUE, overrides the config file; repeatable");
    cmd->add_flag("--ignore-formatted", ignore_formatted,
                  "Leave an already formatted directory as is, whatever its ids (exit 0)");
    cmd->add_option("--add-scram", add_scram,
                    "A SCRAM credential the new cluster starts with, Kafka's syntax: "
                    "'SCRAM-SHA-256=[name=admin,password=admin-secret]' (also iterations=, "
                    "salt=, saltedpassword=); repeatable");
    cmd->callback([&exit_code] {
        exit_code = run_format(cluster_id, config_file, overrides, ignore_formatted, add_scram);
    });

    auto* uuid = app.add_subcommand(
        "random-uuid", "Print a random cluster id for `eddy format --cluster-id` (22 characters)");
    uuid->callback([&exit_code] { exit_code = run_random_uuid(); });
}

}  // namespace eddy::cli
