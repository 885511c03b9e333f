// `eddy user set-password|delete|list`: SCRAM credentials in the metadata log (KIP-554), through
// Eddy's client (AlterUserScramCredentials / DescribeUserScramCredentials). Passwords never leave
// the process: only the salted password (PBKDF2 with a fresh salt from OpenSSL) is sent.
#include <cstdio>
#include <memory>
#include <string>

#include "runtime/main/client_cli.h"
#include "runtime/sasl_random_openssl.h"

namespace eddy::cli {
namespace {

struct UserArgs {
    ClientArgs client;
    std::string name;
    std::string mechanism;
    std::string password;
    int iterations = 4096;  // Kafka's kafka-configs default
};

}  // namespace

void add_user_commands(CLI::App& app, int& exit_code) {
    auto* user = app.add_subcommand("user", "Set, delete and list SCRAM credentials of users");
    user->require_subcommand(1);
    const auto mechanisms = CLI::IsMember({"SCRAM-SHA-256", "SCRAM-SHA-512"});

    auto sa = std::make_shared<UserArgs>();
    auto* set_cmd = user->add_subcommand("set-password", "Create or replace a user's credential");
    set_cmd->add_option("name", sa->name, "User name")->required();
    set_cmd->add_option("--mechanism", sa->mechanism, "SCRAM-SHA-256 or SCRAM-SHA-512")
        ->required()
        ->check(mechanisms);
    set_cmd->add_option("--password", sa->password, "The password")->required();
    set_cmd->add_option("--iterations", sa->iterations, "PBKDF2 iterations (4096..16384)")
        ->check(CLI::Range(4096, 16384));
    add_client_options(set_cmd, sa->client);
    set_cmd->callback([sa, &exit_code] {
        exit_code = run_client("eddy user set-password", sa->client, [sa](client::Client& c, Env&) {
            OpenSSLSaslRandom random;
            const auto m = *security::parse_scram_mechanism(sa->mechanism);
            auto r = c.set_scram_credential(sa->name, m, sa->password, sa->iterations, random);
            if (!r.ok()) {
                return report("eddy user set-password", r.error());
            }
            std::printf("set %s credential of user %s\n", sa->mechanism.c_str(),
                        sa->name.c_str());
            return 0;
        });
    });

    auto da = std::make_shared<UserArgs>();
    auto* delete_cmd = user->add_subcommand("delete", "Delete a user's credential");
    delete_cmd->add_option("name", da->name, "User name")->required();
    delete_cmd->add_option("--mechanism", da->mechanism, "SCRAM-SHA-256 or SCRAM-SHA-512")
        ->required()
        ->check(mechanisms);
    add_client_options(delete_cmd, da->client);
    delete_cmd->callback([da, &exit_code] {
        exit_code = run_client("eddy user delete", da->client, [da](client::Client& c, Env&) {
            const auto m = *security::parse_scram_mechanism(da->mechanism);
            auto r = c.delete_scram_credential(da->name, m);
            if (!r.ok()) {
                return report("eddy user delete", r.error());
            }
            std::printf("deleted %s credential of user %s\n", da->mechanism.c_str(),
                        da->name.c_str());
            return 0;
        });
    });

    auto la = std::make_shared<UserArgs>();
    auto* list_cmd = user->add_subcommand("list", "List users with SCRAM credentials");
    add_client_options(list_cmd, la->client);
    list_cmd->callback([la, &exit_code] {
        exit_code = run_client("eddy user list", la->client, [](client::Client& c, Env&) {
            auto users = c.list_scram_credentials();
            if (!users.ok()) {
                return report("eddy user list", users.error());
            }
            std::vector<Row> rows{{"USER", "MECHANISM", "ITERATIONS"}};
            for (const auto& u : *users) {
                for (const auto& cred : u.credentials) {
                    rows.push_back({u.user, std::string(security::scram_mechanism_name(cred.first)),
                                    std::to_string(cred.second)});
                }
            }
            print_table(rows);
            return 0;
        });
    });
}

}  // namespace eddy::cli
