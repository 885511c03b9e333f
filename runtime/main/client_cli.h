// Shared plumbing of the client commands (`eddy topic|produce|consume|cluster`): the
// -b/--brokers option (default: $EDDY_BROKERS, else 127.0.0.1:9092), turning it into addresses,
// and running a command's body in a fiber of a PosixEnv with a connected-on-demand Client.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "net-posix/tls_context.h"
#include "services/client/client.h"

namespace eddy::cli {

struct ClientArgs {
    std::string brokers;
    int timeout_ms = 30000;
    std::string command_config;  // --command-config FILE: security settings (command_config.cpp)
};

// Adds -b/--brokers, --timeout-ms and --command-config to `cmd`.
void add_client_options(CLI::App* cmd, ClientArgs& args);

// "host:port,host:port" into addresses; a missing port is 9092. Errors: a one-line message.
Result<std::vector<Address>, std::string> parse_brokers(const std::string& list);

// What a --command-config file asks for: a client TLS context for SSL and SASL_SSL (null for
// PLAINTEXT and SASL_PLAINTEXT, or no security.protocol), and SASL credentials for SASL_*
// (sasl.mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 — librdkafka's sasl.mechanisms spelling
// too —, sasl.username, sasl.password). Unknown keys are a one-line error. The TLS keys are
// librdkafka's (ssl.ca.location, ssl.certificate.location, ssl.key.location, ssl.key.password,
// ssl.endpoint.identification.algorithm, ssl.cipher.suites) or, as Kafka's Java tools write them,
// ssl.truststore.* / ssl.keystore.* (PEM or PKCS12). The SCRAM nonce source is left unset.
struct ClientSecurity {
    std::shared_ptr<tls::TlsContext> tls;
    std::optional<client::SaslCredentials> sasl;
};
Result<ClientSecurity, std::string> client_security_from_file(const std::string& path);

// Runs `body` in a fiber with a Client for `args`; returns its exit code (1 on setup errors,
// printed as "<command>: <why>").
int run_client(const std::string& command, const ClientArgs& args,
               const std::function<int(client::Client&, Env&)>& body);

// As run_client, for commands that run until told to stop: SIGINT and SIGTERM set `stopping`
// (the body checks it and ends cleanly) instead of killing the process.
int run_client_until_signal(
    const std::string& command, const ClientArgs& args,
    const std::function<int(client::Client&, Env&, const bool& stopping)>& body);

// A table on stdout: columns padded to their widest cell, two spaces apart (the last column is
// not padded).
using Row = std::vector<std::string>;
void print_table(const std::vector<Row>& rows);

// Prints "<command>: <error>" on stderr; returns 1.
int report(const std::string& command, const client::ClientError& e);
int report(const std::string& command, const std::string& message);

// Commands (each file registers its own).
void add_topic_commands(CLI::App& app, int& exit_code);    // topic_cmd.cpp
void add_topic_reassign_command(CLI::App* topic, int& exit_code);  // topic_reassign.cpp
void add_produce_command(CLI::App& app, int& exit_code);   // produce_cmd.cpp
void add_consume_command(CLI::App& app, int& exit_code);   // consume_cmd.cpp
void add_cluster_commands(CLI::App& app, int& exit_code);  // client_cmd.cpp
void add_group_commands(CLI::App& app, int& exit_code);    // group_cmd.cpp
void add_user_commands(CLI::App& app, int& exit_code);     // user_cmd.cpp
void add_acl_commands(CLI::App& app, int& exit_code);      // acl_cmd.cpp
void add_quota_commands(CLI::App& app, int& exit_code);    // quota_cmd.cpp

}  // namespace eddy::cli
