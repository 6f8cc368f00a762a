#pragma once

// The open StreamReminders calls of this replica, and the one thread that
// feeds them: every poll interval it takes the due reminders of every user
// with an open stream in one statement (TasksStore::DeliverDueReminders) and
// writes each to all of its user's live streams. So an idle stream costs no
// thread and no query of its own, and a reminder counts as delivered only
// when a live stream took it (otherwise it stays due for the next stream).
//
// Streams are capped per user (a user cannot take the slots of others) and
// in all. A stream whose client went away is dropped at the next poll or
// when its user opens another, whichever comes first. Thread-safe.

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/rpc/server.h"
#include "services/tasks/tasks_store.h"

namespace todo::tasks {

struct ReminderHubOptions {
  absl::Duration poll_interval = absl::Seconds(1);
  // Open streams at most, in all and per user; past them RESOURCE_EXHAUSTED.
  int max_streams = 256;
  int max_streams_per_user = 3;
  // Reminders taken per statement (another statement follows at once when
  // that many were due).
  int reminders_per_poll = 100;
};

class ReminderHub {
 public:
  // `store` must outlive the hub.
  ReminderHub(TasksStore* store, ReminderHubOptions options);
  ~ReminderHub();
  ReminderHub(const ReminderHub&) = delete;
  ReminderHub& operator=(const ReminderHub&) = delete;

  // Takes `call` as a stream of `user`'s reminders and sends its headers.
  // RESOURCE_EXHAUSTED when a cap is reached (the call is not taken).
  absl::Status Add(const std::string& user, std::shared_ptr<common::rpc::Call> call);
  // Ends every open stream with OK and stops polling. Idempotent.
  void Stop();

 private:
  using Streams = std::vector<std::shared_ptr<common::rpc::Call>>;
  void PollUntilStopped();
  // One round: returns false when the database could not be asked.
  bool Poll();
  // Drops calls that are over; returns how many remain.
  int PruneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  TasksStore* const store_;
  const ReminderHubOptions options_;
  absl::Mutex mu_;
  std::map<std::string, Streams> streams_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification stop_;
  std::thread poller_;
};

}  // namespace todo::tasks
