// ProduceRequestView: a Produce request body decoded without copying its records. Each
// partition's records are a span into the request frame, so the broker validates, stamps (base
// offset, leader epoch, timestamps) and writes the batches where they arrived; the generated
// ProduceRequest::decode copies every records field into a vector of its own, one extra pass over
// all produced bytes.
//
// Same wire format, versions, checks and errors as the generated codec (core/protocol/generated/
// produce.h), which stays the reference: tests/unit/kafka/produce_view_test.cpp holds the two
// equal on random requests of every version, and on every truncation of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "core/protocol/wire.h"

namespace eddy::kafka {

struct ProduceRequestView {
    struct Partition {
        int32_t index = 0;
        std::optional<MutableByteSpan> records;  // into the frame; null as on the wire
    };
    struct Topic {
        std::string name;
        std::vector<Partition> partitions;
    };
    std::optional<std::string> transactional_id;  // v3+
    int16_t acks = 0;
    int32_t timeout_ms = 0;
    std::vector<Topic> topics;

    // Decodes the body of version `version` from `r`, which reads `frame` (the whole request
    // frame; the records spans point into it). Does not suspend.
    static Result<ProduceRequestView, protocol::DecodeError> decode(protocol::Reader& r,
                                                                    MutableByteSpan frame,
                                                                    int16_t version);
};

}  // namespace eddy::kafka
