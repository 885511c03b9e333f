// Writes the seed corpora of the protocol fuzz targets (tests/fuzz/protocol_*.cpp) from random
// messages: for every API key its lowest and highest version, request and response, and every
// record schema's versions. Skipped by default; regenerate with
//   EDDY_PROTOCOL_CORPUS_DIR=tests/fuzz/corpus build/tests/eddy_tests
//       -tc='protocol: write fuzz seed corpora' --no-skip      (one command line)
// The seeds are deterministic (SplitMix64), so regenerating gives the same files.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/protocol/generated/all_messages.h"
#include "core/protocol/generated/records/all_records.h"
#include "core/protocol/message_header.h"
#include "core/protocol/random_fill.h"

using namespace eddy;
using namespace eddy::protocol;

namespace {

void write_file(const std::filesystem::path& p, const Bytes& b) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    REQUIRE(out.good());
}

template <typename Req, typename Resp>
void write_api(const std::filesystem::path& dir, const char* name) {
    for (int v : {static_cast<int>(Req::min_version), static_cast<int>(Req::max_version)}) {
        const auto version = static_cast<int16_t>(v);
        SplitMix64 rng(0x5eed0000u + static_cast<uint64_t>(Req::api_key) * 100 +
                       static_cast<uint64_t>(v));
        {
            Req m;
            randomize(m, rng, version);
            RequestHeader h;
            h.request_api_key_ = static_cast<int16_t>(Req::api_key);
            h.request_api_version_ = version;
            h.correlation_id_ = 1;
            h.client_id_ = "fuzz";
            Bytes b;
            Writer w(b);
            encode_request_header(w, h);
            m.encode(w, version);
            write_file(dir / "protocol_request" / (std::string(name) + "_v" + std::to_string(v)),
                       b);
        }
        {
            Resp m;
            randomize(m, rng, version);
            Bytes b;
            Writer w(b);
            w.write_int16(static_cast<int16_t>(Resp::api_key));
            w.write_int16(version);
            encode_response_header(w, Resp::api_key, version, 1);
            m.encode(w, version);
            write_file(dir / "protocol_response" / (std::string(name) + "_v" + std::to_string(v)),
                       b);
        }
    }
}

template <typename T>
void write_record(const std::filesystem::path& dir, const char* name, uint16_t index) {
    for (int v = T::min_version; v <= T::max_version; ++v) {
        const auto version = static_cast<int16_t>(v);
        SplitMix64 rng(0x5eed1000u + index * 100u + static_cast<uint64_t>(v));
        T m;
        randomize(m, rng, version);
        Bytes b;
        Writer w(b);
        w.write_uint16(index);
        w.write_int16(version);
        m.encode(w, version);
        std::string file(name);
        file = file.substr(file.rfind(':') + 1);
        write_file(dir / "protocol_record" / (file + "_v" + std::to_string(v)), b);
    }
}

}  // namespace

TEST_CASE("protocol: write fuzz seed corpora" * doctest::skip()) {
    const char* env = std::getenv("EDDY_PROTOCOL_CORPUS_DIR");
    REQUIRE_MESSAGE(env != nullptr, "set EDDY_PROTOCOL_CORPUS_DIR to tests/fuzz/corpus");
    const std::filesystem::path dir(env);
#define EDDY_CORPUS_API(name, Req, Resp) write_api<Req, Resp>(dir, #name);
    EDDY_PROTOCOL_FOR_EACH_API(EDDY_CORPUS_API)
#undef EDDY_CORPUS_API
    uint16_t index = 0;
#define EDDY_CORPUS_RECORD(T) write_record<T>(dir, #T, index++);
    EDDY_PROTOCOL_FOR_EACH_RECORD(EDDY_CORPUS_RECORD)
#undef EDDY_CORPUS_RECORD
}
