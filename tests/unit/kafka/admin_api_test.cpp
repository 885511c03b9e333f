// The admin API (services/admin) against a broker in the simulator: /metrics moves by what was
// produced and fetched, under the names Kafka dashboards use, and is valid exposition text;
// health, readiness, cluster and config answers; 404 and 405. The Prometheus text format itself:
// families, escaping, histograms (services/metrics).
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include "services/admin/admin_server.h"
#include "services/metrics/exposition.h"
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using namespace eddy::protocol;

namespace {

http::Request get(const std::string& path, const std::string& method = "GET") {
    http::Request r;
    r.method = method;
    r.target = path;
    r.path = path;
    return r;
}

// The samples of an exposition: "name{labels}" → value, checking each line's shape: every sample
// follows the HELP and TYPE of its family, and a family appears once.
std::map<std::string, double> samples(const std::string& text) {
    std::map<std::string, double> out;
    std::set<std::string> families;
    std::string family;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        REQUIRE(!line.empty());
        if (line.starts_with("# HELP ")) {
            family = line.substr(7, line.find(' ', 7) - 7);
            CHECK_MESSAGE(families.insert(family).second, family);
            continue;
        }
        if (line.starts_with("# TYPE ")) {
            CHECK(line.substr(7, family.size()) == family);
            continue;
        }
        const size_t space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        const std::string key = line.substr(0, space);
        CHECK_MESSAGE(key.starts_with(family), key);
        out[key] = std::stod(line.substr(space + 1));
    }
    return out;
}

}  // namespace

TEST_CASE("metrics exposition: families, escaping, histograms") {
    metrics::Exposition e;
    e.family("x_total", metrics::Exposition::Type::counter, "Help with \\ and\nnewline.");
    e.sample("x_total", metrics::Labels{{"g", "a\"b\\c\nd"}}, uint64_t{3});
    metrics::Histogram h({0.1, 1});
    h.observe(0.05);
    h.observe(0.1);
    h.observe(0.5);
    h.observe(7);
    e.family("lat_seconds", metrics::Exposition::Type::histogram, "Latency.");
    e.histogram("lat_seconds", metrics::Labels{{"request", "Produce"}}, h);
    CHECK(e.text() ==
          "# HELP x_total Help with \\\\ and\\nnewline.\n"
          "# TYPE x_total counter\n"
          "x_total{g=\"a\\\"b\\\\c\\nd\"} 3\n"
          "# HELP lat_seconds Latency.\n"
          "# TYPE lat_seconds histogram\n"
          "lat_seconds_bucket{request=\"Produce\",le=\"0.1\"} 2\n"
          "lat_seconds_bucket{request=\"Produce\",le=\"1\"} 3\n"
          "lat_seconds_bucket{request=\"Produce\",le=\"+Inf\"} 4\n"
          "lat_seconds_sum{request=\"Produce\"} 7.65\n"
          "lat_seconds_count{request=\"Produce\"} 4\n");
    metrics::Histogram twice({0.1, 1});
    twice.add(h);
    twice.add(h);
    CHECK(twice.count() == 8);
    CHECK(twice.counts() == std::vector<uint64_t>{4, 2, 2});
}

TEST_CASE("admin api: metrics move with produce and fetch; health, ready, cluster, config") {
    BrokerNode bn{test_config({{"ssl.key.password", "s3cret"}})};
    with_broker(3, bn, [&](Env& env) {
        auto l = env.network.listen({"client", 9644});
        REQUIRE(l.ok());
        admin::AdminServer admin(env, std::move(l).value(), *bn.broker);

        auto before = samples(admin.handle(get("/metrics")).body);
        CHECK(before.at("kafka_server_brokertopicmetrics_messagesin_total") == 0);

        Client c(env);
        auto created = c.call<CreateTopicsResponse>(create_topic_request("orders", 2), 5);
        REQUIRE(created.has_value());
        REQUIRE(created->topics_.at(0).error_code_ == 0);
        const Bytes batch = make_batch({"one", "two", "three"});
        for (int i = 0; i < 2; ++i) {
            auto p = c.call<ProduceResponse>(produce_request("orders", 0, batch), 7);
            REQUIRE(p.has_value());
            CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
        }
        auto f = c.call<FetchResponse>(fetch_request("orders", 0, 0), 11);
        REQUIRE(f.has_value());
        CHECK(f->responses_.at(0).partitions_.at(0).error_code_ == 0);

        const http::Response m = admin.handle(get("/metrics"));
        CHECK(m.status == 200);
        CHECK(m.content_type.starts_with("text/plain; version=0.0.4"));
        auto after = samples(m.body);
        const std::string t = "{topic=\"orders\"}";
        CHECK(after.at("kafka_server_brokertopicmetrics_messagesin_total" + t) == 6);
        CHECK(after.at("kafka_server_brokertopicmetrics_messagesin_total") == 6);
        CHECK(after.at("kafka_server_brokertopicmetrics_bytesin_total" + t) ==
              static_cast<double>(2 * batch.size()));
        CHECK(after.at("kafka_server_brokertopicmetrics_bytesout_total" + t) ==
              static_cast<double>(2 * batch.size()));
        CHECK(after.at("kafka_network_requestmetrics_requests_total{request=\"Produce\"}") == 2);
        CHECK(after.at("kafka_network_requestmetrics_requests_total{request=\"Fetch\"}") == 1);
        CHECK(after.at("eddy_request_latency_seconds_count{request=\"Produce\"}") == 2);
        CHECK(after.at("eddy_produce_durable_latency_seconds_count") == 2);
        CHECK(after.at("kafka_server_replicamanager_partitioncount") >= 2);
        CHECK(after.at("kafka_server_replicamanager_leadercount") >= 2);
        CHECK(after.at("kafka_server_replicamanager_underreplicatedpartitions") == 0);
        CHECK(after.at("kafka_controller_kafkacontroller_activecontrollercount") == 1);
        CHECK(after.at("kafka_controller_kafkacontroller_offlinepartitionscount") == 0);
        CHECK(after.at("kafka_log_log_size{topic=\"orders\",partition=\"0\"}") >=
              static_cast<double>(2 * batch.size()));
        CHECK(after.at("kafka_log_log_size{topic=\"orders\",partition=\"1\"}") == 0);
        CHECK(after.at("eddy_log_sync_latency_seconds_count") >= 1);

        const http::Response health = admin.handle(get("/v1/health"));
        CHECK(health.status == 200);
        CHECK(health.body.find("\"live\"") != std::string::npos);
        const http::Response ready = admin.handle(get("/v1/ready"));
        CHECK(ready.status == 200);
        CHECK(ready.body.find("\"ready\": true") != std::string::npos);
        const http::Response cluster = admin.handle(get("/v1/cluster"));
        CHECK(cluster.status == 200);
        CHECK(cluster.body.find("\"cluster_id\": \"" + bn.broker->cluster_id() + "\"") !=
              std::string::npos);
        CHECK(cluster.body.find("\"fenced\": false") != std::string::npos);
        const http::Response config = admin.handle(get("/v1/config"));
        CHECK(config.status == 200);
        CHECK(config.body.find("s3cret") == std::string::npos);
        CHECK(config.body.find("\"ssl.key.password\": \"[hidden]\"") != std::string::npos);
        CHECK(config.body.find("\"listeners\": \"PLAINTEXT://broker:9092") != std::string::npos);

        // A deleted topic's series go; the broker-wide total keeps its traffic.
        DeleteTopicsRequest del;
        del.topic_names_ = {"orders"};
        auto deleted = c.call<DeleteTopicsResponse>(del, 4);
        REQUIRE(deleted.has_value());
        CHECK(deleted->responses_.at(0).error_code_ == 0);
        auto gone = samples(admin.handle(get("/metrics")).body);
        CHECK(!gone.contains("kafka_server_brokertopicmetrics_messagesin_total" + t));
        CHECK(gone.at("kafka_server_brokertopicmetrics_messagesin_total") == 6);

        CHECK(admin.handle(get("/nope")).status == 404);
        const http::Response post = admin.handle(get("/metrics", "POST"));
        CHECK(post.status == 405);
        CHECK(post.headers.at(0).second == "GET, HEAD");
    });
}

TEST_CASE("admin api: not ready until the broker serves") {
    BrokerNode bn{test_config()};
    sim::SimWorld w(4, quiet_world());
    bool checked = false;
    w.add_node("broker", [&](Env& env) {
        Broker b(env, bn.config, bn.options);
        auto l = env.network.listen({"broker", 9644});
        REQUIRE(l.ok());
        admin::AdminServer admin(env, std::move(l).value(), b);
        const http::Response before = admin.handle(get("/v1/ready"));
        CHECK(before.status == 503);
        CHECK(before.body.find("starting") != std::string::npos);
        CHECK(admin.handle(get("/v1/health")).status == 200);
        CHECK(admin.handle(get("/metrics")).status == 200);  // empty, but answered
        REQUIRE(b.start().ok());
        CHECK(admin.handle(get("/v1/ready")).status == 200);
        b.stop();
        const http::Response after = admin.handle(get("/v1/ready"));
        CHECK(after.status == 503);
        CHECK(after.body.find("stopping") != std::string::npos);
        checked = true;
    });
    w.start(w.node("broker"));
    w.run([&] { return checked; }, Instant::from_nanos(Duration::seconds(120).to_nanos()));
    CHECK(checked);
}
