#pragma once

// Typed, validated lookup of configuration from environment variables.
//
// Every knob a binary reads is declared once as an EnvVar (name, default,
// one-line doc). The same table drives loading and `--help`. A bad value is an
// INVALID_ARGUMENT whose message starts with the variable's name, so main can
// print it and exit non-zero.
//
//   constexpr EnvVar kGrpcPort{"GRPC_PORT", "50052", "gRPC listen port (0 picks a free one)"};
//   ASSIGN_OR_RETURN(config.port, env.GetInt(kGrpcPort, 0, 65535));

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace todo::common::config {

struct EnvVar {
  const char* name;
  // nullptr: required, no default.
  const char* default_value;
  const char* doc;
  // Never echoed in errors, help or logs.
  bool secret = false;
};

// A snapshot of variables: the process environment, or a map in tests.
class Environment {
 public:
  static Environment FromProcess();
  static Environment FromMap(absl::flat_hash_map<std::string, std::string> values);

  // The raw value, if set and non-empty.
  std::optional<std::string> Lookup(absl::string_view name) const;

  // The value, or the default. INVALID_ARGUMENT when required and unset.
  absl::StatusOr<std::string> GetString(const EnvVar& var) const;
  // Like GetString, and at least `min_length` characters.
  absl::StatusOr<std::string> GetSecret(const EnvVar& var, size_t min_length) const;
  absl::StatusOr<int64_t> GetInt(const EnvVar& var, int64_t min, int64_t max) const;
  absl::StatusOr<double> GetDouble(const EnvVar& var, double min, double max) const;
  // true/false, 1/0, yes/no, on/off.
  absl::StatusOr<bool> GetBool(const EnvVar& var) const;
  // A number of seconds, fractional allowed ("0.5"), within [min, max].
  absl::StatusOr<absl::Duration> GetSeconds(const EnvVar& var, absl::Duration min,
                                            absl::Duration max) const;
  // The first variable of `names_in_order` that is set, else `var`'s value:
  // e.g. TASKS_DATABASE_URL before DATABASE_URL.
  absl::StatusOr<std::string> GetFirstOf(absl::Span<const EnvVar> names_in_order) const;
  // GetInt of the first variable of `names_in_order` that is set, else of the
  // last (whose default applies): a new name before the old one it replaces.
  absl::StatusOr<int64_t> GetIntFirstOf(absl::Span<const EnvVar> names_in_order, int64_t min,
                                        int64_t max) const;

 private:
  absl::flat_hash_map<std::string, std::string> values_;
};

// Text for `--help`: each variable, its default (or "required") and its doc.
std::string FormatHelp(absl::string_view binary, absl::string_view summary,
                       absl::Span<const EnvVar> vars);

// True when argv holds --help or -h.
bool WantsHelp(int argc, char** argv);

}  // namespace todo::common::config
