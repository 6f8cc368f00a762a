// Tasks service benchmarks (issue 3), each a ratio measured side by side:
//   1. GetTask and CreateTask over gRPC against pgbench running the same SQL
//      statement with the same number of clients on the same Postgres.
//   2. ListTasks first page and search for a user with 1,000 vs 100,000 tasks.
//   3. Resident memory of todo-tasks, idle and under load.
// The service runs as its real binary in a process of its own; everything
// talks over loopback.
// Run: build/ci/bench/tasks_bench [seconds per phase] [phases] [rounds]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "bench/grpc_load.h"
#include "common/pg/connection.h"
#include "common/pg/migrator.h"
#include "common/rpc/wire.h"
#include "grpcpp/grpcpp.h"
#include "services/tasks/migrations.h"
#include "tests/harness/ports.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/tokens.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

extern char** environ;

namespace {

using todo::bench::Die;
using todo::tasks::v1::TasksService;
namespace v1 = todo::tasks::v1;

constexpr int kClients = 8;
constexpr char kReader[] = "bench-reader";
constexpr char kSmallUser[] = "bench-1k";
constexpr char kLargeUser[] = "bench-100k";

std::string PgBin() {
  const char* dir = std::getenv("PG_BIN_DIR");
  return dir != nullptr ? dir : "/usr/lib/postgresql/15/bin";
}

std::unique_ptr<todo::common::pg::Connection> Connect(const std::string& dsn) {
  todo::common::pg::ConnectOptions options;
  options.dsn = dsn;
  auto connection = todo::common::pg::Connection::Open(options);
  if (!connection.ok()) Die(std::string(connection.status().message()));
  return *std::move(connection);
}

void Sql(todo::common::pg::Connection& connection, const std::string& sql) {
  if (auto status = connection.ExecuteScript("bench", sql); !status.ok()) {
    Die(std::string(status.message()));
  }
}

pid_t StartService(const char* binary, const std::string& dsn, int port) {
  return todo::bench::Spawn(
      binary,
      {absl::StrCat("TASKS_DATABASE_URL=", dsn), absl::StrCat("GRPC_PORT=", port),
       "LISTEN_ADDRESS=127.0.0.1", absl::StrCat("BETTER_AUTH_SECRET=", todo::testing::kTestSecret),
       absl::StrCat("DB_POOL_SIZE=", kClients), "LOG_LEVEL=warning"});
}

// One side of a rate comparison: calls per second, how many calls, and the
// CPU time per call of its load client, (for ours) of todo-tasks, and of
// Postgres.
struct Measured {
  double rate = 0;
  double calls = 0;
  absl::Duration client_cpu;
  absl::Duration service_cpu;
  absl::Duration postgres_cpu;
};

absl::Duration PerCall(absl::Duration cpu, double calls) {
  return calls > 0 ? cpu / calls : absl::ZeroDuration();
}

Measured PgbenchRate(int port, const std::string& database, const std::string& script,
                     absl::Duration duration) {
  const std::string path = "/tmp/todo-tasks-bench.sql";
  std::ofstream(path) << script;
  const std::string command = absl::StrCat(
      PgBin(), "/pgbench -h 127.0.0.1 -p ", port, " -U postgres -n -M prepared -c ", kClients,
      " -j 2 -T ", absl::ToInt64Seconds(duration), " -f ", path, " ", database);
  const absl::Duration cpu_before = todo::bench::ChildrenCpu();
  const std::string output = todo::bench::RunCommand(command);
  const absl::Duration cpu = todo::bench::ChildrenCpu() - cpu_before;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "tps = ")) {
      double tps = 0;
      const std::vector<absl::string_view> words = absl::StrSplit(line, ' ');
      if (words.size() > 2 && absl::SimpleAtod(words[2], &tps)) {
        const double calls = tps * absl::ToDoubleSeconds(duration);
        return {tps, calls, PerCall(cpu, calls)};
      }
    }
  }
  Die("pgbench printed no tps:\n" + output);
}

// The calls of a gRPC method: to which todo-tasks, as whom, and its
// requests, encoded once.
struct GrpcCalls {
  pid_t service = 0;
  int port = 0;
  std::string method;
  std::string token;
  std::vector<std::string> framed_requests;
};

// gRPC calls per second from the lean load client (bench/grpc_load.h):
// kClients connections on two threads, as pgbench's clients here.
Measured LeanClientRate(const GrpcCalls& calls, absl::Duration duration) {
  todo::bench::GrpcLoadOptions options;
  options.port = calls.port;
  options.path = absl::StrCat("/todo.tasks.v1.TasksService/", calls.method);
  options.metadata = {{"authorization", absl::StrCat("Bearer ", calls.token)}};
  options.framed_requests = calls.framed_requests;
  options.connections = kClients;
  options.threads = 2;
  options.duration = duration;
  const todo::bench::GrpcLoadResult result = todo::bench::RunGrpcLoad(options);
  if (result.failed > 0) {
    Die(absl::StrCat(calls.method, ": ", result.failed,
                     " calls failed, the first: ", result.first_failure));
  }
  const double done = static_cast<double>(result.succeeded);
  return {result.rate(), done, PerCall(result.client_cpu, done)};
}

// The same from h2load (nghttp2-client), when installed: every call the
// first request. h2load counts HTTP statuses, not grpc-status, so callers
// check the call once first.
Measured H2loadRate(const GrpcCalls& calls, absl::Duration duration) {
  const std::string path = "/tmp/todo-tasks-bench.frame";
  std::ofstream(path, std::ios::binary) << calls.framed_requests.front();
  const absl::Duration client_before = todo::bench::ChildrenCpu();
  const double rate = todo::bench::H2loadRate(absl::StrCat(
      "-c ", kClients, " -m 1 -t 2 -D ", absl::ToInt64Seconds(duration), " -d ", path,
      " -H 'content-type: application/grpc' -H 'te: trailers' -H 'authorization: Bearer ",
      calls.token, "' http://127.0.0.1:", calls.port, "/todo.tasks.v1.TasksService/",
      calls.method));
  const double done = rate * absl::ToDoubleSeconds(duration);
  return {rate, done, PerCall(todo::bench::ChildrenCpu() - client_before, done)};
}

// The sides of a comparison, measured in turn (SideInTurn) so that a
// change in the shared host's speed falls on all; each side's ratio to the
// last one (the reference) is of the means, with the rounds' own beside it.
// Each side's load client measures itself; the servers' CPU is measured here.
struct Side {
  std::string name;
  std::function<Measured()> measure;
  pid_t service = 0;  // the todo-tasks it loads, if any
};
struct SideTotals {
  Measured mean;
  std::vector<double> rounds;  // the rate of each round
};

// `postmaster` is the Postgres server all sides use.
std::vector<SideTotals> Alternate(int rounds, const std::vector<Side>& sides, pid_t postmaster) {
  std::vector<SideTotals> totals(sides.size());
  for (int round = 0; round < rounds; ++round) {
    std::vector<Measured> measured(sides.size());
    for (size_t turn = 0; turn < sides.size(); ++turn) {
      const size_t i = todo::bench::SideInTurn(round, turn, sides.size());
      const Side& side = sides[i];
      const absl::Duration postgres_before = todo::bench::ServerCpu(postmaster);
      const absl::Duration service_before =
          side.service != 0 ? todo::bench::ProcessCpu(side.service) : absl::ZeroDuration();
      measured[i] = side.measure();
      Measured& m = measured[i];
      m.postgres_cpu = PerCall(todo::bench::ServerCpu(postmaster) - postgres_before, m.calls);
      if (side.service != 0) {
        m.service_cpu = PerCall(todo::bench::ProcessCpu(side.service) - service_before, m.calls);
      }
    }
    for (size_t i = 0; i < sides.size(); ++i) {
      totals[i].rounds.push_back(measured[i].rate);
      totals[i].mean.rate += measured[i].rate / rounds;
      totals[i].mean.client_cpu += measured[i].client_cpu / rounds;
      totals[i].mean.service_cpu += measured[i].service_cpu / rounds;
      totals[i].mean.postgres_cpu += measured[i].postgres_cpu / rounds;
    }
  }
  return totals;
}

// The first side is the one held to `target`; the others are shown beside it.
void Report(const std::vector<Side>& sides, const std::vector<SideTotals>& totals, double target) {
  const SideTotals& reference = totals.back();
  for (size_t i = 0; i + 1 < sides.size(); ++i) {
    std::printf("  %-28s %9.0f/s   %s %9.0f/s   ratio %s%s\n", sides[i].name.c_str(),
                totals[i].mean.rate, sides.back().name.c_str(), reference.mean.rate,
                todo::bench::RoundsRatio(totals[i].rounds, reference.rounds).c_str(),
                i == 0 ? absl::StrFormat("; target >= %.1f", target).c_str() : "");
  }
  std::printf("    CPU per call:");
  for (size_t i = 0; i < sides.size(); ++i) {
    std::printf("%s %s: client %.1f us", i == 0 ? "" : ";", sides[i].name.c_str(),
                absl::ToDoubleMicroseconds(totals[i].mean.client_cpu));
    if (totals[i].mean.service_cpu > absl::ZeroDuration()) {
      std::printf(", todo-tasks %.1f us", absl::ToDoubleMicroseconds(totals[i].mean.service_cpu));
    }
    std::printf(", Postgres %.1f us", absl::ToDoubleMicroseconds(totals[i].mean.postgres_cpu));
  }
  std::printf("\n");
}

grpc::ClientContext* Authorized(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return &context;
}

// Median latency of `iterations` ListTasks calls.
absl::Duration ListLatency(TasksService::Stub& stub, const std::string& user, const std::string& q,
                           int iterations) {
  const std::string token = todo::testing::MintToken(user, absl::Now(), absl::Hours(2));
  std::vector<absl::Duration> samples;
  for (int i = 0; i < iterations; ++i) {
    v1::ListTasksRequest request;
    request.set_q(q);
    v1::ListTasksResponse response;
    grpc::ClientContext context;
    const absl::Time start = absl::Now();
    const grpc::Status status = stub.ListTasks(Authorized(context, token), request, &response);
    samples.push_back(absl::Now() - start);
    if (!status.ok()) Die("ListTasks: " + status.error_message());
    if (i == 0) {
      std::printf("    %s q=\"%s\": %d on the page, total_size %d\n", user.c_str(), q.c_str(),
                  response.tasks_size(), response.total_size());
    }
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const absl::Duration phase = absl::Seconds(argc > 1 ? std::atoi(argv[1]) : 10);
  // Optional second argument: the phases to run, e.g. "get" or "get,list".
  const std::string phases = argc > 2 ? argv[2] : "get,create,list";
  // Optional third: rounds of each side of a rate comparison, in turn.
  const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  const auto wants = [&](absl::string_view name) { return absl::StrContains(phases, name); };
  setvbuf(stdout, nullptr, _IOLBF, 0);
  auto postgres = todo::testing::PostgresInstance::Start();
  if (!postgres.ok()) Die(std::string(postgres.status().message()));
  auto dsn = (*postgres)->CreateDatabase();
  if (!dsn.ok()) Die(std::string(dsn.status().message()));
  const std::string database = dsn->substr(dsn->rfind('=') + 1);

  todo::common::pg::MigratorOptions migrator;
  migrator.connect.dsn = *dsn;
  migrator.schema = todo::tasks::kSchema;
  if (!todo::common::pg::Migrate(migrator, todo::tasks::TasksMigrations()).ok()) Die("migrate");

  // Seed: 1,000 tasks for the reader; 1,000 and 100,000 for the list users,
  // 20 of each holding the word "needle" so search results stay the same size.
  auto admin = Connect(*dsn);
  const auto seed = [&](const char* user, int count) {
    Sql(*admin,
        absl::StrCat("INSERT INTO tasks.tasks (user_id, title, description, priority, tags, "
                     "created_at, updated_at, due_date) SELECT '",
                     user,
                     "', 'task ' || i || ' ' || md5(i::text), "
                     "CASE WHEN i % (",
                     count,
                     " / 20) = 0 THEN 'find the needle' "
                     "ELSE 'words ' || md5((i * 7)::text) END, 1 + i % 3, "
                     "ARRAY['tag' || (i % 10)], now() - i * interval '1 minute', now(), "
                     "CASE WHEN i % 2 = 0 THEN now() + i * interval '1 hour' END "
                     "FROM generate_series(1, ",
                     count, ") AS i"));
  };
  seed(kReader, 1000);
  seed(kSmallUser, 1000);
  seed(kLargeUser, 100000);
  // Other users' tasks, all holding the searched word: a search must cost
  // what the searcher's own tasks cost, not what everybody's do.
  Sql(*admin,
      "INSERT INTO tasks.tasks (user_id, title, description, created_at, updated_at) SELECT "
      "'neighbour-' || i % 500, 'needle ' || i, 'a needle of another user', now(), now() "
      "FROM generate_series(1, 100000) AS i");
  Sql(*admin, "ANALYZE");
  std::vector<int64_t> reader_ids;
  {
    auto rows = admin->ExecuteOnce(
        "ids",
        absl::StrCat("SELECT min(id), max(id) FROM tasks.tasks WHERE user_id = '", kReader, "'"));
    reader_ids = {*rows->GetInt64(0, 0), *rows->GetInt64(0, 1)};
  }

  const int port = todo::testing::FreeLoopbackPort();
  const pid_t service = StartService(TODO_TASKS_BINARY, *dsn, port);
  const std::string reader_token = todo::testing::MintToken(kReader, absl::Now(), absl::Hours(2));
  const auto await_serving = [&](int at) {
    auto stub = TasksService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", at), grpc::InsecureChannelCredentials()));
    for (int attempt = 0;; ++attempt) {
      v1::GetTaskRequest request;
      request.set_id(reader_ids[0]);
      v1::Task task;
      grpc::ClientContext context;
      if (stub->GetTask(Authorized(context, reader_token), request, &task).ok()) return stub;
      if (attempt > 100) Die("todo-tasks did not come up");
      absl::SleepFor(absl::Milliseconds(100));
    }
  };
  auto probe = await_serving(port);
  // Optionally another build of todo-tasks (e.g. the last commit's), served
  // beside this one on the same database and measured in the same rounds.
  const char* baseline_binary = std::getenv("TASKS_BENCH_BASELINE");
  const int baseline_port = baseline_binary != nullptr ? todo::testing::FreeLoopbackPort() : 0;
  const pid_t baseline =
      baseline_binary != nullptr ? StartService(baseline_binary, *dsn, baseline_port) : 0;
  if (baseline != 0) await_serving(baseline_port);
  absl::SleepFor(absl::Milliseconds(500));
  const long idle_rss = todo::bench::MemoryKb(service, "VmRSS:");

  const pid_t postmaster = (*postgres)->server_pid();
  std::printf("tasks_bench: %d clients, %s per phase, Postgres on 127.0.0.1:%d\n", kClients,
              absl::FormatDuration(phase).c_str(), (*postgres)->port());

  // The load client held to the targets is the lean one, which costs about
  // what pgbench's own client does per call (printed below); h2load, when
  // installed, is measured beside it as a cross-check.
  const bool have_h2load = std::system("command -v h2load >/dev/null 2>&1") == 0;
  const auto sides = [&](const GrpcCalls& calls, const std::string& method,
                         std::function<Measured()> reference) {
    std::vector<Side> sides{{method + ", lean client",
                             [&calls, phase] { return LeanClientRate(calls, phase); },
                             calls.service}};
    if (baseline != 0) {
      GrpcCalls other = calls;
      other.service = baseline;
      other.port = baseline_port;
      sides.push_back({method + ", baseline build",
                       [other, phase] { return LeanClientRate(other, phase); }, baseline});
    }
    if (have_h2load) {
      sides.push_back({method + ", h2load", [&calls, phase] { return H2loadRate(calls, phase); },
                       calls.service});
    }
    sides.push_back({"pgbench", std::move(reference)});
    return sides;
  };

  // 1. Reads: GetTask vs pgbench running the store's SELECT, both over the
  // reader's 1,000 tasks.
  if (wants("get")) {
    GrpcCalls calls{service, port, "GetTask", reader_token, {}};
    for (int64_t id = reader_ids[0]; id <= reader_ids[1]; ++id) {
      v1::GetTaskRequest request;
      request.set_id(id);
      calls.framed_requests.push_back(todo::common::rpc::FrameMessage(request.SerializeAsString()));
    }
    {
      v1::GetTaskRequest request;
      request.set_id(reader_ids[0]);
      v1::Task task;
      grpc::ClientContext context;
      const grpc::Status status = probe->GetTask(Authorized(context, reader_token), request, &task);
      if (!status.ok()) Die("GetTask check: " + status.error_message());
    }
    const std::vector<Side> get = sides(calls, "GetTask", [&] {
      return PgbenchRate(
          (*postgres)->port(), database,
          absl::StrCat("\\set id random(", reader_ids[0], ", ", reader_ids[1], ")\n",
                       "SELECT id, title, description, status, priority, tags, category, "
                       "due_date, remind_at, recurrence, created_at, updated_at, completed_at, "
                       "version FROM tasks.tasks WHERE user_id = '",
                       kReader, "' AND id = :id;\n"),
          phase);
    });
    Report(get, Alternate(rounds, get, postmaster), 0.5);
  }

  // 2. Writes: CreateTask vs pgbench running the store's INSERT.
  if (wants("create")) {
    const std::string writer_token =
        todo::testing::MintToken("bench-writer", absl::Now(), absl::Hours(2));
    v1::CreateTaskRequest create_request;
    create_request.mutable_task()->set_title("Benchmark task");
    create_request.mutable_task()->add_tags("bench");
    {
      v1::Task task;
      grpc::ClientContext context;
      const grpc::Status status =
          probe->CreateTask(Authorized(context, writer_token), create_request, &task);
      if (!status.ok()) Die("CreateTask check: " + status.error_message());
    }
    const GrpcCalls calls{service,
                          port,
                          "CreateTask",
                          writer_token,
                          {todo::common::rpc::FrameMessage(create_request.SerializeAsString())}};
    const std::vector<Side> create = sides(calls, "CreateTask", [&] {
      return PgbenchRate(
          (*postgres)->port(), database,
          "INSERT INTO tasks.tasks (user_id, title, description, status, priority, tags, "
          "category, due_date, remind_at, recurrence, completed_at, created_at, updated_at, "
          "spawned_from) VALUES ('bench-pgbench', 'Benchmark task', '', 'pending', 2, "
          "'{bench}', '', NULL, NULL, 'none', NULL, now(), now(), NULL) ON CONFLICT "
          "(spawned_from) DO NOTHING RETURNING id, title, description, status, priority, tags, "
          "category, due_date, remind_at, recurrence, created_at, updated_at, completed_at, "
          "version;\n",
          phase);
    });
    Report(create, Alternate(rounds, create, postmaster), 0.7);
  }

  // 3. ListTasks: 100,000 vs 1,000 tasks.
  if (wants("list")) {
    const int iterations = 200;
    const absl::Duration small_first = ListLatency(*probe, kSmallUser, "", iterations);
    const absl::Duration large_first = ListLatency(*probe, kLargeUser, "", iterations);
    const absl::Duration small_search = ListLatency(*probe, kSmallUser, "needle", iterations);
    const absl::Duration large_search = ListLatency(*probe, kLargeUser, "needle", iterations);
    std::printf("  ListTasks first page  1k %s  100k %s   ratio %.2f (target <= 1.5)\n",
                absl::FormatDuration(small_first).c_str(),
                absl::FormatDuration(large_first).c_str(),
                absl::FDivDuration(large_first, small_first));
    std::printf("  ListTasks search      1k %s  100k %s   ratio %.2f (target <= 3)\n",
                absl::FormatDuration(small_search).c_str(),
                absl::FormatDuration(large_search).c_str(),
                absl::FDivDuration(large_search, small_search));
  }

  std::printf(
      "  todo-tasks resident memory: idle %.1f MB, peak under load %.1f MB (target <= 64)\n",
      idle_rss / 1024.0, todo::bench::MemoryKb(service, "VmHWM:") / 1024.0);
  if (baseline != 0) kill(baseline, SIGTERM);
  kill(service, SIGTERM);
  int status = 0;
  waitpid(service, &status, 0);
  std::printf("  todo-tasks exit after SIGTERM: %d\n",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
