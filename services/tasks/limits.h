#pragma once

// Limits of the tasks API (api.md, "Tasks"), applied at the edge.

#include <cstddef>
#include <cstdint>

namespace todo::tasks {

inline constexpr size_t kMaxTitleChars = 200;
inline constexpr size_t kMaxDescriptionChars = 1000;
inline constexpr size_t kMaxTagChars = 50;
inline constexpr size_t kMaxTags = 20;
inline constexpr size_t kMaxCategoryChars = 50;
inline constexpr int32_t kDefaultPageSize = 50;
inline constexpr int32_t kMaxPageSize = 500;
inline constexpr size_t kMaxSearchChars = 200;
inline constexpr size_t kMaxPageTokenBytes = 512;
inline constexpr size_t kMaxRequestIdBytes = 128;
// A request bigger than every field at its limit together is refused by gRPC
// before it is parsed.
inline constexpr int kMaxRequestBytes = 64 * 1024;
// Reminders taken per statement of the reminder poller.
inline constexpr int kRemindersPerPoll = 100;

}  // namespace todo::tasks
