#pragma once

// W3C Trace Context (https://www.w3.org/TR/trace-context/): the
// `traceparent` header that ties every hop of one request together.
//
//   traceparent: 00-<trace-id: 32 hex>-<parent-id: 16 hex>-<flags: 2 hex>
//
// Each process that handles a request works in a span of its own: the trace
// id it received (or a new one when none came, or a malformed one), a new
// span id, the caller's span as parent. It sends its own span id as the
// parent of the calls it makes, and writes trace and span ids on its log
// lines (common/logging), so one grep of a trace id finds the request in
// every service. `tracestate` is passed on unchanged with a valid parent.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace todo::common::tracing {

struct TraceContext {
  std::string trace_id;  // 32 lower-case hex digits, not all zero
  std::string span_id;   // 16 lower-case hex digits, not all zero
  std::string flags = "00";
  std::string trace_state;

  // A span of a new trace (no caller, or a caller's malformed header).
  static TraceContext NewTrace();
  // The span in which a request that came with these headers is handled:
  // the caller's trace, or a new one when `traceparent` is absent or
  // invalid (then `tracestate` is dropped too, as the spec says).
  static TraceContext ForRequest(absl::string_view traceparent, absl::string_view tracestate);

  bool empty() const { return trace_id.empty(); }
  // The `traceparent` for a call made from this span.
  std::string TraceParent() const;
};

// The parts of a valid `traceparent` (version 00, or a later version read
// as the spec says: its first four fields); nullopt otherwise.
struct ParsedTraceParent {
  std::string trace_id;
  std::string parent_id;
  std::string flags;
};
std::optional<ParsedTraceParent> ParseTraceParent(absl::string_view header);

// The trace id of a `traceparent` or `traceresponse` value; "" if invalid.
std::string TraceIdOf(absl::string_view header);

// `bytes` random bytes as lower-case hex, never all zero (an invalid trace
// or span id), from a per-thread generator seeded by the system: unique
// enough for ids, cheap enough for every request (not for secrets).
std::string RandomHex(int bytes);

}  // namespace todo::common::tracing
