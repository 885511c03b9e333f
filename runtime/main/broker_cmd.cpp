// `eddy broker`: the Kafka broker. The broker itself arrives with issue #4 (wire protocol and a
// single-node broker); until then the command is real but says so plainly and exits non-zero.
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/main/commands.h"

namespace eddy::cli {

void add_broker_command(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("broker", "Run a broker (single node with embedded defaults)");
    static std::string config_file;
    static std::vector<std::string> overrides;
    cmd->add_option("--config", config_file, "server.properties file (Kafka key names)");
    cmd->add_option("--override", overrides, "KEY=VALUE, overrides the config file; repeatable");
    cmd->callback([&exit_code] {
        std::fprintf(stderr,
                     "eddy broker: not available yet in this build: the Kafka wire protocol and "
                     "broker are being built (issue #4). Try `eddy sim list`.\n");
        exit_code = 2;
    });
}

}  // namespace eddy::cli
