// Registration of the eddy subcommands. Each adds its CLI11 subcommand(s) and, when run, sets
// exit_code.
#pragma once

#include <CLI/CLI.hpp>

namespace eddy::cli {

void add_broker_command(CLI::App& app, int& exit_code);
// `eddy dev`: a local cluster of broker+controller processes (dev_cmd.cpp).
void add_dev_command(CLI::App& app, int& exit_code);
// `eddy format` and `eddy random-uuid` (format_cmd.cpp)
void add_format_commands(CLI::App& app, int& exit_code);
void add_sim_commands(CLI::App& app, int& exit_code);
// `eddy sim suite` (sim_suite.cpp), under the `sim` command.
void add_sim_suite_command(CLI::App& sim, int& exit_code);
// `eddy sim viz` (sim_viz.cpp), under the `sim` command.
void add_sim_viz_command(CLI::App& sim, int& exit_code);
// `eddy sim shrink` (sim_shrink.cpp), under the `sim` command.
void add_sim_shrink_command(CLI::App& sim, int& exit_code);
// `eddy sim check-determinism`, and `sim run --hash-chain` (sim_check.cpp).
void add_sim_check_command(CLI::App& sim, int& exit_code);
void add_sim_run_determinism_options(CLI::App& run);
void add_bench_commands(CLI::App& app, int& exit_code);
void add_bench_log_command(CLI::App& bench, int& exit_code);  // bench_log.cpp
// topic, produce, consume, cluster (client_cmd.cpp and friends; see client_cli.h)
void add_client_commands(CLI::App& app, int& exit_code);
// The exit code of a command line CLI11 refused (`cli11_code`, what app.exit() returned): 2 for
// `eddy cluster ...` and `eddy topic reassign` (client_cmd.cpp), CLI11's own otherwise.
int usage_exit_code(const CLI::App& app, int cli11_code);

}  // namespace eddy::cli
