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
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "common/grpc_wire/grpc_wire.h"
#include "common/pg/connection.h"
#include "common/pg/migrator.h"
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

pid_t StartService(const std::string& dsn, int port) {
  return todo::bench::Spawn(
      TODO_TASKS_BINARY,
      {absl::StrCat("TASKS_DATABASE_URL=", dsn), absl::StrCat("GRPC_PORT=", port),
       "LISTEN_ADDRESS=127.0.0.1", absl::StrCat("BETTER_AUTH_SECRET=", todo::testing::kTestSecret),
       absl::StrCat("DB_POOL_SIZE=", kClients), "LOG_LEVEL=warning"});
}

// Requests per second of `call` from kClients threads, each with its own
// connection, for `duration`.
template <typename Call>
double GrpcRate(const std::string& target, absl::Duration duration, Call call) {
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> failed{0};
  const absl::Time stop = absl::Now() + duration;
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      grpc::ChannelArguments args;
      args.SetInt("todo.bench.connection", i);  // a distinct channel: its own connection
      auto stub = TasksService::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
      std::mt19937_64 random(i);
      int64_t local = 0;
      while (absl::Now() < stop) {
        const grpc::Status status = call(*stub, random);
        if (status.ok()) {
          ++local;
        } else if (failed++ == 0) {
          std::fprintf(stderr, "  first failure: %d %s\n", status.error_code(),
                       status.error_message().c_str());
        }
      }
      done += local;
    });
  }
  for (std::thread& client : clients) client.join();
  if (failed.load() > 0) std::fprintf(stderr, "  (%ld failed calls)\n", long(failed.load()));
  return static_cast<double>(done.load()) / absl::ToDoubleSeconds(duration);
}

double PgbenchRate(int port, const std::string& database, const std::string& script,
                   absl::Duration duration) {
  const std::string path = "/tmp/todo-tasks-bench.sql";
  std::ofstream(path) << script;
  const std::string command = absl::StrCat(
      PgBin(), "/pgbench -h 127.0.0.1 -p ", port, " -U postgres -n -M prepared -c ", kClients,
      " -j 2 -T ", absl::ToInt64Seconds(duration), " -f ", path, " ", database);
  const std::string output = todo::bench::RunCommand(command);
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "tps = ")) {
      double tps = 0;
      const std::vector<absl::string_view> words = absl::StrSplit(line, ' ');
      if (words.size() > 2 && absl::SimpleAtod(words[2], &tps)) return tps;
    }
  }
  Die("pgbench printed no tps:\n" + output);
  return 0;
}

// Requests per second from h2load (nghttp2-client), a lean C load generator
// like pgbench: kClients connections, one call in flight on each, every call
// the same pre-encoded gRPC frame. 0 when h2load is not installed. h2load
// counts HTTP statuses, not grpc-status, so callers check the call once first.
double GrpcH2loadRate(int port, const std::string& method, const google::protobuf::Message& request,
                      const std::string& token, absl::Duration duration) {
  const std::string frame = todo::common::grpc_wire::FrameMessage(request.SerializeAsString());
  const std::string path = "/tmp/todo-tasks-bench.frame";
  std::ofstream(path, std::ios::binary) << frame;
  return todo::bench::H2loadRate(absl::StrCat(
      "-c ", kClients, " -m 1 -t 2 -D ", absl::ToInt64Seconds(duration), " -d ", path,
      " -H 'content-type: application/grpc' -H 'te: trailers' -H 'authorization: Bearer ", token,
      "' http://127.0.0.1:", port, "/todo.tasks.v1.TasksService/", method));
}

// The two sides of a comparison, measured in turn (A B A B ...) so that a
// change in the shared host's speed falls on both; the ratio is of the
// totals, with the rounds' own ratios beside it.
struct Alternated {
  double ours = 0;
  double theirs = 0;
  double lowest = 1e9;
  double highest = 0;
};

template <typename Ours, typename Theirs>
Alternated Alternate(int rounds, Ours ours, Theirs theirs) {
  Alternated result;
  for (int i = 0; i < rounds; ++i) {
    const double a = ours();
    const double b = theirs();
    result.ours += a / rounds;
    result.theirs += b / rounds;
    result.lowest = std::min(result.lowest, a / b);
    result.highest = std::max(result.highest, a / b);
  }
  return result;
}

void Report(const char* ours, const char* theirs, const Alternated& rates, double target) {
  std::printf("  %s %9.0f/s   %s %9.0f/s   ratio %.2f (rounds %.2f-%.2f; target >= %.1f)\n", ours,
              rates.ours, theirs, rates.theirs, rates.ours / rates.theirs, rates.lowest,
              rates.highest, target);
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
  Sql(*admin, "ANALYZE");
  std::vector<int64_t> reader_ids;
  {
    auto rows = admin->ExecuteOnce(
        "ids",
        absl::StrCat("SELECT min(id), max(id) FROM tasks.tasks WHERE user_id = '", kReader, "'"));
    reader_ids = {*rows->GetInt64(0, 0), *rows->GetInt64(0, 1)};
  }

  const int port = todo::testing::FreeLoopbackPort();
  const pid_t service = StartService(*dsn, port);
  const std::string target = absl::StrCat("127.0.0.1:", port);
  auto probe =
      TasksService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const std::string reader_token = todo::testing::MintToken(kReader, absl::Now(), absl::Hours(2));
  for (int attempt = 0;; ++attempt) {
    v1::GetTaskRequest request;
    request.set_id(reader_ids[0]);
    v1::Task task;
    grpc::ClientContext context;
    if (probe->GetTask(Authorized(context, reader_token), request, &task).ok()) break;
    if (attempt > 100) Die("todo-tasks did not come up");
    absl::SleepFor(absl::Milliseconds(100));
  }
  absl::SleepFor(absl::Milliseconds(500));
  const long idle_rss = todo::bench::MemoryKb(service, "VmRSS:");

  std::printf("tasks_bench: %d clients, %s per phase, Postgres on 127.0.0.1:%d\n", kClients,
              absl::FormatDuration(phase).c_str(), (*postgres)->port());

  // gRPC load comes from h2load when it is installed (a lean C client, like
  // pgbench), else from the C++ client threads.
  const bool use_h2load = std::system("command -v h2load >/dev/null 2>&1") == 0;
  std::printf("  (gRPC load from %s)\n", use_h2load ? "h2load" : "the C++ client");

  // 1. Reads: GetTask vs pgbench running the store's SELECT.
  if (wants("get")) {
    v1::GetTaskRequest get_request;
    get_request.set_id(reader_ids[0] + 500);
    {
      v1::Task task;
      grpc::ClientContext context;
      const grpc::Status status =
          probe->GetTask(Authorized(context, reader_token), get_request, &task);
      if (!status.ok()) Die("GetTask check: " + status.error_message());
    }
    const auto get_rate = [&] {
      return use_h2load
                 ? GrpcH2loadRate(port, "GetTask", get_request, reader_token, phase)
                 : GrpcRate(target, phase, [&](TasksService::Stub& stub, std::mt19937_64& random) {
                     v1::GetTaskRequest request;
                     request.set_id(reader_ids[0] + static_cast<int64_t>(random() % 1000));
                     v1::Task task;
                     grpc::ClientContext context;
                     return stub.GetTask(Authorized(context, reader_token), request, &task);
                   });
    };
    const auto select_rate = [&] {
      return PgbenchRate(
          (*postgres)->port(), database,
          absl::StrCat("\\set id random(", reader_ids[0], ", ", reader_ids[1], ")\n",
                       "SELECT id, title, description, status, priority, tags, category, "
                       "due_date, remind_at, recurrence, created_at, updated_at, completed_at, "
                       "version FROM tasks.tasks WHERE user_id = '",
                       kReader, "' AND id = :id;\n"),
          phase);
    };
    Report("GetTask   ", "pgbench SELECT", Alternate(rounds, get_rate, select_rate), 0.5);
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
    const auto create_rate = [&] {
      return use_h2load ? GrpcH2loadRate(port, "CreateTask", create_request, writer_token, phase)
                        : GrpcRate(target, phase, [&](TasksService::Stub& stub, std::mt19937_64&) {
                            v1::Task task;
                            grpc::ClientContext context;
                            return stub.CreateTask(Authorized(context, writer_token),
                                                   create_request, &task);
                          });
    };
    const auto insert_rate = [&] {
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
    };
    Report("CreateTask", "pgbench INSERT", Alternate(rounds, create_rate, insert_rate), 0.7);
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
  kill(service, SIGTERM);
  int status = 0;
  waitpid(service, &status, 0);
  std::printf("  todo-tasks exit after SIGTERM: %d\n",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
