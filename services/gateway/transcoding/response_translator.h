#pragma once

// The HTTP side of an upstream answer (transcoding.md 8, 9, 10): messages
// printed as JSON with Envoy's print options, gRPC codes mapped to HTTP
// statuses, and error statuses rendered as google.rpc.Status JSON.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/type_resolver.h"

namespace todo::gateway::transcoding {

class FastJsonPrinter;

// Envoy's print_options.
struct PrintOptions {
  bool add_whitespace = false;
  bool always_print_primitive_fields = false;
  bool always_print_enums_as_ints = false;
  bool preserve_proto_field_names = false;
  bool stream_newline_delimited = false;
  bool stream_sse_style_delimited = false;
};

// 10.1: OK 200, CANCELLED 499, ..., UNAUTHENTICATED 401; unknown codes 500.
int HttpStatusForGrpcCode(int code);

// What an upstream error's google.rpc.Status details (serialized, from
// grpc-status-details-bin) tell beyond its code: an ErrorInfo of domain
// "todo-grpc" with reason REQUEST_ID_REUSED is HTTP 422 (as the IETF
// Idempotency-Key draft answers a reused key), and a RetryInfo becomes
// Retry-After (whole seconds, rounded up).
struct UpstreamErrorHints {
  int http_status = 500;
  std::optional<int64_t> retry_after_seconds;
};
UpstreamErrorHints HintsForUpstreamError(int code, absl::string_view status_details);

class ResponseTranslator {
 public:
  // `pool` must outlive the translator.
  ResponseTranslator(const google::protobuf::DescriptorPool* pool, PrintOptions options);
  ~ResponseTranslator();

  // A serialized message of `type` as JSON (Any fields resolved through the
  // pool). INTERNAL when the bytes do not parse.
  absl::StatusOr<std::string> MessageJson(const google::protobuf::Descriptor& type,
                                          absl::string_view bytes) const;

  // 10.5: the google.rpc.Status of grpc-status-details-bin when it parses,
  // else {code, message}, printed with the print options. `status_details` is
  // that header's value as the gRPC library hands it over: the serialized
  // google.rpc.Status, already base64-decoded. nullopt when it cannot be
  // rendered (10.7).
  std::optional<std::string> StatusJson(int code, absl::string_view message,
                                        absl::string_view status_details) const;

  const PrintOptions& options() const { return options_; }

 private:
  const google::protobuf::DescriptorPool* pool_;
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
  PrintOptions options_;
  // Prints the common shapes; the converter (through resolver_) the rest.
  std::unique_ptr<FastJsonPrinter> fast_;
};

}  // namespace todo::gateway::transcoding
