#include "common/pg/pipeline.h"

#include <algorithm>

namespace todo::common::pg {

ConnectionChoice::ConnectionChoice(const PipelineOptions& options, size_t connections)
    : connections_(connections),
      writers_(options.write_connections <= 0
                   ? connections
                   : std::min(static_cast<size_t>(options.write_connections), connections)) {}

}  // namespace todo::common::pg
