#pragma once

// absl::Time as google.protobuf.Timestamp, the one conversion every service
// uses for its output. (Inputs are checked by each service, which names the
// field in its errors.)

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace todo::common::time {

// Seconds rounded down, so nanos is always in [0, 1e9), also before 1970.
google::protobuf::Timestamp ToTimestamp(absl::Time time);

}  // namespace todo::common::time
