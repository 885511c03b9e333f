// eddy: the one binary. Each subcommand family lives in its own file beside this one.
#include <CLI/CLI.hpp>

#include "runtime/main/commands.h"

int main(int argc, char** argv) {
    CLI::App app{
        "eddy: a Kafka-compatible event streaming platform, built simulation-first.\n"
        "Run `eddy <command> --help` for the options of each command."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "eddy 0.1.0");
    int exit_code = 0;
    eddy::cli::add_broker_command(app, exit_code);
    eddy::cli::add_dev_command(app, exit_code);
    eddy::cli::add_format_commands(app, exit_code);
    eddy::cli::add_sim_commands(app, exit_code);
    eddy::cli::add_bench_commands(app, exit_code);
    eddy::cli::add_client_commands(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return eddy::cli::usage_exit_code(app, app.exit(e));
    }
    return exit_code;
}
