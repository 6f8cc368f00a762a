#pragma once

// What the benchmark drivers share: starting the real service binaries,
// reading their memory, and running h2load.

#include <sys/types.h>

#include <string>
#include <vector>

namespace todo::bench {

// Prints "<program>: <message>" and exits 1.
[[noreturn]] void Die(const std::string& message);
// Starts `binary` with exactly `environment` (NAME=value entries).
pid_t Spawn(const char* binary, std::vector<std::string> environment);
// A /proc/<pid>/status field in kB, e.g. "VmRSS:" or "VmHWM:"; 0 if absent.
long MemoryKb(pid_t pid, const char* field);
// Runs a shell command and returns what it printed (stdout and stderr).
std::string RunCommand(const std::string& command);
// Requests per second from `h2load <arguments>` ("finished in ..., N req/s").
double H2loadRate(const std::string& arguments);

}  // namespace todo::bench
