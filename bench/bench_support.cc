#include "bench/bench_support.h"

#include <spawn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char* program_invocation_short_name;

namespace todo::bench {

void Die(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message.c_str());
  std::exit(1);
}

pid_t Spawn(const char* binary, std::vector<std::string> environment) {
  std::vector<char*> env;
  for (std::string& entry : environment) env.push_back(entry.data());
  env.push_back(nullptr);
  char* argv[] = {const_cast<char*>(binary), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, binary, nullptr, nullptr, argv, env.data()) != 0) {
    Die(absl::StrCat("cannot start ", binary));
  }
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
