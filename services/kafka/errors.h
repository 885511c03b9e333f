// The one mapping from a partition-log error to a Kafka error code (the exhaustive switch that
// services/log/log_error.h promises), plus the Kafka codes themselves (core/protocol/error_codes.h).
#pragma once

#include <cstdint>

#include "services/controller/api_error.h"
#include "services/log/log_error.h"

namespace eddy::kafka {

namespace error = ::eddy::kafka_error;

int16_t error_code(log::LogError e);

}  // namespace eddy::kafka
