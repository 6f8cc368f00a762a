#pragma once

// A throwaway PostgreSQL server for tests: initdb into a fresh temporary
// folder, pg_ctl start on a free loopback port (as the `postgres` user when
// running as root, because initdb refuses root), trust auth, fsync off.
//
// The server and its folder are removed when the instance is destroyed, and
// also when the test process dies in any other way (a crash, an abort, a
// kill -9): a small reaper process waits on a pipe whose only writer is the
// test process and cleans up once it reads end-of-file.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/pg/pipeline.h"

namespace todo::testing {

class PostgresInstance {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresInstance>> Start();
  ~PostgresInstance();
  PostgresInstance(const PostgresInstance&) = delete;
  PostgresInstance& operator=(const PostgresInstance&) = delete;

  int port() const { return port_; }
  // The postmaster's process id (from postmaster.pid), or -1 when stopped.
  int server_pid() const;
  // libpq connection string for `database` on this server.
  std::string Dsn(const std::string& database = "postgres") const;
  // Creates an empty database with a unique name and returns its DSN.
  absl::StatusOr<std::string> CreateDatabase();

  // Stops the server (fast shutdown: sessions are terminated) and starts it
  // again on the same port; for outage tests.
  absl::Status Stop();
  absl::Status StartAgain();

 private:
  PostgresInstance() = default;
  absl::Status RunAsOwner(const std::string& command) const;
  absl::Status StartServer();

  std::string bin_dir_;
  std::string root_dir_;
  std::string data_dir_;
  int port_ = 0;
  int next_database_ = 0;
  int reaper_pipe_ = -1;
  int reaper_pid_ = -1;
  bool running_ = false;
};

// One server per test binary, started on first use and cleaned up at exit.
// Aborts the test binary with a clear message when no server can be started.
PostgresInstance& SharedPostgres();

// Pipeline options for a test database: two connections, quick reconnects.
inline common::pg::PipelineOptions PipelineFor(const common::pg::ConnectOptions& connect) {
  common::pg::PipelineOptions options;
  options.connect = connect;
  options.connections = 2;
  options.max_reconnect_delay = absl::Milliseconds(200);
  return options;
}

}  // namespace todo::testing
