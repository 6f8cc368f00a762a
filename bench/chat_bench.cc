// chat_bench: the built-in assistant measured against the plain task call
// it makes, side by side in one run, on the real todo-tasks and todo-chat
// binaries and a throwaway Postgres.
//
//   build/ci/bench/chat_bench [seconds for the concurrent phase] [rounds]
//
// 1. Latency: a turn that adds a task ("add buy milk 17", in a conversation
//    that goes on, so its history grows) vs a plain CreateTask, one client,
//    one call at a time, in alternating rounds; the ratio of the medians
//    (target <= 1.5) and of the p99s.
// 2. The same turn from 16 conversations at once: p50, p99, turns/s.
// 3. Resident memory of todo-chat idle, and its peak once 200 conversations
//    have each opened a StreamMessage at the same moment.

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "bench/grpc_calls.h"
#include "tests/harness/ports.h"
#include "tests/harness/tokens.h"
#include "todo/chat/v1/chat.grpc.pb.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

namespace {

namespace chat_v1 = todo::chat::v1;
namespace tasks_v1 = todo::tasks::v1;
using todo::bench::Die;
using todo::bench::Percentile;
using todo::bench::Prepare;
using todo::bench::WaitUntil;

std::shared_ptr<grpc::Channel> Channel(int port, int connection) {
  grpc::ChannelArguments args;
  args.SetInt("todo.bench.connection", connection);  // its own connection
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

// One turn that adds a task (or, `n` < 0, only says hello: the turn's own
// cost without a tool call); the conversation's id once it has one.
absl::Duration Turn(chat_v1::ChatService::Stub& chat, const std::string& token,
                    int64_t& conversation, int n) {
  grpc::ClientContext context;
  chat_v1::SendMessageRequest request;
  request.set_conversation_id(conversation);
  request.set_message(n < 0 ? std::string("hello") : absl::StrCat("add buy milk ", n));
  request.set_time_zone("Asia/Karachi");
  chat_v1::SendMessageResponse response;
  const absl::Time start = absl::Now();
  const grpc::Status status = chat.SendMessage(Prepare(context, token), request, &response);
  const absl::Duration took = absl::Now() - start;
  if (!status.ok()) Die("SendMessage: " + status.error_message());
  if (response.tool_calls_size() != (n < 0 ? 0 : 1)) Die("the turn did not add exactly one task");
  conversation = response.conversation_id();
  return took;
}

absl::Duration Create(tasks_v1::TasksService::Stub& tasks, const std::string& token, int n) {
  grpc::ClientContext context;
  tasks_v1::CreateTaskRequest request;
  request.mutable_task()->set_title(absl::StrCat("Buy milk ", n));
  tasks_v1::Task task;
  const absl::Time start = absl::Now();
  const grpc::Status status = tasks.CreateTask(Prepare(context, token), request, &task);
  const absl::Duration took = absl::Now() - start;
  if (!status.ok()) Die("CreateTask: " + status.error_message());
  return took;
}

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%.2f ms", absl::ToDoubleMilliseconds(d));
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const absl::Duration phase = absl::Seconds(argc > 1 ? std::atoi(argv[1]) : 10);
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 4;
  const todo::bench::BenchDatabase database = todo::bench::StartDatabase({});
  const int tasks_port = todo::testing::FreeLoopbackPort();
  const int chat_port = todo::testing::FreeLoopbackPort();
  const std::string secret = absl::StrCat("BETTER_AUTH_SECRET=", todo::testing::kTestSecret);
  const pid_t tasks_pid = todo::bench::Spawn(
      TODO_TASKS_BINARY,
      {absl::StrCat("DATABASE_URL=", database.dsn), absl::StrCat("GRPC_PORT=", tasks_port),
       "LISTEN_ADDRESS=127.0.0.1", secret, "LOG_LEVEL=warning"});
  const pid_t chat_pid = todo::bench::Spawn(
      TODO_CHAT_BINARY,
      {absl::StrCat("DATABASE_URL=", database.dsn), absl::StrCat("GRPC_PORT=", chat_port),
       absl::StrCat("TASKS_ADDR=127.0.0.1:", tasks_port), "LISTEN_ADDRESS=127.0.0.1", secret,
       "LOG_LEVEL=warning"});
  auto chat = chat_v1::ChatService::NewStub(Channel(chat_port, 0));
  auto tasks = tasks_v1::TasksService::NewStub(Channel(tasks_port, 0));
  const std::string token = todo::testing::MintToken("bench-user", absl::Now());
  int64_t conversation = 0;
  int n = 0;
  WaitUntil(
      [&] {
        grpc::ClientContext context;
        chat_v1::ListConversationsRequest request;
        chat_v1::ListConversationsResponse response;
        return chat->ListConversations(Prepare(context, token), request, &response).ok();
      },
      "todo-chat");
  for (int i = 0; i < 50; ++i) {  // warm both paths up
    Turn(*chat, token, conversation, n++);
    Create(*tasks, token, n++);
  }
  const long idle_kb = todo::bench::MemoryKb(chat_pid, "VmRSS:");

  // 1. One call at a time, alternating rounds.
  std::vector<absl::Duration> turns;
  std::vector<absl::Duration> hellos;
  std::vector<absl::Duration> creates;
  // CPU of each process per call, to tell work from waiting.
  absl::Duration turn_chat_cpu, turn_tasks_cpu, create_tasks_cpu, turn_pg_cpu, create_pg_cpu;
  const pid_t postmaster = database.server->server_pid();
  for (int round = 0; round < rounds; ++round) {
    absl::Duration chat_before = todo::bench::ProcessCpu(chat_pid);
    absl::Duration tasks_before = todo::bench::ProcessCpu(tasks_pid);
    absl::Duration pg_before = todo::bench::ServerCpu(postmaster);
    for (int i = 0; i < 200; ++i) turns.push_back(Turn(*chat, token, conversation, n++));
    turn_chat_cpu += todo::bench::ProcessCpu(chat_pid) - chat_before;
    turn_tasks_cpu += todo::bench::ProcessCpu(tasks_pid) - tasks_before;
    turn_pg_cpu += todo::bench::ServerCpu(postmaster) - pg_before;
    for (int i = 0; i < 200; ++i) hellos.push_back(Turn(*chat, token, conversation, -1));
    tasks_before = todo::bench::ProcessCpu(tasks_pid);
    pg_before = todo::bench::ServerCpu(postmaster);
    for (int i = 0; i < 200; ++i) creates.push_back(Create(*tasks, token, n++));
    create_tasks_cpu += todo::bench::ProcessCpu(tasks_pid) - tasks_before;
    create_pg_cpu += todo::bench::ServerCpu(postmaster) - pg_before;
  }
  const absl::Duration turn_p50 = Percentile(turns, 0.5);
  const absl::Duration create_p50 = Percentile(creates, 0.5);
  std::printf("1. one call at a time (%d rounds of 200 each)\n", rounds);
  std::printf("   built-in turn adding a task: p50 %s p99 %s\n", Ms(turn_p50).c_str(),
              Ms(Percentile(turns, 0.99)).c_str());
  std::printf("   built-in turn, no tool call: p50 %s p99 %s\n",
              Ms(Percentile(hellos, 0.5)).c_str(), Ms(Percentile(hellos, 0.99)).c_str());
  std::printf("   plain CreateTask:            p50 %s p99 %s\n", Ms(create_p50).c_str(),
              Ms(Percentile(creates, 0.99)).c_str());
  const int calls = rounds * 200;
  std::printf(
      "   CPU per call: turn: todo-chat %s, todo-tasks %s, Postgres %s; CreateTask: todo-tasks %s, "
      "Postgres %s\n",
      Ms(turn_chat_cpu / calls).c_str(), Ms(turn_tasks_cpu / calls).c_str(),
      Ms(turn_pg_cpu / calls).c_str(), Ms(create_tasks_cpu / calls).c_str(),
      Ms(create_pg_cpu / calls).c_str());
  std::printf("   turn / CreateTask: p50 %.2fx (target <= 1.5x), p99 %.2fx\n",
              absl::FDivDuration(turn_p50, create_p50),
              absl::FDivDuration(Percentile(turns, 0.99), Percentile(creates, 0.99)));

  // 2. 16 conversations at once.
  std::vector<absl::Duration> concurrent;
  absl::Mutex mutex;
  std::vector<std::thread> clients;
  const absl::Time stop = absl::Now() + phase;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      auto stub = chat_v1::ChatService::NewStub(Channel(chat_port, 1 + c % 4));
      const std::string user_token =
          todo::testing::MintToken(absl::StrCat("bench-user-", c), absl::Now());
      int64_t own = 0;
      std::vector<absl::Duration> local;
      for (int i = 0; absl::Now() < stop; ++i) local.push_back(Turn(*stub, user_token, own, i));
      absl::MutexLock lock(&mutex);
      concurrent.insert(concurrent.end(), local.begin(), local.end());
    });
  }
  for (std::thread& client : clients) client.join();
  std::printf("2. 16 conversations at once for %.0f s: %.0f turns/s, p50 %s p99 %s\n",
              absl::ToDoubleSeconds(phase), concurrent.size() / absl::ToDoubleSeconds(phase),
              Ms(Percentile(concurrent, 0.5)).c_str(), Ms(Percentile(concurrent, 0.99)).c_str());

  // 3. 200 conversations, each opening a stream at the same moment.
  constexpr int kStreams = 200;
  absl::Barrier* start = new absl::Barrier(kStreams);
  std::atomic<int> finished{0};
  std::vector<std::thread> streams;
  for (int s = 0; s < kStreams; ++s) {
    streams.emplace_back([&, s] {
      auto stub = chat_v1::ChatService::NewStub(Channel(chat_port, 10 + s % 8));
      const std::string user_token =
          todo::testing::MintToken(absl::StrCat("stream-user-", s), absl::Now());
      int64_t own = 0;
      Turn(*stub, user_token, own, 0);  // the conversation exists first
      grpc::ClientContext context;
      chat_v1::SendMessageRequest request;
      request.set_conversation_id(own);
      request.set_message("show my tasks and add call mom tomorrow at 5pm");
      if (start->Block()) delete start;
      auto reader = stub->StreamMessage(Prepare(context, user_token), request);
      chat_v1::ChatEvent event;
      int events = 0;
      while (reader->Read(&event)) ++events;
      if (!reader->Finish().ok() || events < 4) Die("a stream did not finish with its events");
      ++finished;
    });
  }
  for (std::thread& stream : streams) stream.join();
  std::printf(
      "3. todo-chat resident memory: idle %ld kB; peak with %d conversations streaming at "
      "once %ld kB (target <= 65536 kB); %d streams finished\n",
      idle_kb, kStreams, todo::bench::MemoryKb(chat_pid, "VmHWM:"), finished.load());
  kill(chat_pid, SIGTERM);
  kill(tasks_pid, SIGTERM);
  waitpid(chat_pid, nullptr, 0);
  waitpid(tasks_pid, nullptr, 0);
  return 0;
}
