#pragma once

// Acting on every connection a loop holds, when acting may close (and so
// remove from the set) this or other connections: a snapshot is walked and
// each is acted on only if it is still there. Shared by the gRPC server's
// and the gateway's sweeps and shutdowns.

#include <vector>

#include "absl/container/flat_hash_set.h"

namespace todo::common::event_loops {

template <typename Connection, typename Act>
void ForEachConnection(const absl::flat_hash_set<Connection*>& connections, Act act) {
  const std::vector<Connection*> snapshot(connections.begin(), connections.end());
  for (Connection* connection : snapshot) {
    if (connections.contains(connection)) act(*connection);
  }
}

}  // namespace todo::common::event_loops
