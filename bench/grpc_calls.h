#pragma once

// What the drivers that call a service through grpc++ stubs share: waiting
// for a spawned binary to answer, and a call's context (token, deadline).

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "grpcpp/grpcpp.h"

namespace todo::bench {

// Retries `check` for up to 20 s, then dies naming `what`.
template <typename Check>
void WaitUntil(Check check, const char* what) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (check()) return;
    absl::SleepFor(absl::Milliseconds(100));
  }
  Die(absl::StrCat(what, " did not come up"));
}

// `context` with the bearer `token` (if any) and a 30 s deadline.
inline grpc::ClientContext* Prepare(grpc::ClientContext& context, const std::string& token = "") {
  if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  return &context;
}

}  // namespace todo::bench
