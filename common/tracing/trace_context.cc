#include "common/tracing/trace_context.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace todo::common::tracing {
namespace {

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

bool AllZero(absl::string_view text) { return text.find_first_not_of('0') == text.npos; }

}  // namespace

std::optional<ParsedTraceParent> ParseTraceParent(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55.
  if (header.size() < 55) return std::nullopt;
  const absl::string_view version = header.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may append fields
  // after a dash, which a 00 reader ignores.
  if (version == "00" ? header.size() != 55 : header.size() > 55 && header[55] != '-') {
    return std::nullopt;
  }
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  ParsedTraceParent parsed{std::string(header.substr(3, 32)), std::string(header.substr(36, 16)),
                           std::string(header.substr(53, 2))};
  if (!IsLowerHex(parsed.trace_id) || AllZero(parsed.trace_id) || !IsLowerHex(parsed.parent_id) ||
      AllZero(parsed.parent_id) || !IsLowerHex(parsed.flags)) {
    return std::nullopt;
  }
  return parsed;
}

std::string TraceIdOf(absl::string_view header) {
  std::optional<ParsedTraceParent> parsed = ParseTraceParent(header);
  return parsed ? parsed->trace_id : "";
}

TraceContext TraceContext::NewTrace() {
  TraceContext context;
  context.trace_id = RandomHex(16);
  context.span_id = RandomHex(8);
  return context;
}

TraceContext TraceContext::ForRequest(absl::string_view traceparent, absl::string_view tracestate) {
  std::optional<ParsedTraceParent> parent = ParseTraceParent(traceparent);
  if (!parent) return NewTrace();
  TraceContext context;
  context.trace_id = std::move(parent->trace_id);
  context.span_id = RandomHex(8);
  // Only the sampled bit is defined; the others are not passed on.
  const int flags = std::stoi(parent->flags, nullptr, 16) & 0x01;
  context.flags = flags ? "01" : "00";
  context.trace_state = std::string(absl::StripAsciiWhitespace(tracestate));
  return context;
}

std::string RandomHex(int bytes) {
  thread_local absl::BitGen bits;
  std::string hex;
  do {
    hex.clear();
    for (int i = 0; i < bytes; i += 8) {
      const uint64_t word = absl::Uniform<uint64_t>(bits);
      hex += absl::StrCat(absl::Hex(word, absl::kZeroPad16));
    }
    hex.resize(2 * bytes);
  } while (AllZero(hex));
  return hex;
}

std::string TraceContext::TraceParent() const {
  return absl::StrCat("00-", trace_id, "-", span_id, "-", flags);
}

}  // namespace todo::common::tracing
