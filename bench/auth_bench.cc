// Auth benchmarks (issue 4), each measured side by side in one run:
//   1. Token verification per call, HS256 and EdDSA, cached (a client reusing
//      its token) and uncached, as a share of one GetTask call's latency
//      against the real todo-tasks binary (target: under 5%).
//   2. Sign-in throughput of todo-auth (bounded by Argon2id by design).
//   3. GetMe p99 alone vs under a flood of sign-ins (target: at most 2x).
//   4. A legitimate sign-in from its own address while 200 other addresses
//      keep trying wrong passwords as fast as they are answered (issue 19):
//      its latency, retries included, vs the same sign-in alone. Refusals
//      must come at once (bounded queue) and the newcomer must get in.
// Run: build/ci/bench/auth_bench [seconds per phase]

#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <numeric>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "bench/grpc_calls.h"
#include "bench/grpc_load.h"
#include "common/jwt/hs256.h"
#include "common/jwt/jwt_verifier.h"
#include "common/rpc/wire.h"
#include "grpcpp/grpcpp.h"
#include "tests/harness/loopback_http_server.h"
#include "tests/harness/ports.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/tokens.h"
#include "todo/auth/v1/auth.grpc.pb.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

namespace {

namespace auth_v1 = todo::auth::v1;
namespace tasks_v1 = todo::tasks::v1;
using todo::bench::Die;
using todo::bench::Percentile;
using todo::bench::Prepare;
using todo::bench::Spawn;
using todo::bench::WaitUntil;

// Mean time of one call of `work`, over `iterations`.
template <typename Work>
absl::Duration PerCall(int iterations, Work work) {
  const absl::Time start = absl::Now();
  for (int i = 0; i < iterations; ++i) work(i);
  return (absl::Now() - start) / iterations;
}

// GetMe latencies from 2 client threads for `duration`.
std::vector<absl::Duration> GetMeLatencies(const std::string& target, const std::string& token,
                                           absl::Duration duration) {
  std::vector<absl::Duration> samples;
  absl::Mutex mutex;
  std::vector<std::thread> clients;
  const absl::Time stop = absl::Now() + duration;
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&, i] {
      grpc::ChannelArguments args;
      args.SetInt("todo.bench.connection", i);
      auto stub = auth_v1::AuthService::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
      std::vector<absl::Duration> local;
      while (absl::Now() < stop) {
        grpc::ClientContext context;
        auth_v1::User user;
        const absl::Time start = absl::Now();
        const grpc::Status status = stub->GetMe(Prepare(context, token), {}, &user);
        if (!status.ok()) Die("GetMe: " + status.error_message());
        local.push_back(absl::Now() - start);
        absl::SleepFor(absl::Milliseconds(2));  // a steady, light stream of calls
      }
      absl::MutexLock lock(&mutex);
      samples.insert(samples.end(), local.begin(), local.end());
    });
  }
  for (std::thread& client : clients) client.join();
  return samples;
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const absl::Duration phase = absl::Seconds(argc > 1 ? std::atoi(argv[1]) : 10);
  const todo::bench::BenchDatabase database = todo::bench::StartDatabase({});
  const std::string* dsn = &database.dsn;

  const int tasks_port = todo::testing::FreeLoopbackPort();
  const int auth_port = todo::testing::FreeLoopbackPort();
  const std::string secret = absl::StrCat("BETTER_AUTH_SECRET=", todo::testing::kTestSecret);
  const pid_t tasks =
      Spawn(TODO_TASKS_BINARY,
            {absl::StrCat("DATABASE_URL=", *dsn), absl::StrCat("GRPC_PORT=", tasks_port),
             "LISTEN_ADDRESS=127.0.0.1", secret, "LOG_LEVEL=warning"});
  const pid_t auth = Spawn(
      TODO_AUTH_BINARY, {absl::StrCat("DATABASE_URL=", *dsn), absl::StrCat("GRPC_PORT=", auth_port),
                         absl::StrCat("TASKS_ADDR=127.0.0.1:", tasks_port),
                         "LISTEN_ADDRESS=127.0.0.1", secret, "LOG_LEVEL=warning"});
  const std::string auth_target = absl::StrCat("127.0.0.1:", auth_port);
  auto auth_stub = auth_v1::AuthService::NewStub(
      grpc::CreateChannel(auth_target, grpc::InsecureChannelCredentials()));
  auto tasks_stub = tasks_v1::TasksService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", tasks_port), grpc::InsecureChannelCredentials()));

  auth_v1::AuthResponse account;
  WaitUntil(
      [&] {
        grpc::ClientContext context;
        auth_v1::SignUpRequest request;
        request.set_email("bench@example.com");
        request.set_password("bench password");
        request.set_name("Bench");
        return auth_stub->SignUp(Prepare(context), request, &account).ok();
      },
      "todo-auth");
  const std::string token = account.access_token();
  tasks_v1::Task task;
  WaitUntil(
      [&] {
        grpc::ClientContext context;
        tasks_v1::CreateTaskRequest request;
        request.mutable_task()->set_title("reference task");
        return tasks_stub->CreateTask(Prepare(context, token), request, &task).ok();
      },
      "todo-tasks");
  std::printf("auth_bench: %s per phase\n", absl::FormatDuration(phase).c_str());

  // 1. Verification cost vs one GetTask.
  const absl::Duration get_task = PerCall(2000, [&](int) {
    grpc::ClientContext context;
    tasks_v1::GetTaskRequest request;
    request.set_id(task.id());
    tasks_v1::Task got;
    if (!tasks_stub->GetTask(Prepare(context, token), request, &got).ok()) Die("GetTask");
  });
  todo::common::time::SystemClock clock;
  todo::common::jwt::JwtVerifierOptions cached_options;
  cached_options.hs256_secret = todo::testing::kTestSecret;
  todo::common::jwt::JwtVerifierOptions uncached_options = cached_options;
  uncached_options.cache_lifetime = absl::ZeroDuration();

  EVP_PKEY* ed_key = nullptr;
  {
    EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, "ED25519", nullptr);
    EVP_PKEY_keygen_init(context);
    EVP_PKEY_keygen(context, &ed_key);
    EVP_PKEY_CTX_free(context);
  }
  unsigned char raw[32];
  size_t raw_length = sizeof(raw);
  EVP_PKEY_get_raw_public_key(ed_key, raw, &raw_length);
  todo::testing::LoopbackHttpServer jwks_server([&](const todo::testing::HttpExchange&) {
    todo::testing::CannedResponse response;
    response.body = absl::StrCat(
        R"({"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":")",
        absl::WebSafeBase64Escape(std::string(reinterpret_cast<char*>(raw), raw_length)),
        R"("}]})");
    return response;
  });
  todo::common::http_client::CurlClient http;
  todo::common::jwt::JwksCache jwks(jwks_server.Url("/jwks"), http, clock);
  const std::string claims =
      absl::StrCat(R"({"sub":"u1","exp":)", absl::ToUnixSeconds(absl::Now()) + 3600, "}");
  const std::string signing_input =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"EdDSA","kid":"k1"})"), ".",
                   absl::WebSafeBase64Escape(claims));
  std::string signature(64, '\0');
  {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    size_t length = signature.size();
    EVP_DigestSignInit(context, nullptr, nullptr, nullptr, ed_key);
    EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                   reinterpret_cast<const unsigned char*>(signing_input.data()),
                   signing_input.size());
    EVP_MD_CTX_free(context);
  }
  const std::string ed_token =
      absl::StrCat(signing_input, ".", absl::WebSafeBase64Escape(signature));
  const std::string hs_token =
      todo::common::jwt::SignHs256Token(claims, todo::testing::kTestSecret);

  const auto verify_cost = [&](const todo::common::jwt::JwtVerifierOptions& options,
                               const std::string& jwt, bool with_jwks) {
    todo::common::jwt::JwtVerifier verifier(options, &clock, with_jwks ? &jwks : nullptr);
    if (!verifier.Verify(jwt).ok()) Die("verification failed");
    return PerCall(20000, [&](int) { verifier.Verify(jwt).IgnoreError(); });
  };
  struct Row {
    const char* name;
    absl::Duration cost;
  };
  const Row rows[] = {
      {"HS256 cached  ", verify_cost(cached_options, hs_token, false)},
      {"HS256 uncached", verify_cost(uncached_options, hs_token, false)},
      {"EdDSA cached  ", verify_cost(cached_options, ed_token, true)},
      {"EdDSA uncached", verify_cost(uncached_options, ed_token, true)},
  };
  std::printf("  GetTask call (sequential, loopback): %s\n",
              absl::FormatDuration(get_task).c_str());
  for (const Row& row : rows) {
    std::printf("  verify %s %9s per call = %5.2f%% of a GetTask (target < 5%%)\n", row.name,
                absl::FormatDuration(row.cost).c_str(),
                100.0 * absl::FDivDuration(row.cost, get_task));
  }

  // Timing of a wrong password vs an unknown email (each on a fresh email, so
  // the failure throttle never applies): both run one Argon2 verification.
  {
    std::vector<absl::Duration> wrong_password;
    std::vector<absl::Duration> unknown_email;
    for (int i = 0; i < 10; ++i) {
      const std::string email = absl::StrCat("timing", i, "@example.com");
      grpc::ClientContext signup_context;
      auth_v1::SignUpRequest signup;
      signup.set_email(email);
      signup.set_password("the right password");
      signup.set_name("Timing");
      auth_v1::AuthResponse response;
      if (!auth_stub->SignUp(Prepare(signup_context), signup, &response).ok()) Die("sign-up");
      for (auto* samples : {&wrong_password, &unknown_email}) {
        grpc::ClientContext context;
        auth_v1::SignInRequest request;
        request.set_email(samples == &wrong_password ? email
                                                     : absl::StrCat("nobody", i, "@example.com"));
        request.set_password("a wrong password");
        const absl::Time start = absl::Now();
        auth_stub->SignIn(Prepare(context), request, &response).IgnoreError();
        samples->push_back(absl::Now() - start);
      }
    }
    const absl::Duration password_median = Percentile(wrong_password, 0.5);
    const absl::Duration email_median = Percentile(unknown_email, 0.5);
    std::printf(
        "  SignIn failure, median of 10: wrong password %s, unknown email %s (ratio %.2f)\n",
        absl::FormatDuration(password_median).c_str(), absl::FormatDuration(email_median).c_str(),
        absl::FDivDuration(email_median, password_median));
  }

  // 3 (first half): GetMe latency with nothing else going on.
  const std::vector<absl::Duration> quiet = GetMeLatencies(auth_target, token, phase);

  // 2 and 3: a sign-in flood from 8 threads, with GetMe running beside it.
  std::atomic<int64_t> sign_ins{0};
  std::atomic<bool> flooding{true};
  std::vector<std::thread> flood;
  for (int i = 0; i < 8; ++i) {
    flood.emplace_back([&, i] {
      grpc::ChannelArguments args;
      args.SetInt("todo.bench.connection", 100 + i);
      auto stub = auth_v1::AuthService::NewStub(
          grpc::CreateCustomChannel(auth_target, grpc::InsecureChannelCredentials(), args));
      while (flooding.load()) {
        grpc::ClientContext context;
        auth_v1::SignInRequest request;
        request.set_email("bench@example.com");
        request.set_password("bench password");
        auth_v1::AuthResponse response;
        if (stub->SignIn(Prepare(context), request, &response).ok()) ++sign_ins;
      }
    });
  }
  absl::SleepFor(absl::Seconds(1));  // let the flood fill the hashing queue
  const int64_t sign_ins_before = sign_ins.load();
  const absl::Time flood_start = absl::Now();
  const std::vector<absl::Duration> flooded = GetMeLatencies(auth_target, token, phase);
  const double sign_in_rate =
      (sign_ins.load() - sign_ins_before) / absl::ToDoubleSeconds(absl::Now() - flood_start);
  flooding.store(false);
  for (std::thread& thread : flood) thread.join();

  std::printf("  SignIn throughput under the flood: %.1f/s (Argon2id-bound by design)\n",
              sign_in_rate);
  const absl::Duration quiet_p99 = Percentile(quiet, 0.99);
  const absl::Duration flooded_p99 = Percentile(flooded, 0.99);
  std::printf("  GetMe p50 %s -> %s, p99 %s alone, %s under the flood: ratio %.2f (target <= 2)\n",
              absl::FormatDuration(Percentile(quiet, 0.5)).c_str(),
              absl::FormatDuration(Percentile(flooded, 0.5)).c_str(),
              absl::FormatDuration(quiet_p99).c_str(), absl::FormatDuration(flooded_p99).c_str(),
              absl::FDivDuration(flooded_p99, quiet_p99));

  // 4. A newcomer's sign-in during a flood from 200 addresses.
  {
    const auto legit_sign_in = [&](int index) {
      const absl::Time start = absl::Now();
      for (int attempt = 0; attempt < 60; ++attempt) {
        grpc::ClientContext context;
        context.AddMetadata("x-forwarded-for", absl::StrCat("192.0.2.", 1 + index % 250));
        auth_v1::SignInRequest request;
        request.set_email("bench@example.com");
        request.set_password("bench password");
        auth_v1::AuthResponse response;
        const grpc::Status status = auth_stub->SignIn(Prepare(context), request, &response);
        if (status.ok()) return absl::Now() - start;
        if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) Die("legit sign-in");
        absl::SleepFor(absl::Seconds(1));  // as Retry-After says
      }
      Die("the legitimate sign-in never got in");
      return absl::ZeroDuration();
    };
    std::vector<absl::Duration> alone;
    for (int i = 0; i < 10; ++i) alone.push_back(legit_sign_in(i));
    std::atomic<bool> attacking{true};
    std::atomic<int64_t> refused{0};
    std::atomic<int64_t> refusal_micros{0};
    std::vector<std::thread> attackers;
    for (int i = 0; i < 200; ++i) {
      attackers.emplace_back([&, i] {
        while (attacking.load()) {
          grpc::ClientContext context;
          context.AddMetadata("x-forwarded-for", absl::StrCat("198.18.", i / 250, ".", i % 250));
          auth_v1::SignInRequest request;
          request.set_email(absl::StrCat("victim", i % 7, "@example.com"));
          request.set_password("a wrong password");
          auth_v1::AuthResponse response;
          const absl::Time start = absl::Now();
          if (auth_stub->SignIn(Prepare(context), request, &response).error_code() ==
              grpc::StatusCode::RESOURCE_EXHAUSTED) {
            ++refused;
            refusal_micros += absl::ToInt64Microseconds(absl::Now() - start);
          }
        }
      });
    }
    absl::SleepFor(absl::Seconds(2));  // every attacker has tried a few times
    std::vector<absl::Duration> flooded;
    for (int i = 0; i < 10; ++i) flooded.push_back(legit_sign_in(100 + i));
    attacking.store(false);
    for (std::thread& thread : attackers) thread.join();
    std::printf(
        "  Newcomer sign-in during a 200-address flood: p50 %s -> %s, max %s -> %s "
        "(ratio of max %.2f); %lld attacker calls refused, %.1f ms each on average\n",
        absl::FormatDuration(Percentile(alone, 0.5)).c_str(),
        absl::FormatDuration(Percentile(flooded, 0.5)).c_str(),
        absl::FormatDuration(Percentile(alone, 1.0)).c_str(),
        absl::FormatDuration(Percentile(flooded, 1.0)).c_str(),
        absl::FDivDuration(Percentile(flooded, 1.0), Percentile(alone, 1.0)),
        static_cast<long long>(refused.load()),
        refused.load() > 0 ? refusal_micros.load() / 1000.0 / refused.load() : 0.0);
  }

  // 5. GetMe served from auth's event loops and blocking threads, as a
  // ratio to GetTask (served from tasks' loops and pipeline), the same lean
  // client, 8 connections, alternating rounds.
  {
    const auto load = [&](int port, const std::string& path, const std::string& request) {
      todo::bench::GrpcLoadOptions options;
      options.port = port;
      options.path = path;
      options.metadata = {{"authorization", absl::StrCat("Bearer ", token)}};
      options.framed_requests = {todo::common::rpc::FrameMessage(request)};
      options.duration = phase / 2;
      const todo::bench::GrpcLoadResult result = todo::bench::RunGrpcLoad(options);
      if (result.failed > 0) Die(absl::StrCat(path, " failed: ", result.first_failure));
      return result.rate();
    };
    tasks_v1::GetTaskRequest get_task_request;
    get_task_request.set_id(task.id());
    const std::string get_task_bytes = get_task_request.SerializeAsString();
    const std::string get_me_bytes = auth_v1::GetMeRequest().SerializeAsString();
    std::vector<double> get_me, get_task;
    constexpr int kRounds = 3;
    for (int round = 0; round < kRounds; ++round) {
      for (size_t turn = 0; turn < 2; ++turn) {
        if (todo::bench::SideInTurn(round, turn, 2) == 0) {
          get_me.push_back(load(auth_port, "/todo.auth.v1.AuthService/GetMe", get_me_bytes));
        } else {
          get_task.push_back(
              load(tasks_port, "/todo.tasks.v1.TasksService/GetTask", get_task_bytes));
        }
      }
    }
    std::printf("  GetMe %.0f/s vs GetTask %.0f/s (8 connections): ratio %s\n",
                std::accumulate(get_me.begin(), get_me.end(), 0.0) / kRounds,
                std::accumulate(get_task.begin(), get_task.end(), 0.0) / kRounds,
                todo::bench::RoundsRatio(get_me, get_task).c_str());
  }

  // Argon2id's memory (ARGON2_MEMORY_KIB per hash computing) counts here.
  std::printf("  todo-auth resident memory: peak %.1f MB (target <= 64); todo-tasks peak %.1f MB\n",
              todo::bench::MemoryKb(auth, "VmHWM:") / 1024.0,
              todo::bench::MemoryKb(tasks, "VmHWM:") / 1024.0);

  EVP_PKEY_free(ed_key);
  kill(auth, SIGTERM);
  kill(tasks, SIGTERM);
  waitpid(auth, nullptr, 0);
  waitpid(tasks, nullptr, 0);
  return 0;
}
