#pragma once

// How many CPUs this process may really use, for sizing thread counts. In a
// container std::thread::hardware_concurrency() reports the node's CPUs (32
// on a big node) while the pod may be limited to one or two; threads sized
// by the node then only queue for the quota.

#include <optional>

#include "absl/strings/string_view.h"

namespace todo::common::config {

// The fewest of: the machine's CPUs, the affinity mask's, and the cgroup CPU
// quota rounded up (cgroup v2 cpu.max or v1 cfs_quota_us/cfs_period_us).
// At least 1.
int UsableCpus();

// The quota of a cgroup v2 `cpu.max` ("max 100000", "150000 100000") in
// whole CPUs rounded up; nullopt when unlimited or unreadable.
std::optional<int> CpusFromCpuMax(absl::string_view cpu_max);

}  // namespace todo::common::config
