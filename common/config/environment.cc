#include "common/config/environment.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

extern char** environ;

namespace todo::common::config {
namespace {

absl::Status BadValue(const EnvVar& var, absl::string_view value, absl::string_view expected) {
  if (var.secret) {
    return absl::InvalidArgumentError(absl::StrCat(var.name, ": ", expected));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(var.name, ": invalid value \"", value, "\": ", expected));
}

}  // namespace

Environment Environment::FromProcess() {
  absl::flat_hash_map<std::string, std::string> values;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq != absl::string_view::npos) {
      values.emplace(text.substr(0, eq), text.substr(eq + 1));
    }
  }
  return FromMap(std::move(values));
}

Environment Environment::FromMap(absl::flat_hash_map<std::string, std::string> values) {
  Environment env;
  env.values_ = std::move(values);
  return env;
}

std::optional<std::string> Environment::Lookup(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::string> Environment::GetString(const EnvVar& var) const {
  if (auto value = Lookup(var.name)) {
    return *value;
  }
  if (var.default_value == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(var.name, ": required but not set"));
  }
  return std::string(var.default_value);
}

absl::StatusOr<std::string> Environment::GetSecret(const EnvVar& var, size_t min_length) const {
  absl::StatusOr<std::string> value = GetString(var);
  if (!value.ok()) {
    return value.status();
  }
  if (value->size() < min_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(var.name, ": must be at least ", min_length, " characters long"));
  }
  return value;
}

absl::StatusOr<int64_t> Environment::GetInt(const EnvVar& var, int64_t min, int64_t max) const {
  absl::StatusOr<std::string> text = GetString(var);
  if (!text.ok()) {
    return text.status();
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value) || value < min || value > max) {
    return BadValue(var, *text, absl::StrCat("expected an integer in [", min, ", ", max, "]"));
  }
  return value;
}

absl::StatusOr<double> Environment::GetDouble(const EnvVar& var, double min, double max) const {
  absl::StatusOr<std::string> text = GetString(var);
  if (!text.ok()) {
    return text.status();
  }
  double value = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(*text), &value) || !(value >= min) ||
      !(value <= max)) {
    return BadValue(var, *text, absl::StrCat("expected a number in [", min, ", ", max, "]"));
  }
  return value;
}

absl::StatusOr<bool> Environment::GetBool(const EnvVar& var) const {
  absl::StatusOr<std::string> text = GetString(var);
  if (!text.ok()) {
    return text.status();
  }
  const std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*text));
  if (word == "1" || word == "true" || word == "yes" || word == "on") return true;
  if (word == "0" || word == "false" || word == "no" || word == "off") return false;
  return BadValue(var, *text, "expected true or false");
}

absl::StatusOr<absl::Duration> Environment::GetSeconds(const EnvVar& var, absl::Duration min,
                                                       absl::Duration max) const {
  absl::StatusOr<std::string> text = GetString(var);
  if (!text.ok()) {
    return text.status();
  }
  double seconds = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(*text), &seconds) || !(seconds >= 0) ||
      absl::Seconds(seconds) < min || absl::Seconds(seconds) > max) {
    return BadValue(var, *text,
                    absl::StrCat("expected seconds in [", absl::ToDoubleSeconds(min), ", ",
                                 absl::ToDoubleSeconds(max), "]"));
  }
  return absl::Seconds(seconds);
}

absl::StatusOr<std::string> Environment::GetFirstOf(absl::Span<const EnvVar> names_in_order) const {
  for (const EnvVar& var : names_in_order) {
    if (auto value = Lookup(var.name)) {
      return *value;
    }
  }
  if (names_in_order.empty()) {
    return absl::InvalidArgumentError("no variable named");
  }
  return GetString(names_in_order.back());
}

absl::StatusOr<int64_t> Environment::GetIntFirstOf(absl::Span<const EnvVar> names_in_order,
                                                   int64_t min, int64_t max) const {
  if (names_in_order.empty()) return absl::InvalidArgumentError("no variable named");
  for (const EnvVar& var : names_in_order) {
    if (Lookup(var.name)) return GetInt(var, min, max);
  }
  return GetInt(names_in_order.back(), min, max);
}

std::string FormatHelp(absl::string_view binary, absl::string_view summary,
                       absl::Span<const EnvVar> vars) {
  std::string text =
      absl::StrCat("Usage: ", binary, "\n", summary, "\n\nConfigured by environment variables:\n");
  for (const EnvVar& var : vars) {
    const std::string default_text =
        var.default_value == nullptr
            ? "required"
            : (var.secret ? "default hidden" : absl::StrCat("default \"", var.default_value, "\""));
    absl::StrAppendFormat(&text, "  %-24s %s (%s)\n", var.name, var.doc, default_text);
  }
  return text;
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg(argv[i]);
    if (arg == "--help" || arg == "-h") {
      return true;
    }
  }
  return false;
}

}  // namespace todo::common::config
