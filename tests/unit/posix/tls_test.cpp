// TLS over the reactor (net-posix/tls_*), on loopback with certificates made at test time: TLS 1.2
// and 1.3 handshakes, ssl.client.auth required/requested (missing and untrusted client
// certificates refused, the peer's DN), host name verification, a plaintext client and garbage on
// a TLS port (closed, the listener keeps serving), a silent client not stalling others, multi-MB
// transfers both ways at arbitrary split points, send_file through TLS, certificate reload when
// the keystore file changes, an encrypted key with ssl.key.password, PKCS12 stores, and the
// settings' errors.
// Fiber bodies use CHECK, never REQUIRE (an exception leaving a fiber aborts the process).
#include <doctest/doctest.h>
#include <openssl/pkcs12.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "core/base/random.h"
#include "net-posix/tls_connection.h"
#include "net-posix/tls_network.h"
#include "tests/unit/posix/posix_test_util.h"
#include "tests/unit/posix/tls_test_pki.h"

using namespace eddy;
using eddy::posix_test::TestEnv;
using eddy::tls_test::cn;
using eddy::tls_test::issue;
using eddy::tls_test::Issued;
using eddy::tls_test::Subject;

namespace {

constexpr Duration io_timeout = Duration::seconds(10);
// Each direction of the large transfer: several MB, not a multiple of anything.
constexpr size_t transfer_bytes = 6 * 1024 * 1024 + 123;

// One CA and what it signs, made once per test case.
struct Pki {
    Issued ca = issue(cn("eddy-test-ca"), nullptr);
    Issued server = issue(cn("broker-1"), &ca, "IP:127.0.0.1,DNS:localhost", "", 2);
    Issued alice = issue(Subject{{{"O", "acme"}, {"OU", "eng"}, {"CN", "alice"}}}, &ca, "", "", 3);
    Issued other_ca = issue(cn("someone-else"), nullptr, "", "", 4);
    Issued mallory = issue(cn("mallory"), &other_ca, "", "", 5);
};

tls::TlsSettings server_settings(const Pki& pki, tls::ClientAuth auth) {
    tls::TlsSettings s;
    s.key.text = pki.server.key_pem;
    s.certificate_chain.text = pki.server.cert_pem;
    s.trusted.text = pki.ca.cert_pem;
    s.client_auth = auth;
    return s;
}

tls::TlsSettings client_settings(const Pki& pki, const Issued* identity) {
    tls::TlsSettings s;
    s.trusted.text = pki.ca.cert_pem;
    if (identity != nullptr) {
        s.key.text = identity->key_pem;
        s.certificate_chain.text = identity->cert_pem;
    }
    return s;
}

std::shared_ptr<tls::TlsContext> context(tls::Role role, tls::TlsSettings s) {
    auto c = tls::TlsContext::create(role, std::move(s));
    CHECK_MESSAGE(c.ok(), (c.ok() ? "" : c.error()));  // CHECK: called inside fibers
    return c.ok() ? std::move(c).value() : nullptr;
}

std::unique_ptr<tls::TlsListener> tls_listen(Env& env, std::shared_ptr<tls::TlsContext> ctx,
                                             tls::TlsListener::Options o = {}) {
    auto plain = env.network.listen({"127.0.0.1", 0});
    CHECK(plain.ok());
    if (!plain.ok()) {
        return nullptr;
    }
    return std::make_unique<tls::TlsListener>(env, std::move(plain).value(), std::move(ctx), o);
}

Result<std::unique_ptr<tls::TlsConnection>, std::string> tls_connect(
    Env& env, const Address& to, tls::TlsContext& ctx, const std::string& host = "127.0.0.1") {
    auto raw = env.network.connect(to, io_timeout);
    if (!raw.ok()) {
        return fail(std::string("connect: ") + to_string(raw.error()));
    }
    return tls::TlsConnection::handshake(env.scheduler.executor(), std::move(raw).value(), ctx,
                                         env.clock.now() + io_timeout, host);
}

// A connected, handshaken pair: the client's end and the server's (from accept()).
struct Pair {
    std::unique_ptr<tls::TlsConnection> client;
    std::unique_ptr<Connection> server;
    bool ok = false;
};

Pair connect_pair(Env& env, tls::TlsListener& l, tls::TlsContext& client_ctx) {
    Pair p;
    std::string error;
    FiberRef c = env.scheduler.spawn("client", [&] {
        auto r = tls_connect(env, l.local_address(), client_ctx);
        if (r.ok()) {
            p.client = std::move(r).value();
        } else {
            error = r.error();
        }
    });
    auto s = l.accept();
    CHECK(c.join() == WakeReason::notified);
    CHECK_MESSAGE(p.client != nullptr, error);
    CHECK(s.ok());
    if (s.ok() && p.client != nullptr) {
        p.server = std::move(s).value();
        p.ok = true;
    }
    return p;
}

// Waits (polling the reactor, bounded) until `done` holds; the watchdog is the bound of last
// resort. Not a timing assertion: it only waits for the other fibers to get somewhere.
bool eventually(Env& env, const std::function<bool()>& done) {
    const Instant give_up = env.clock.now() + Duration::seconds(10);
    while (!done()) {
        if (env.clock.now() >= give_up) {
            return false;
        }
        (void)env.scheduler.sleep_for(Duration::millis(2));
    }
    return true;
}

void echo_once(Pair& p, const std::string& text) {
    CHECK(
        p.client->write_all(ByteSpan(reinterpret_cast<const std::byte*>(text.data()), text.size()))
            .ok());
    std::vector<std::byte> got(text.size());
    CHECK(read_exact(*p.server, got).ok());
    CHECK(std::memcmp(got.data(), text.data(), text.size()) == 0);
    CHECK(p.server->write_all(got).ok());
    std::vector<std::byte> back(text.size());
    CHECK(read_exact(*p.client, back).ok());
    CHECK(std::memcmp(back.data(), text.data(), text.size()) == 0);
}

std::byte pattern(uint64_t stream, uint64_t pos) {
    return static_cast<std::byte>(((pos * 2654435761ULL) >> 11) ^ (stream * 31) ^ pos);
}

void write_text_file(const std::string& path, const std::string& text) {
    // Written beside and renamed over: the reload must see a whole file, as operators rotate.
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
    }
    REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
}

}  // namespace

TEST_CASE("tls: TLS 1.2 and TLS 1.3 handshakes, data both ways") {
    TestEnv t;
    Pki pki;
    t.run([&] {
        auto server_ctx = context(tls::Role::server, server_settings(pki, tls::ClientAuth::none));
        auto l = tls_listen(t.env(), server_ctx);
        for (const char* version : {"TLSv1.2", "TLSv1.3"}) {
            CAPTURE(version);
            auto cs = client_settings(pki, nullptr);
            cs.tls12 = std::string(version) == "TLSv1.2";
            cs.tls13 = !cs.tls12;
            auto client_ctx = context(tls::Role::client, cs);
            Pair p = connect_pair(t.env(), *l, *client_ctx);
            if (!p.ok) {
                continue;
            }
            CHECK(p.client->protocol_version() == version);
            // The client verified the server: its identity is the server's subject.
            CHECK(p.client->peer_identity() == std::optional<std::string>("CN=broker-1"));
            CHECK_FALSE(p.server->peer_identity().has_value());  // no client certificate
            echo_once(p, "hello over " + std::string(version));
            p.client->close();
            std::byte b[1];
            auto eof = p.server->read_some(b);  // close_notify (or the socket's end)
            CHECK(eof.ok());
            CHECK((eof.ok() && eof.value() == 0));
        }
        l->close();
    });
}

TEST_CASE(
    "tls: ssl.client.auth=required refuses a client without a certificate or with an "
    "untrusted one, and reports the trusted one's DN") {
    TestEnv t;
    Pki pki;
    t.run([&] {
        auto l = tls_listen(
            t.env(), context(tls::Role::server, server_settings(pki, tls::ClientAuth::required)));
        for (const Issued* bad :
             {static_cast<const Issued*>(nullptr), static_cast<const Issued*>(&pki.mallory)}) {
            const uint64_t failed_before = l->handshakes_failed();
            auto ctx = context(tls::Role::client, client_settings(pki, bad));
            auto r = tls_connect(t.env(), l->local_address(), *ctx);
            if (r.ok()) {
                // TLS 1.3: the client finishes before the server has judged its certificate; the
                // server's verdict arrives as an alert, so the first read fails.
                std::byte b[1];
                auto got = r.value()->read_some(b);
                CHECK((!got.ok() || got.value() == 0));
            }
            CHECK(eventually(t.env(), [&] { return l->handshakes_failed() > failed_before; }));
        }
        // The listener keeps serving, and the trusted client's subject is its identity.
        auto ctx = context(tls::Role::client, client_settings(pki, &pki.alice));
        Pair p = connect_pair(t.env(), *l, *ctx);
        if (p.ok) {
            CHECK(p.server->peer_identity() ==
                  std::optional<std::string>("CN=alice,OU=eng,O=acme"));
            echo_once(p, "mutual");
        }
        l->close();
    });
}

TEST_CASE("tls: ssl.client.auth=requested accepts a client without a certificate") {
    TestEnv t;
    Pki pki;
    t.run([&] {
        auto l = tls_listen(
            t.env(), context(tls::Role::server, server_settings(pki, tls::ClientAuth::requested)));
        auto anonymous = context(tls::Role::client, client_settings(pki, nullptr));
        Pair p = connect_pair(t.env(), *l, *anonymous);
        CHECK(p.ok);
        if (p.ok) {
            CHECK_FALSE(p.server->peer_identity().has_value());
            echo_once(p, "anonymous");
        }
        auto named = context(tls::Role::client, client_settings(pki, &pki.alice));
        Pair q = connect_pair(t.env(), *l, *named);
        if (q.ok) {
            CHECK(q.server->peer_identity() ==
                  std::optional<std::string>("CN=alice,OU=eng,O=acme"));
        }
        // A certificate that is sent is verified: an untrusted one is refused even here.
        const uint64_t failed_before = l->handshakes_failed();
        auto untrusted = context(tls::Role::client, client_settings(pki, &pki.mallory));
        auto r = tls_connect(t.env(), l->local_address(), *untrusted);
        if (r.ok()) {
            std::byte b[1];
            auto got = r.value()->read_some(b);
            CHECK((!got.ok() || got.value() == 0));
        }
        CHECK(eventually(t.env(), [&] { return l->handshakes_failed() > failed_before; }));
        l->close();
    });
}

TEST_CASE("tls: the client verifies the server: untrusted CA and host name mismatch refused") {
    TestEnv t;
    Pki pki;
    t.run([&] {
        auto l = tls_listen(
            t.env(), context(tls::Role::server, server_settings(pki, tls::ClientAuth::none)));
        // A truststore without our CA.
        tls::TlsSettings wrong_trust;
        wrong_trust.trusted.text = pki.other_ca.cert_pem;
        auto distrustful = context(tls::Role::client, wrong_trust);
        auto r = tls_connect(t.env(), l->local_address(), *distrustful);
        CHECK_FALSE(r.ok());
        CHECK((!r.ok() && r.error().find("certificate verify failed") != std::string::npos));

        // The certificate names 127.0.0.1 and localhost, not 127.0.0.2.
        auto checking = context(tls::Role::client, client_settings(pki, nullptr));
        auto wrong_host = tls_connect(t.env(), l->local_address(), *checking, "127.0.0.2");
        CHECK_FALSE(wrong_host.ok());
        auto by_name = tls_connect(t.env(), l->local_address(), *checking, "localhost");
        CHECK(by_name.ok());
        // ssl.endpoint.identification.algorithm= (empty): the chain is still verified, the name
        // is not.
        auto s = client_settings(pki, nullptr);
        s.verify_hostname = false;
        auto lenient = context(tls::Role::client, s);
        CHECK(tls_connect(t.env(), l->local_address(), *lenient, "127.0.0.2").ok());
        CHECK(eventually(t.env(), [&] { return l->handshakes_failed() >= 2; }));
        l->close();
    });
}

TEST_CASE(
    "tls: a plaintext client, garbage and a silent client on a TLS port are closed; the "
    "listener keeps serving") {
    TestEnv t;
    Pki pki;
    t.run([&] {
        tls::TlsListener::Options o;
        o.handshake_timeout = Duration::millis(300);
        auto l = tls_listen(
            t.env(), context(tls::Role::server, server_settings(pki, tls::ClientAuth::none)), o);
        Env& env = t.env();
        // A silent client: connects and sends nothing. Its handshake must not hold up the
        // others; it times out on its own.
        auto silent = env.network.connect(l->local_address(), io_timeout);
        CHECK(silent.ok());

        // A plaintext Kafka client: an ApiVersions v0 request frame.
        const uint8_t api_versions[] = {0, 0, 0, 14, 0, 18,  0,   0,   0,
                                        0, 0, 1, 0,  4, 'k', 'c', 'a', 't'};
        // Garbage: random bytes, including what could pass for a record header.
        Random rng(7);
        std::vector<std::byte> garbage(3000);
        for (auto& b : garbage) {
            b = static_cast<std::byte>(rng.next());
        }
        uint64_t expected_failures = 0;
        for (ByteSpan sent :
             {ByteSpan(reinterpret_cast<const std::byte*>(api_versions), sizeof api_versions),
              ByteSpan(garbage)}) {
            auto c = env.network.connect(l->local_address(), io_timeout);
            CHECK(c.ok());
            if (!c.ok()) {
                continue;
            }
            (void)c.value()->write_all(sent);
            // The server answers with an alert at most, then closes: the client reads to the end
            // (or a reset), never a Kafka response.
            std::vector<std::byte> buf(4096);
            size_t total = 0;
            for (;;) {
                auto got = c.value()->read_some(buf);
                if (!got.ok() || got.value() == 0) {
                    break;
                }
                total += got.value();
                CHECK(static_cast<uint8_t>(buf[0]) == 0x15);  // a TLS alert record, if anything
            }
            CHECK(total < 64);
            ++expected_failures;
            CHECK(eventually(env, [&] { return l->handshakes_failed() >= expected_failures; }));
        }
        // Served while the silent client still waits.
        auto ctx = context(tls::Role::client, client_settings(pki, nullptr));
        Pair p = connect_pair(env, *l, *ctx);
        if (p.ok) {
            echo_once(p, "still serving");
        }
        // The silent one is cut off by the handshake timeout.
        if (silent.ok()) {
            std::byte b[1];
            auto got = silent.value()->read_some(b);
            CHECK((!got.ok() || got.value() == 0));
        }
        CHECK(eventually(env, [&] { return l->handshakes_failed() >= expected_failures + 1; }));
        l->close();
    });
}

TEST_CASE("tls: multi-megabyte transfers both ways at once, arbitrary split points") {
    TestEnv t;
    Pki pki;
    t.run([&] {
        auto l = tls_listen(
            t.env(), context(tls::Role::server, server_settings(pki, tls::ClientAuth::none)));
        auto ctx = context(tls::Role::client, client_settings(pki, nullptr));
        Pair p = connect_pair(t.env(), *l, *ctx);
        if (!p.ok) {
            return;
        }
        // Each side writes in random-sized pieces and reads in random-sized pieces while the
        // other does the same: both directions full at once, records split anywhere.
        auto pump = [&t](Connection& out, Connection& in, uint64_t stream_out, uint64_t stream_in,
                         uint64_t seed) {
            FiberRef writer = t.scheduler().spawn("writer", [&out, stream_out, seed] {
                Random rng(seed);
                std::vector<std::byte> chunk;
                size_t pos = 0;
                while (pos < transfer_bytes) {
                    const size_t n =
                        std::min<size_t>(transfer_bytes - pos, 1 + rng.next() % 200'000);
                    chunk.resize(n);
                    for (size_t i = 0; i < n; ++i) {
                        chunk[i] = pattern(stream_out, pos + i);
                    }
                    if (!out.write_all(chunk).ok()) {
                        CHECK(false);
                        return;
                    }
                    pos += n;
                }
            });
            Random rng(seed + 1);
            std::vector<std::byte> buf(300'000);
            size_t pos = 0;
            size_t mismatches = 0;
            while (pos < transfer_bytes) {
                const size_t want =
                    std::min<size_t>(transfer_bytes - pos, 1 + rng.next() % buf.size());
                auto got = in.read_some(MutableByteSpan(buf.data(), want));
                if (!got.ok() || got.value() == 0) {
                    break;
                }
                for (size_t i = 0; i < got.value(); ++i) {
                    mismatches += buf[i] != pattern(stream_in, pos + i) ? 1 : 0;
                }
                pos += got.value();
            }
            CHECK(pos == transfer_bytes);
            CHECK(mismatches == 0);
            CHECK(writer.join() == WakeReason::notified);
        };
        FiberRef server_side =
            t.scheduler().spawn("server-side", [&] { pump(*p.server, *p.server, 2, 1, 100); });
        pump(*p.client, *p.client, 1, 2, 200);
        CHECK(server_side.join() == WakeReason::notified);
        l->close();
    });
}

TEST_CASE("tls: send_file goes through TLS (a copy)") {
    TestEnv t;
    Pki pki;
    t.run([&] {
        constexpr size_t file_bytes = 2 * 1024 * 1024 + 77;
        auto f = t.env().disk.open("segment.log", OpenMode::create);
        CHECK(f.ok());
        if (!f.ok()) {
            return;
        }
        std::unique_ptr<File> file = std::move(f).value();
        std::vector<std::byte> data(file_bytes);
        for (size_t i = 0; i < data.size(); ++i) {
            data[i] = pattern(9, i);
        }
        CHECK(file->write_at(0, data).ok());
        auto l = tls_listen(
            t.env(), context(tls::Role::server, server_settings(pki, tls::ClientAuth::none)));
        auto ctx = context(tls::Role::client, client_settings(pki, nullptr));
        Pair p = connect_pair(t.env(), *l, *ctx);
        if (!p.ok) {
            return;
        }
        const uint64_t offset = 4321;
        const uint64_t length = file_bytes - offset - 10;
        FiberRef sender = t.scheduler().spawn(
            "sender", [&] { CHECK(p.server->send_file(*file, offset, length).ok()); });
        std::vector<std::byte> got(length);
        CHECK(read_exact(*p.client, got).ok());
        CHECK(std::memcmp(got.data(), data.data() + offset, length) == 0);
        CHECK(sender.join() == WakeReason::notified);
        CHECK_FALSE(p.server->send_file(*file, file_bytes - 10, 20).ok());  // past the end
        l->close();
    });
}

TEST_CASE("tls: a changed keystore file is reloaded for new connections; a broken one is not") {
    TestEnv t;
    Pki pki;
    const std::string keystore = t.temp_path() + "/server.pem";
    const std::string truststore = t.temp_path() + "/ca.pem";
    write_text_file(keystore, pki.server.key_pem + pki.server.cert_pem);
    write_text_file(truststore, pki.ca.cert_pem);
    t.run([&] {
        tls::Properties props{{"ssl.keystore.type", "PEM"},
                              {"ssl.keystore.location", keystore},
                              {"ssl.truststore.location", truststore}};
        auto settings = tls::settings_from_kafka(props);
        CHECK(settings.ok());
        if (!settings.ok()) {
            return;
        }
        // Checked at every new connection here; production checks at most once a second.
        auto made = tls::TlsContext::create(tls::Role::server, settings.value(),
                                            {.reload_check_interval = Duration::zero()});
        CHECK(made.ok());
        if (!made.ok()) {
            return;
        }
        auto server_ctx = made.value();
        auto l = tls_listen(t.env(), server_ctx);
        auto client_ctx = context(tls::Role::client, client_settings(pki, nullptr));
        Pair before = connect_pair(t.env(), *l, *client_ctx);
        CHECK((before.ok &&
               before.client->peer_identity() == std::optional<std::string>("CN=broker-1")));

        const Issued renewed = issue(cn("broker-1-renewed"), &pki.ca, "IP:127.0.0.1", "", 9);
        write_text_file(keystore, renewed.key_pem + renewed.cert_pem);
        Pair after = connect_pair(t.env(), *l, *client_ctx);
        CHECK((after.ok &&
               after.client->peer_identity() == std::optional<std::string>("CN=broker-1-renewed")));
        CHECK(server_ctx->reloads() == 1);
        // The connection made before the reload still works on the old certificate.
        if (before.ok) {
            echo_once(before, "old session");
        }

        // Half a rotation (a key that does not match the certificate): kept the previous one.
        write_text_file(keystore, pki.alice.key_pem + renewed.cert_pem);
        Pair kept = connect_pair(t.env(), *l, *client_ctx);
        CHECK((kept.ok &&
               kept.client->peer_identity() == std::optional<std::string>("CN=broker-1-renewed")));
        CHECK(server_ctx->reloads() == 1);
        l->close();
    });
}

TEST_CASE("tls: an encrypted private key needs ssl.key.password") {
    Pki pki;
    const Issued locked = issue(cn("broker-locked"), &pki.ca, "IP:127.0.0.1", "s3cret", 11);
    CHECK(locked.key_pem.find("ENCRYPTED") != std::string::npos);
    tls::Properties props{{"ssl.keystore.type", "PEM"},
                          {"ssl.keystore.key", locked.key_pem},
                          {"ssl.keystore.certificate.chain", locked.cert_pem}};
    auto no_password =
        tls::TlsContext::create(tls::Role::server, tls::settings_from_kafka(props).value());
    REQUIRE_FALSE(no_password.ok());
    CHECK(no_password.error().find("ssl.key.password") != std::string::npos);
    props["ssl.key.password"] = "wrong";
    auto wrong =
        tls::TlsContext::create(tls::Role::server, tls::settings_from_kafka(props).value());
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().find("wrong ssl.key.password") != std::string::npos);

    props["ssl.key.password"] = "s3cret";
    auto right =
        tls::TlsContext::create(tls::Role::server, tls::settings_from_kafka(props).value());
    REQUIRE(right.ok());
    TestEnv t;
    t.run([&] {
        auto l = tls_listen(t.env(), right.value());
        auto ctx = context(tls::Role::client, client_settings(pki, nullptr));
        Pair p = connect_pair(t.env(), *l, *ctx);
        CHECK(
            (p.ok && p.client->peer_identity() == std::optional<std::string>("CN=broker-locked")));
        if (p.ok) {
            echo_once(p, "unlocked");
        }
        l->close();
    });
}

TEST_CASE("tls: a PKCS12 keystore and truststore (ssl.keystore.type=PKCS12)") {
    TestEnv t;
    Pki pki;
    // keytool -deststoretype PKCS12 writes what PKCS12_create writes: the key, its certificate
    // and the CA, under a store password.
    auto write_p12 = [&t](const std::string& name, EVP_PKEY* key, X509* cert, X509* ca) {
        STACK_OF(X509)* cas = sk_X509_new_null();
        sk_X509_push(cas, ca);
        PKCS12* p12 = PKCS12_create("st0re", "eddy", key, cert, cas, 0, 0, 0, 0, 0);
        sk_X509_free(cas);
        REQUIRE(p12 != nullptr);
        const std::string path = t.temp_path() + "/" + name;
        BIO* out = BIO_new_file(path.c_str(), "wb");
        REQUIRE(i2d_PKCS12_bio(out, p12) == 1);
        BIO_free(out);
        PKCS12_free(p12);
        return path;
    };
    const std::string keystore =
        write_p12("server.p12", pki.server.key.get(), pki.server.cert.get(), pki.ca.cert.get());
    // A truststore holds certificates only, as keytool writes one.
    const std::string truststore = write_p12("trust.p12", nullptr, nullptr, pki.ca.cert.get());
    tls::Properties props{
        {"ssl.keystore.type", "PKCS12"},         {"ssl.keystore.location", keystore},
        {"ssl.keystore.password", "wrong"},      {"ssl.truststore.type", "PKCS12"},
        {"ssl.truststore.location", truststore}, {"ssl.truststore.password", "st0re"},
        {"ssl.client.auth", "required"}};
    auto wrong =
        tls::TlsContext::create(tls::Role::server, tls::settings_from_kafka(props).value());
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().find("ssl.keystore.password") != std::string::npos);
    props["ssl.keystore.password"] = "st0re";
    auto right =
        tls::TlsContext::create(tls::Role::server, tls::settings_from_kafka(props).value());
    REQUIRE_MESSAGE(right.ok(), (right.ok() ? "" : right.error()));
    t.run([&] {
        auto l = tls_listen(t.env(), right.value());
        auto ctx = context(tls::Role::client, client_settings(pki, &pki.alice));
        Pair p = connect_pair(t.env(), *l, *ctx);
        CHECK((p.ok && p.client->peer_identity() == std::optional<std::string>("CN=broker-1")));
        CHECK((p.ok &&
               p.server->peer_identity() == std::optional<std::string>("CN=alice,OU=eng,O=acme")));
        l->close();
    });
}

TEST_CASE("tls: settings from Kafka's keys, and the errors they give") {
    Pki pki;
    auto s = tls::settings_from_kafka({{"ssl.client.auth", "required"},
                                       {"ssl.enabled.protocols", "TLSv1.3"},
                                       {"ssl.endpoint.identification.algorithm", ""},
                                       {"ssl.keystore.location", "/x/ks.pem"}});
    REQUIRE(s.ok());
    CHECK(s.value().client_auth == tls::ClientAuth::required);
    CHECK_FALSE(s.value().tls12);
    CHECK(s.value().tls13);
    CHECK_FALSE(s.value().verify_hostname);
    CHECK(s.value().key.path == "/x/ks.pem");
    CHECK(s.value().certificate_chain.path == "/x/ks.pem");

    auto jks = tls::settings_from_kafka({{"ssl.keystore.type", "JKS"}});
    REQUIRE_FALSE(jks.ok());
    CHECK(jks.error().find("JKS is not supported") != std::string::npos);
    CHECK_FALSE(tls::settings_from_kafka({{"ssl.client.auth", "sometimes"}}).ok());
    CHECK_FALSE(tls::settings_from_kafka({{"ssl.enabled.protocols", "SSLv3"}}).ok());
    CHECK_FALSE(tls::settings_from_kafka({{"ssl.keystore.key", pki.server.key_pem}}).ok());

    // A server without a certificate, a missing file, a bad cipher suite: one line each.
    auto no_cert = tls::TlsContext::create(tls::Role::server, tls::TlsSettings{});
    REQUIRE_FALSE(no_cert.ok());
    CHECK(no_cert.error().find("needs a certificate") != std::string::npos);
    auto missing = tls::TlsContext::create(
        tls::Role::server,
        tls::settings_from_kafka({{"ssl.keystore.location", "/nonexistent/ks.pem"}}).value());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().find("/nonexistent/ks.pem") != std::string::npos);
    auto ciphers = server_settings(pki, tls::ClientAuth::none);
    ciphers.cipher_suites = {"TLS_NO_SUCH_SUITE"};
    CHECK_FALSE(tls::TlsContext::create(tls::Role::server, ciphers).ok());
    // IANA names as Kafka users write them are accepted.
    ciphers.cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"};
    CHECK(tls::TlsContext::create(tls::Role::server, ciphers).ok());
}
