#include "services/auth/password_hasher.h"

#include <argon2.h>
#include <openssl/rand.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "common/status/client_status.h"
#include "common/status/status_macros.h"

namespace todo::auth {
namespace {

// The lowest priority short of SCHED_IDLE: request threads win the CPU about
// 70 to 1, yet sign-ins still progress when the service is busy all the time
// (SCHED_IDLE could starve them).
constexpr int kHashingNice = 19;

}  // namespace

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params) {
  const int workers = std::max(1, params_.max_concurrent);
  // Every worker has lowered its priority before the hasher is used.
  absl::BlockingCounter started(workers);
  for (int i = 0; i < workers; ++i) {
    workers_.emplace_back([this, &started] {
      // Lower priority for this thread only (Linux: per-thread nice).
      // Raising nice needs no privilege; failing to is harmless.
      setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kHashingNice);
      started.DecrementCount();
      WorkerLoop();
    });
  }
  started.Wait();
  // Any password will do: nobody can sign in against the dummy.
  absl::StatusOr<std::string> dummy = Hash("no account has this password");
  dummy_hash_ = dummy.ok() ? *dummy : "";
}

PasswordHasher::~PasswordHasher() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) {
    worker.join();
  }
}

void PasswordHasher::WorkerLoop() {
  while (true) {
    Waiting next;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.Await(absl::Condition(
          +[](PasswordHasher* hasher) ABSL_EXCLUSIVE_LOCKS_REQUIRED(hasher->mutex_) {
            return hasher->stopping_ || !hasher->first_.empty() || !hasher->normal_.empty();
          },
          this));
      std::deque<Waiting>& from = !first_.empty() ? first_ : normal_;
      if (from.empty()) {
        return;  // stopping, and nothing left to do
      }
      next = std::move(from.front());
      from.pop_front();
    }
    next.work();
    next.done->Notify();
  }
}

absl::Status PasswordHasher::RunOnWorker(const std::function<void()>& work, Priority priority) {
  absl::Notification done;
  bool refused = false;
  {
    absl::MutexLock lock(&mutex_);
    const size_t limit = static_cast<size_t>(std::max(0, params_.max_queued));
    if (first_.size() + normal_.size() >= limit) {
      if (priority != Priority::kFirst || normal_.empty()) {
        refused = true;
      } else {
        Waiting pushed_out = std::move(normal_.back());
        normal_.pop_back();
        *pushed_out.refused = true;
        pushed_out.done->Notify();
      }
    }
    if (!refused) {
      (priority == Priority::kFirst ? first_ : normal_).push_back({work, &done, &refused});
    }
  }
  if (!refused) done.WaitForNotification();
  if (refused) {
    // The queue drains by a hash per worker at a time; a second is about a
    // dozen hashes here, and a client told to wait longer would wait for
    // nothing.
    return common::WithRetryDelay(
        absl::ResourceExhaustedError("too many sign-ins at once; try again shortly"),
        absl::Seconds(1));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PasswordHasher::Hash(absl::string_view password, Priority priority) {
  unsigned char salt[16];
  if (RAND_bytes(salt, sizeof(salt)) != 1) {
    return absl::InternalError("no randomness for a salt");
  }
  constexpr size_t kHashBytes = 32;
  const size_t length = argon2_encodedlen(params_.time_cost, params_.memory_kib,
                                          params_.parallelism, sizeof(salt), kHashBytes, Argon2_id);
  std::vector<char> encoded(length);
  int rc = ARGON2_OK;
  RETURN_IF_ERROR(RunOnWorker(
      [&] {
        rc = argon2id_hash_encoded(params_.time_cost, params_.memory_kib, params_.parallelism,
                                   password.data(), password.size(), salt, sizeof(salt), kHashBytes,
                                   encoded.data(), encoded.size());
      },
      priority));
  if (rc != ARGON2_OK) {
    return absl::InternalError(absl::StrCat("argon2: ", argon2_error_message(rc)));
  }
  return std::string(encoded.data());
}

absl::StatusOr<bool> PasswordHasher::Verify(absl::string_view encoded_hash,
                                            absl::string_view password, Priority priority) {
  const std::string encoded(encoded_hash);
  bool verified = false;
  RETURN_IF_ERROR(RunOnWorker(
      [&] {
        verified = argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
      },
      priority));
  return verified;
}

absl::StatusOr<bool> PasswordHasher::VerifyUnknownAccount(absl::string_view password,
                                                          Priority priority) {
  RETURN_IF_ERROR(Verify(dummy_hash_, password, priority).status());
  return false;
}

}  // namespace todo::auth
