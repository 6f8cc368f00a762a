#include "bench/bench_support.h"

#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern char* program_invocation_short_name;

extern char** environ;

namespace todo::bench {

namespace {

// What Spawn started, so that Die does not leave servers running behind it.
std::vector<pid_t>& SpawnedProcesses() {
  static auto* spawned = new std::vector<pid_t>;
  return *spawned;
}

}  // namespace

void Die(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message.c_str());
  for (const pid_t pid : SpawnedProcesses()) kill(pid, SIGTERM);
  std::exit(1);
}

pid_t Spawn(const char* binary, std::vector<std::string> environment) {
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (absl::StartsWith(*entry, kServiceEnvPrefix)) {
      environment.push_back(*entry + std::strlen(kServiceEnvPrefix));
    }
  }
  std::vector<char*> env;
  for (std::string& entry : environment) env.push_back(entry.data());
  env.push_back(nullptr);
  char* argv[] = {const_cast<char*>(binary), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, binary, nullptr, nullptr, argv, env.data()) != 0) {
    Die(absl::StrCat("cannot start ", binary));
  }
  SpawnedProcesses().push_back(pid);
  return pid;
}

long MemoryKb(pid_t pid, const char* field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, field)) {
      const std::vector<absl::string_view> words =
          absl::StrSplit(line, ' ', absl::SkipWhitespace());
      long kb = 0;
      if (words.size() >= 2 && absl::SimpleAtoi(words[1], &kb)) return kb;
    }
  }
  return 0;
}

namespace {

// The fields of /proc/<pid>/stat after the command name (which may hold
// spaces): [0] is the state, the 3rd field; field N is [N - 3].
std::vector<std::string> StatFields(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  const size_t name_end = line.rfind(')');
  if (name_end == std::string::npos || name_end + 2 > line.size()) return {};
  return absl::StrSplit(line.substr(name_end + 2), ' ');
}

// The sum of the given stat fields (clock ticks) as a duration.
absl::Duration Ticks(const std::vector<std::string>& fields, std::initializer_list<int> numbers) {
  int64_t ticks = 0;
  for (int number : numbers) {
    int64_t value = 0;
    if (static_cast<int>(fields.size()) <= number - 3 ||
        !absl::SimpleAtoi(fields[number - 3], &value)) {
      return absl::ZeroDuration();
    }
    ticks += value;
  }
  return absl::Seconds(static_cast<double>(ticks) / sysconf(_SC_CLK_TCK));
}

constexpr int kParentField = 4, kUserField = 14, kSystemField = 15, kChildrenUserField = 16,
              kChildrenSystemField = 17;

}  // namespace

absl::Duration ProcessCpu(pid_t pid) { return Ticks(StatFields(pid), {kUserField, kSystemField}); }

absl::Duration ServerCpu(pid_t parent) {
  absl::Duration total = Ticks(
      StatFields(parent), {kUserField, kSystemField, kChildrenUserField, kChildrenSystemField});
  const std::string parent_text = absl::StrCat(parent);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    const std::vector<std::string> fields = StatFields(pid);
    if (fields.size() > kParentField - 3 && fields[kParentField - 3] == parent_text) {
      total += Ticks(fields, {kUserField, kSystemField});
    }
  }
  return total;
}

absl::Duration ChildrenCpu() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

std::string RoundsRatio(const std::vector<double>& rates, const std::vector<double>& reference) {
  double sum = 0, reference_sum = 0, low = 1e9, high = 0;
  for (size_t i = 0; i < rates.size() && i < reference.size(); ++i) {
    sum += rates[i];
    reference_sum += reference[i];
    low = std::min(low, rates[i] / reference[i]);
    high = std::max(high, rates[i] / reference[i]);
  }
  return absl::StrFormat("%.2f (rounds %.2f-%.2f)", sum / reference_sum, low, high);
}

std::string RunCommand(const std::string& command) {
  FILE* pipe = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (pipe == nullptr) Die(absl::StrCat("cannot run ", command));
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  pclose(pipe);
  return output;
}

double H2loadRate(const std::string& arguments) {
  const std::string output = RunCommand(absl::StrCat("h2load ", arguments));
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "finished in")) {
      const std::vector<absl::string_view> words = absl::StrSplit(line, ' ');
      double rate = 0;
      if (words.size() > 3 && absl::SimpleAtod(words[3], &rate)) return rate;
    }
  }
  Die("h2load printed no rate:\n" + output);
}

namespace {

// "1.23ms", "456.00us", "1.01s" as wrk prints latencies.
absl::Duration ParseWrkDuration(absl::string_view text) {
  double value = 0;
  for (const auto& [suffix, unit] :
       {std::pair<absl::string_view, absl::Duration>{"us", absl::Microseconds(1)},
        {"ms", absl::Milliseconds(1)},
        {"s", absl::Seconds(1)}}) {
    if (absl::ConsumeSuffix(&text, suffix)) {
      if (!absl::SimpleAtod(text, &value)) break;
      return value * unit;
    }
  }
  Die(absl::StrCat("wrk printed a latency I cannot read: ", text));
}

}  // namespace

WrkResult RunWrk(const std::string& arguments) {
  const std::string output = RunCommand(absl::StrCat("wrk --latency ", arguments));
  WrkResult result;
  bool have_rate = false, have_p99 = false;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(line, "Non-2xx") || absl::StartsWith(line, "Socket errors")) {
      Die("wrk saw failures:\n" + output);
    }
    const std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() == 2 && words[0] == "Requests/sec:") {
      have_rate = absl::SimpleAtod(words[1], &result.rate);
    } else if (words.size() == 2 && words[0] == "99%") {
      result.p99 = ParseWrkDuration(words[1]);
      have_p99 = true;
    }
  }
  if (!have_rate || !have_p99) Die("wrk printed no rate or p99:\n" + output);
  return result;
}

BenchDatabase StartDatabase(
    const std::vector<std::pair<std::string, const std::vector<common::pg::Migration>*>>& schemas) {
  BenchDatabase database;
  auto server = testing::PostgresInstance::Start();
  if (!server.ok()) Die(std::string(server.status().message()));
  database.server = *std::move(server);
  auto dsn = database.server->CreateDatabase();
  if (!dsn.ok()) Die(std::string(dsn.status().message()));
  database.dsn = *dsn;
  for (const auto& [schema, migrations] : schemas) {
    common::pg::MigratorOptions migrator;
    migrator.connect.dsn = database.dsn;
    migrator.schema = schema;
    auto applied = common::pg::Migrate(migrator, *migrations);
    if (!applied.ok()) Die(std::string(applied.status().message()));
  }
  return database;
}

absl::Duration Percentile(std::vector<absl::Duration> samples, double fraction) {
  if (samples.empty()) return absl::ZeroDuration();
  std::sort(samples.begin(), samples.end());
  return samples[std::min(samples.size() - 1, static_cast<size_t>(samples.size() * fraction))];
}

}  // namespace todo::bench
