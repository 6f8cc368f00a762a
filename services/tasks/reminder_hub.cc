#include "services/tasks/reminder_hub.h"

#include <algorithm>

#include "common/logging/log.h"
#include "common/time/timestamp.h"
#include "todo/tasks/v1/tasks.pb.h"

namespace todo::tasks {

ReminderHub::ReminderHub(TasksStore* store, ReminderHubOptions options)
    : store_(store), options_(options), poller_([this] { PollUntilStopped(); }) {}

ReminderHub::~ReminderHub() {
  Stop();
  poller_.join();
}

int ReminderHub::PruneLocked() {
  int open = 0;
  for (auto user = streams_.begin(); user != streams_.end();) {
    Streams& calls = user->second;
    calls.erase(
        std::remove_if(calls.begin(), calls.end(), [](const auto& call) { return call->done(); }),
        calls.end());
    if (calls.empty()) {
      user = streams_.erase(user);
    } else {
      open += static_cast<int>(calls.size());
      ++user;
    }
  }
  return open;
}

absl::Status ReminderHub::Add(const std::string& user, std::shared_ptr<common::rpc::Call> call) {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::UnavailableError("the service is stopping");
    if (PruneLocked() >= options_.max_streams) {
      return absl::ResourceExhaustedError("too many open streams");
    }
    Streams& mine = streams_[user];
    if (static_cast<int>(mine.size()) >= options_.max_streams_per_user) {
      return absl::ResourceExhaustedError(
          "too many open reminder streams for this user; close one first");
    }
    mine.push_back(call);
  }
  // Headers now: the client (and the gateway) know the stream is open, and
  // the gateway watches its client from here on.
  call->SendInitialMetadata();
  return absl::OkStatus();
}

void ReminderHub::Stop() {
  Streams ending;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [user, calls] : streams_) {
      ending.insert(ending.end(), calls.begin(), calls.end());
    }
    streams_.clear();
  }
  stop_.Notify();
  for (const auto& call : ending) call->Finish(absl::OkStatus());
}

void ReminderHub::PollUntilStopped() {
  while (!stop_.HasBeenNotified()) {
    Poll();
    stop_.WaitForNotificationWithTimeout(options_.poll_interval);
  }
}

bool ReminderHub::Poll() {
  while (true) {
    std::vector<std::string> users;
    {
      absl::MutexLock lock(&mu_);
      PruneLocked();
      for (const auto& [user, calls] : streams_) users.push_back(user);
    }
    if (users.empty()) return true;  // nobody listens: no query
    const auto deliver = [this](const std::vector<DueReminder>& due) {
      std::vector<int64_t> undelivered;
      for (const DueReminder& reminder : due) {
        v1::Reminder message;
        message.set_task_id(reminder.task_id);
        message.set_title(reminder.title);
        *message.mutable_remind_at() = common::time::ToTimestamp(reminder.remind_at);
        if (reminder.due_date) {
          *message.mutable_due_date() = common::time::ToTimestamp(*reminder.due_date);
        }
        const std::string bytes = message.SerializeAsString();
        Streams calls;
        {
          absl::MutexLock lock(&mu_);
          if (auto found = streams_.find(reminder.user_id); found != streams_.end()) {
            calls = found->second;
          }
        }
        bool taken = false;
        for (const auto& call : calls) taken = call->Write(bytes) || taken;
        if (!taken) undelivered.push_back(reminder.task_id);
      }
      return undelivered;
    };
    absl::StatusOr<int> taken =
        store_->DeliverDueReminders(users, options_.reminders_per_poll, deliver);
    if (!taken.ok()) {
      // The database is away: the streams stay open; the next poll retries.
      common::logging::Warning("reminder_poll_failed", {{"error", taken.status().message()}});
      return false;
    }
    if (*taken < options_.reminders_per_poll || stop_.HasBeenNotified()) return true;
  }
}

}  // namespace todo::tasks
