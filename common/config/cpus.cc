#include "common/config/cpus.h"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace todo::common::config {
namespace {

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::optional<int> QuotaCpus(int64_t quota, int64_t period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<int>((quota + period - 1) / period);
}

}  // namespace

std::optional<int> CpusFromCpuMax(absl::string_view cpu_max) {
  const std::vector<absl::string_view> words =
      absl::StrSplit(absl::StripAsciiWhitespace(cpu_max), ' ', absl::SkipEmpty());
  int64_t quota = 0;
  int64_t period = 0;
  if (words.size() != 2 || !absl::SimpleAtoi(words[0], &quota) ||
      !absl::SimpleAtoi(words[1], &period)) {
    return std::nullopt;  // "max ..." (unlimited) or unreadable
  }
  return QuotaCpus(quota, period);
}

int UsableCpus() {
  int cpus = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
    cpus = std::min(cpus, std::max(1, CPU_COUNT(&mask)));
  }
  std::optional<int> quota;
  if (std::optional<std::string> cpu_max = ReadFile("/sys/fs/cgroup/cpu.max")) {
    quota = CpusFromCpuMax(*cpu_max);
  } else {
    std::optional<std::string> quota_us = ReadFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    std::optional<std::string> period_us = ReadFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    int64_t quota_value = 0;
    int64_t period_value = 0;
    if (quota_us && period_us &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(*quota_us), &quota_value) &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(*period_us), &period_value)) {
      quota = QuotaCpus(quota_value, period_value);
    }
  }
  if (quota) cpus = std::min(cpus, std::max(1, *quota));
  return cpus;
}

}  // namespace todo::common::config
