// todo-probe: is a todo-grpc process up? For container HEALTHCHECKs and the
// chart's test pod, where there is no curl or grpcurl.
//
//   todo-probe grpc HOST:PORT [SERVICE]   grpc.health.v1 Check ("" by default)
//   todo-probe http URL                   GET, 2xx expected
//
// Exit status: 0 healthy, 1 not, 2 usage. PROBE_TIMEOUT_S bounds the check
// (default 3 s).

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "services/probe/probe.h"

namespace {

constexpr char kUsage[] =
    "usage: todo-probe grpc HOST:PORT [SERVICE]\n"
    "       todo-probe http URL\n"
    "Exit status 0 when healthy (SERVING, or a 2xx answer), 1 when not, 2 on usage errors.\n"
    "PROBE_TIMEOUT_S bounds the check (default 3).\n";

absl::Duration Timeout() {
  int seconds = 3;
  if (const char* configured = std::getenv("PROBE_TIMEOUT_S"); configured != nullptr) {
    if (!absl::SimpleAtoi(configured, &seconds) || seconds < 1 || seconds > 300) seconds = 3;
  }
  return absl::Seconds(seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  absl::Status status;
  if (mode == "grpc" && (argc == 3 || argc == 4)) {
    status = todo::probe::CheckGrpcHealth(argv[2], argc == 4 ? argv[3] : "", Timeout());
  } else if (mode == "http" && argc == 3) {
    status = todo::probe::CheckHttp(argv[2], Timeout());
  } else {
    std::fputs(kUsage, mode == "--help" ? stdout : stderr);
    return mode == "--help" ? 0 : 2;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "todo-probe: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
