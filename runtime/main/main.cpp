// eddy: the one binary. Subcommands are registered by the files beside this one.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
    CLI::App app{"eddy: a Kafka-compatible event streaming platform, built simulation-first"};
    app.require_subcommand(1);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
