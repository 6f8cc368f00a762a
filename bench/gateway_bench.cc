// Gateway benchmarks (issues 5 and 20), measured side by side in one run:
//   1. Peak GetTask throughput through todo-gateway (HTTP/1.1, h2load --h1)
//      and directly over gRPC (h2load), same 8 connections, in alternating
//      rounds (target: REST/gRPC >= 0.6), with the gateway's CPU time per
//      request beside each REST rate.
//   2. The cost of the hop at 50% of the gateway's peak: GetTask latency
//      p50/p99 via REST vs directly via gRPC, paced by the same clients
//      (target: at most +1 ms p50, +3 ms p99).
//   3. Throughput and p99 against grpc-gateway (Go) in front of the same
//      todo-tasks, both driven by wrk with the same settings (target: at
//      least 2x its throughput at 8 and at 64 connections, p99 no worse).
//   4. todo-gateway resident memory, idle and at its peak under load
//      (target: at most 64 MB).
// With GATEWAY_BENCH_BASELINE=<another todo-gateway binary>, that build is
// served beside this one in front of the same todo-tasks and measured in the
// same rounds of 1 and 3: a change's effect as a ratio in one run.
// Run: build/ci/bench/gateway_bench [seconds per phase] [rounds: 3]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "common/pg/migrator.h"
#include "grpcpp/grpcpp.h"
#include "services/tasks/migrations.h"
#include "tests/harness/ports.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/tokens.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

#ifndef TODO_GRPC_GATEWAY_PEER
#define TODO_GRPC_GATEWAY_PEER ""
#endif

namespace {

namespace v1 = todo::tasks::v1;
using todo::bench::Die;
using todo::bench::H2loadRate;
using todo::bench::MemoryKb;
using todo::bench::Spawn;
constexpr int kClients = 8;

// A TCP socket connected to 127.0.0.1:`port`, or -1.
int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A minimal HTTP/1.1 keep-alive client: GET, read one response.
class HttpConnection {
 public:
  explicit HttpConnection(int port) : fd_(ConnectLoopback(port)) {
    if (fd_ < 0) Die("connect");
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~HttpConnection() { close(fd_); }

  // The status code.
  int Get(const std::string& path, const std::string& token) {
    const std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: bench\r\n",
                                             "Authorization: Bearer ", token, "\r\n\r\n");
    if (write(fd_, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      Die("write");
    }
    std::string data;
    char buffer[4096];
    size_t header_end = std::string::npos;
    size_t length = 0;
    while (true) {
      const ssize_t got = read(fd_, buffer, sizeof(buffer));
      if (got <= 0) Die("read");
      data.append(buffer, got);
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
        const std::string head = absl::AsciiStrToLower(data.substr(0, header_end + 2));
        const size_t at = head.find("content-length: ");
        if (at == std::string::npos ||
            !absl::SimpleAtoi(head.substr(at + 16, head.find('\r', at) - at - 16), &length)) {
          Die("no content-length");
        }
      }
      if (data.size() >= header_end + 4 + length) break;
    }
    int status = 0;
    absl::SimpleAtoi(data.substr(9, 3), &status);
    return status;
  }

 private:
  int fd_;
};

// Waits until GET `path` on `port` answers 200.
void WaitForHttp(int port, const std::string& path, const std::string& token, const char* what) {
  for (int attempt = 0;; ++attempt) {
    // Probe first: HttpConnection dies when nothing listens yet.
    const int probe = ConnectLoopback(port);
    const bool listening = probe >= 0;
    if (listening) close(probe);
    if (listening && HttpConnection(port).Get(path, token) == 200) return;
    if (attempt > 100) Die(absl::StrCat(what, " did not come up"));
    absl::SleepFor(absl::Milliseconds(100));
  }
}

struct Latencies {
  std::vector<absl::Duration> samples;
  absl::Duration Percentile(double fraction) const {
    return todo::bench::Percentile(samples, fraction);
  }
};

// Calls `call` from kClients threads at `rate` calls per second in total
// (each thread on its own schedule, so a slow call does not hide behind the
// next one), for `duration`.
template <typename MakeCall>
Latencies Paced(double rate, absl::Duration duration, MakeCall make_call) {
  Latencies all;
  std::mutex mutex;
  std::vector<std::thread> threads;
  const absl::Duration interval = absl::Seconds(kClients / rate);
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto call = make_call(i);
      std::vector<absl::Duration> local;
      const absl::Time start = absl::Now() + interval * i / kClients;
      for (int n = 0;; ++n) {
        const absl::Time due = start + interval * n;
        if (due > start + duration) break;
        absl::SleepFor(due - absl::Now());
        const absl::Time begin = absl::Now();
        call();
        local.push_back(absl::Now() - begin);
      }
      std::lock_guard<std::mutex> lock(mutex);
      all.samples.insert(all.samples.end(), local.begin(), local.end());
    });
  }
  for (std::thread& thread : threads) thread.join();
  return all;
}

// One way to load the service: a name, a run that returns requests per
// second (and a p99 when the client measures one), and the gateway process
// whose CPU time per request is shown (0: none on this path).
struct Side {
  std::string name;
  std::function<todo::bench::WrkResult(absl::Duration)> run;
  pid_t gateway = 0;
};

// The processes whose CPU time each request costs: the gateway (when the
// side goes through one), todo-tasks, Postgres (the postmaster and all its
// processes) and the load client (this driver's waited-for children).
struct Processes {
  pid_t tasks = 0;
  pid_t postmaster = 0;
};

struct CpuPerRequest {
  absl::Duration client, gateway, tasks, postgres;
};

struct SideResult {
  double rate = 0;  // mean of the rounds
  std::vector<double> rounds;
  absl::Duration p99;  // the worst round's
  CpuPerRequest cpu;   // over all rounds
};

// Runs every side once per round, in turn (SideInTurn), after a short
// unmeasured turn of each (the first side would otherwise pay for warming
// the caches of todo-tasks and Postgres).
std::vector<SideResult> Alternate(const std::vector<Side>& sides, int rounds, absl::Duration phase,
                                  const Processes& processes) {
  std::vector<SideResult> results(sides.size());
  std::vector<CpuPerRequest> cpu(sides.size());  // totals until the end
  std::vector<double> requests(sides.size());
  for (const Side& side : sides) side.run(absl::Seconds(2));
  for (int round = 0; round < rounds; ++round) {
    for (size_t turn = 0; turn < sides.size(); ++turn) {
      const size_t i = todo::bench::SideInTurn(round, turn, sides.size());
      const auto gateway_cpu = [&] {
        return sides[i].gateway != 0 ? todo::bench::ProcessCpu(sides[i].gateway)
                                     : absl::ZeroDuration();
      };
      const CpuPerRequest before{todo::bench::ChildrenCpu(), gateway_cpu(),
                                 todo::bench::ProcessCpu(processes.tasks),
                                 todo::bench::ServerCpu(processes.postmaster)};
      const todo::bench::WrkResult measured = sides[i].run(phase);
      cpu[i].client += todo::bench::ChildrenCpu() - before.client;
      cpu[i].gateway += gateway_cpu() - before.gateway;
      cpu[i].tasks += todo::bench::ProcessCpu(processes.tasks) - before.tasks;
      cpu[i].postgres += todo::bench::ServerCpu(processes.postmaster) - before.postgres;
      results[i].p99 = std::max(results[i].p99, measured.p99);
      requests[i] += measured.rate * absl::ToDoubleSeconds(phase);
      results[i].rounds.push_back(measured.rate);
      results[i].rate += measured.rate / rounds;
    }
  }
  for (size_t i = 0; i < sides.size(); ++i) {
    if (requests[i] <= 0) continue;
    results[i].cpu = {cpu[i].client / requests[i], cpu[i].gateway / requests[i],
                      cpu[i].tasks / requests[i], cpu[i].postgres / requests[i]};
  }
  return results;
}

std::string Ratio(const SideResult& a, const SideResult& b) {
  return todo::bench::RoundsRatio(a.rounds, b.rounds);
}

void PrintRate(const Side& side, const SideResult& result) {
  std::printf("    %-26s %7.0f/s", side.name.c_str(), result.rate);
  if (result.p99 > absl::ZeroDuration()) {
    std::printf("  p99 %s", absl::FormatDuration(result.p99).c_str());
  }
  const CpuPerRequest& cpu = result.cpu;
  std::printf("  CPU us/request: client %.1f, ", absl::ToDoubleMicroseconds(cpu.client));
  if (side.gateway != 0) std::printf("gateway %.1f, ", absl::ToDoubleMicroseconds(cpu.gateway));
  std::printf("tasks %.1f, postgres %.1f, all %.1f\n", absl::ToDoubleMicroseconds(cpu.tasks),
              absl::ToDoubleMicroseconds(cpu.postgres),
              absl::ToDoubleMicroseconds(cpu.client + cpu.gateway + cpu.tasks + cpu.postgres));
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const absl::Duration phase = absl::Seconds(argc > 1 ? std::atoi(argv[1]) : 10);
  const int rounds = std::max(1, argc > 2 ? std::atoi(argv[2]) : 3);
  const todo::bench::BenchDatabase database =
      todo::bench::StartDatabase({{todo::tasks::kSchema, &todo::tasks::TasksMigrations()}});
  const std::string* dsn = &database.dsn;

  const int tasks_port = todo::testing::FreeLoopbackPort();
  const int http_port = todo::testing::FreeLoopbackPort();
  const std::string secret = absl::StrCat("BETTER_AUTH_SECRET=", todo::testing::kTestSecret);
  const pid_t tasks = Spawn(TODO_TASKS_BINARY,
                            {absl::StrCat("DATABASE_URL=", *dsn),
                             absl::StrCat("GRPC_PORT=", tasks_port), "LISTEN_ADDRESS=127.0.0.1",
                             secret, "LOG_LEVEL=warning", absl::StrCat("DB_POOL_SIZE=", kClients)});
  const std::string grpc_target = absl::StrCat("127.0.0.1:", tasks_port);
  auto stub = v1::TasksService::NewStub(
      grpc::CreateChannel(grpc_target, grpc::InsecureChannelCredentials()));
  const std::string token = todo::testing::MintToken("bench-user", absl::Now(), absl::Hours(2));
  v1::Task task;
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    v1::CreateTaskRequest request;
    request.mutable_task()->set_title("Benchmark task");
    if (stub->CreateTask(&context, request, &task).ok()) break;
    if (attempt > 100) Die("todo-tasks did not come up");
    absl::SleepFor(absl::Milliseconds(100));
  }
  const std::string path = absl::StrCat("/v1/tasks/", task.id());
  // Each gateway starts once todo-tasks answers, and the baseline once the
  // first is up: a gateway's workers then connect back to back and todo-tasks
  // deals them to different loops. Started together, their retries
  // interleave, and one build can end up with both of its connections on
  // one loop of todo-tasks (up to a fifth less throughput at the same CPU
  // per request).
  const auto start_gateway = [&](const char* binary, int port, const char* name) {
    const pid_t pid =
        Spawn(binary, {absl::StrCat("HTTP_PORT=", port), "LISTEN_ADDRESS=127.0.0.1",
                       absl::StrCat("TASKS_ADDR=127.0.0.1:", tasks_port), "LOG_LEVEL=warning"});
    WaitForHttp(port, path, token, name);
    return pid;
  };
  const pid_t gateway = start_gateway(TODO_GATEWAY_BINARY, http_port, "todo-gateway");
  const Processes processes{tasks, database.server->server_pid()};
  const char* baseline_binary = std::getenv("GATEWAY_BENCH_BASELINE");
  const int baseline_port = baseline_binary != nullptr ? todo::testing::FreeLoopbackPort() : 0;
  const pid_t baseline = baseline_binary != nullptr ? start_gateway(baseline_binary, baseline_port,
                                                                    "the baseline todo-gateway")
                                                    : 0;
  absl::SleepFor(absl::Milliseconds(300));
  const long idle_rss = MemoryKb(gateway, "VmRSS:");
  std::printf("gateway_bench: %d connections, %s per phase, %d rounds%s\n", kClients,
              absl::FormatDuration(phase).c_str(), rounds,
              baseline != 0 ? absl::StrCat(", baseline build ", baseline_binary).c_str() : "");

  // 1. Peak throughput, closed loop, h2load on both paths.
  std::string frame(5, '\0');
  {
    v1::GetTaskRequest request;
    request.set_id(task.id());
    const std::string body = request.SerializeAsString();
    frame[4] = static_cast<char>(body.size());
    frame += body;
    std::ofstream("/tmp/todo-gateway-bench.frame", std::ios::binary) << frame;
  }
  const auto rest_side = [&](std::string name, int port, pid_t process) {
    return Side{std::move(name),
                [&, port](absl::Duration run_for) {
                  return todo::bench::WrkResult{H2loadRate(absl::StrCat(
                      "--h1 -c ", kClients, " -m 1 -t 2 -D ", absl::ToInt64Seconds(run_for),
                      " -H 'authorization: Bearer ", token, "' http://127.0.0.1:", port, path))};
                },
                process};
  };
  std::vector<Side> peak_sides = {
      rest_side("REST via todo-gateway", http_port, gateway),
      {"gRPC direct", [&](absl::Duration run_for) {
         return todo::bench::WrkResult{H2loadRate(
             absl::StrCat("-c ", kClients, " -m 1 -t 2 -D ", absl::ToInt64Seconds(run_for),
                          " -d /tmp/todo-gateway-bench.frame -H 'content-type: application/grpc' "
                          "-H 'te: trailers' -H 'authorization: Bearer ",
                          token, "' http://", grpc_target, "/todo.tasks.v1.TasksService/GetTask"))};
       }}};
  if (baseline != 0) {
    peak_sides.push_back(rest_side("REST via baseline build", baseline_port, baseline));
  }
  std::printf("  peak GetTask, closed loop, mean of %d alternating rounds:\n", rounds);
  const std::vector<SideResult> peak = Alternate(peak_sides, rounds, phase, processes);
  const long loaded_rss = MemoryKb(gateway, "VmHWM:");
  for (size_t i = 0; i < peak.size(); ++i) PrintRate(peak_sides[i], peak[i]);
  const double rest_peak = peak[0].rate;
  std::printf("    REST/gRPC %s (target >= 0.6)\n", Ratio(peak[0], peak[1]).c_str());
  if (baseline != 0) {
    std::printf(
        "    this build / baseline build %s; gateway CPU per request %.2f of the baseline's\n",
        Ratio(peak[0], peak[2]).c_str(),
        absl::FDivDuration(peak[0].cpu.gateway, peak[2].cpu.gateway));
  }

  // 2. The hop at 50% of the gateway's peak, same pacing on both paths.
  const double rate = rest_peak / 2;
  Latencies rest = Paced(rate, phase, [&](int) {
    auto connection = std::make_shared<HttpConnection>(http_port);
    return [&, connection] {
      if (connection->Get(path, token) != 200) Die("REST GetTask failed");
    };
  });
  Latencies direct = Paced(rate, phase, [&](int i) {
    grpc::ChannelArguments args;
    args.SetInt("todo.bench.connection", i);
    auto own = std::shared_ptr<v1::TasksService::Stub>(v1::TasksService::NewStub(
        grpc::CreateCustomChannel(grpc_target, grpc::InsecureChannelCredentials(), args)));
    return [&, own] {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token);
      v1::GetTaskRequest request;
      request.set_id(task.id());
      v1::Task got;
      if (!own->GetTask(&context, request, &got).ok()) Die("gRPC GetTask failed");
    };
  });
  const absl::Duration rest_p50 = rest.Percentile(0.5), rest_p99 = rest.Percentile(0.99);
  const absl::Duration direct_p50 = direct.Percentile(0.5), direct_p99 = direct.Percentile(0.99);
  std::printf("  at %.0f/s (50%% of the gateway's peak): REST p50 %s p99 %s, gRPC p50 %s p99 %s\n",
              rate, absl::FormatDuration(rest_p50).c_str(), absl::FormatDuration(rest_p99).c_str(),
              absl::FormatDuration(direct_p50).c_str(), absl::FormatDuration(direct_p99).c_str());
  // Signed: at half load REST can come out ahead (the direct client is grpc++).
  const auto signed_duration = [](absl::Duration d) {
    return absl::StrCat(d < absl::ZeroDuration() ? "" : "+", absl::FormatDuration(d));
  };
  std::printf("  the hop costs p50 %s (target <= 1ms), p99 %s (target <= 3ms)\n",
              signed_duration(rest_p50 - direct_p50).c_str(),
              signed_duration(rest_p99 - direct_p99).c_str());
  // 3. grpc-gateway (Go) in front of the same todo-tasks, both driven by wrk
  // with the same settings, alternating so that neither gets the warmer turn.
  if (const char* peer_binary = TODO_GRPC_GATEWAY_PEER;
      *peer_binary == '\0' || access(peer_binary, X_OK) != 0) {
    std::printf(
        "  grpc-gateway peer: not built (scripts/setup.sh --bench installs Go's packages)\n");
  } else if (todo::bench::RunCommand("command -v wrk").empty()) {
    std::printf("  grpc-gateway peer: wrk is not installed (scripts/setup.sh --bench)\n");
  } else {
    const int peer_port = todo::testing::FreeLoopbackPort();
    const pid_t peer = Spawn(peer_binary, {absl::StrCat("HTTP_ADDRESS=127.0.0.1:", peer_port),
                                           absl::StrCat("TASKS_ADDR=", grpc_target)});
    WaitForHttp(peer_port, path, token, "grpc-gateway peer");
    for (const int connections : {kClients, 64}) {
      const auto wrk_side = [&](std::string name, int port, pid_t process) {
        return Side{std::move(name),
                    [&, port](absl::Duration run_for) {
                      return todo::bench::RunWrk(absl::StrCat(
                          "-t 2 -c ", connections, " -d ", absl::ToInt64Seconds(run_for),
                          " -H 'authorization: Bearer ", token, "' http://127.0.0.1:", port, path));
                    },
                    process};
      };
      std::vector<Side> sides = {wrk_side("todo-gateway", http_port, gateway),
                                 wrk_side("grpc-gateway", peer_port, peer)};
      if (baseline != 0) sides.push_back(wrk_side("baseline build", baseline_port, baseline));
      std::printf("  wrk GetTask, %d connections, mean of %d alternating rounds:\n", connections,
                  rounds);
      const std::vector<SideResult> results = Alternate(sides, rounds, phase, processes);
      for (size_t i = 0; i < results.size(); ++i) PrintRate(sides[i], results[i]);
      std::printf(
          "    vs grpc-gateway: throughput %s (target >= 2), p99 ratio %.2f (target <= 1)\n",
          Ratio(results[0], results[1]).c_str(),
          absl::FDivDuration(results[0].p99, results[1].p99));
      if (baseline != 0) {
        std::printf("    this build / baseline build: throughput %s, p99 ratio %.2f\n",
                    Ratio(results[0], results[2]).c_str(),
                    absl::FDivDuration(results[0].p99, results[2].p99));
      }
    }
    kill(peer, SIGTERM);
    waitpid(peer, nullptr, 0);
  }

  std::printf(
      "  todo-gateway resident memory: idle %.1f MB, peak under load %.1f MB (target <= 64)\n",
      idle_rss / 1024.0, std::max(loaded_rss, MemoryKb(gateway, "VmHWM:")) / 1024.0);

  if (baseline != 0) kill(baseline, SIGTERM);
  kill(gateway, SIGTERM);
  kill(tasks, SIGTERM);
  int status = 0;
  waitpid(gateway, &status, 0);
  std::printf("  todo-gateway exit after SIGTERM: %d\n",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  waitpid(tasks, nullptr, 0);
  if (baseline != 0) waitpid(baseline, nullptr, 0);
  return 0;
}
