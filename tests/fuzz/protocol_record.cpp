// Fuzz target: the generated record schemas (KRaft metadata records, coordinator keys/values,
// snapshots). Input: int16 schema index (into EDDY_PROTOCOL_FOR_EACH_RECORD, modulo their count),
// int16 version, then the record's bytes. Same oracle as protocol_request.
// Seeds: tests/fuzz/corpus/protocol_record/.
#include "core/protocol/generated/records/all_records.h"
#include "tests/fuzz/protocol_fuzz_util.h"

using namespace eddy;
using namespace eddy::protocol;

namespace {
using Check = void (*)(Reader&, int16_t);
constexpr Check checks[] = {
#define EDDY_FUZZ_ENTRY(T) &fuzz::check_body<T>,
    EDDY_PROTOCOL_FOR_EACH_RECORD(EDDY_FUZZ_ENTRY)
#undef EDDY_FUZZ_ENTRY
};
constexpr size_t check_count = sizeof(checks) / sizeof(checks[0]);
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r(fuzz::as_span(data, size));
    auto index = r.read_uint16();
    auto version = r.read_int16();
    if (!index.ok() || !version.ok()) {
        return 0;
    }
    checks[*index % check_count](r, *version);
    return 0;
}
