#pragma once

// What the benchmark drivers share: starting the real service binaries,
// reading their memory, and running h2load.

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/pg/migrator.h"
#include "tests/harness/postgres_instance.h"

namespace todo::bench {

// Sides measured in rounds run in this order: each round starts one side
// later (A B C, B C A, C A B, ...), so that the host's changing speed falls
// on all of them alike and no side always follows the same one (which
// leaves todo-tasks' and Postgres' queues and caches in its own state).
// The side that takes `turn` in `round`.
inline size_t SideInTurn(int round, size_t turn, size_t sides) {
  return (turn + static_cast<size_t>(round)) % sides;
}

// "1.23 (rounds 1.10-1.31)": the ratio of the mean rates of two sides
// measured in the same rounds (one rate per round each), and the lowest and
// highest ratio of one round's rates.
std::string RoundsRatio(const std::vector<double>& rates, const std::vector<double>& reference);

// Prints "<program>: <message>" and exits 1.
[[noreturn]] void Die(const std::string& message);
// Starts `binary` with `environment` (NAME=value entries) plus, to try a
// setting without rebuilding, each BENCH_SERVICE_NAME=value the benchmark
// itself was started with, as NAME=value.
inline constexpr char kServiceEnvPrefix[] = "BENCH_SERVICE_";
pid_t Spawn(const char* binary, std::vector<std::string> environment);
// A /proc/<pid>/status field in kB, e.g. "VmRSS:" or "VmHWM:"; 0 if absent.
long MemoryKb(pid_t pid, const char* field);
// CPU time (user + system) used so far by `pid`, and by this process's
// waited-for children and theirs (a command RunCommand ran, once it ended).
absl::Duration ProcessCpu(pid_t pid);
absl::Duration ChildrenCpu();
// CPU time of `parent` (a server such as the postmaster) and of its children,
// living (so far) and ended (whole): a forking server's total, as a delta.
absl::Duration ServerCpu(pid_t parent);
// Runs a shell command and returns what it printed (stdout and stderr).
std::string RunCommand(const std::string& command);
// Requests per second from `h2load <arguments>` ("finished in ..., N req/s").
double H2loadRate(const std::string& arguments);

// What `wrk --latency` measured: requests per second and the 99th percentile.
// Dies if any response was not 2xx/3xx or a socket error occurred.
struct WrkResult {
  double rate = 0;
  absl::Duration p99;
};
WrkResult RunWrk(const std::string& arguments);

// A throwaway Postgres with one empty database and the given schemas
// migrated (schema name -> its migrations).
struct BenchDatabase {
  std::unique_ptr<testing::PostgresInstance> server;
  std::string dsn;
};
BenchDatabase StartDatabase(
    const std::vector<std::pair<std::string, const std::vector<common::pg::Migration>*>>& schemas);

// The sample at `fraction` (0.5: the median) of the sorted samples.
absl::Duration Percentile(std::vector<absl::Duration> samples, double fraction);

}  // namespace todo::bench
