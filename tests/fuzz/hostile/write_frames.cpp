// eddy_hostile_frames: writes hostile request frames (hostile_session.h) to files, for the
// integration test that sends them to a real `eddy broker` (tests/integration/test_hostile.py).
//
//   eddy_hostile_frames <out-dir> <seed> [count] [budget-bytes-max]
//
// Writes <out-dir>/NNNN.bin, each a whole frame with its int32 size prefix, and
// <out-dir>/index.tsv: file, API key, claimed version, correlation id, must-answer (0/1),
// label. Frame i < count is every advertised (API, version) and each mismatch in turn
// (all_cases), sampled evenly when count is smaller; the four named examples come first.
// Deterministic for a seed.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/fuzz/hostile/hostile_session.h"

using namespace eddy;

namespace {

void write_frame_file(const std::filesystem::path& path, const Bytes& body) {
    std::ofstream out(path, std::ios::binary);
    const auto n = static_cast<uint32_t>(body.size());
    const char size[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                          static_cast<char>(n >> 8), static_cast<char>(n)};
    out.write(size, 4);
    out.write(reinterpret_cast<const char*>(body.data()),
              static_cast<std::streamsize>(body.size()));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s <out-dir> <seed> [count] [budget-bytes-max]\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
    std::filesystem::create_directories(dir);
    protocol::SplitMix64 bits(seed);
    auto cases = hostile::all_cases(bits);
    const size_t count = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : cases.size();
    const size_t budget_max = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : size_t{1} << 20;

    std::ofstream index(dir / "index.tsv");
    int32_t correlation = 1;
    size_t file_no = 0;
    auto emit = [&](const hostile::HostileFrame& f) {
        char name[32];
        std::snprintf(name, sizeof name, "%04zu.bin", file_no++);
        write_frame_file(dir / name, f.body);
        index << name << '\t' << static_cast<int>(f.key) << '\t' << f.header_version << '\t'
              << f.correlation_id << '\t' << (f.must_answer ? 1 : 0) << '\t' << f.label << '\n';
    };
    for (const auto& e : hostile::named_examples(correlation)) {
        emit(e);
        ++correlation;
    }
    const size_t n = std::min(count, cases.size());
    for (size_t i = 0; i < n; ++i) {
        auto c = cases[i * cases.size() / n];
        c.budget_bytes = std::min(c.budget_bytes, budget_max);
        emit(hostile::build_hostile_frame(c, bits, correlation++));
    }
    return 0;
}
