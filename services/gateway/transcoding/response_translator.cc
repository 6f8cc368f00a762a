#include "services/gateway/transcoding/response_translator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/gateway/transcoding/fast_json_printer.h"
#include "services/gateway/transcoding/type_resolver.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;

}  // namespace

int HttpStatusForGrpcCode(int code) {
  static constexpr int kHttpStatus[] = {200, 499, 500, 400, 504, 404, 409, 403, 429,
                                        400, 409, 400, 501, 500, 503, 500, 401};
  if (code < 0 || code >= static_cast<int>(sizeof(kHttpStatus) / sizeof(kHttpStatus[0]))) {
    return 500;
  }
  return kHttpStatus[code];
}

UpstreamErrorHints HintsForUpstreamError(int code, absl::string_view status_details) {
  UpstreamErrorHints hints;
  hints.http_status = HttpStatusForGrpcCode(code);
  google::rpc::Status status;
  if (status_details.empty() ||
      !status.ParseFromArray(status_details.data(), static_cast<int>(status_details.size()))) {
    return hints;
  }
  for (const pb::Any& detail : status.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::RetryInfo retry;
    if (detail.UnpackTo(&info)) {
      if (info.domain() == "todo-grpc" && info.reason() == "REQUEST_ID_REUSED") {
        hints.http_status = 422;
      }
    } else if (detail.UnpackTo(&retry) && retry.retry_delay().seconds() >= 0) {
      // Whole seconds, rounded up, at least one (0 would invite a retry
      // into the same refusal).
      hints.retry_after_seconds = std::max<int64_t>(
          1, retry.retry_delay().seconds() + (retry.retry_delay().nanos() > 0 ? 1 : 0));
    }
  }
  return hints;
}

ResponseTranslator::ResponseTranslator(const pb::DescriptorPool* pool, PrintOptions options)
    : pool_(pool),
      resolver_(NewCachingTypeResolver(pool)),
      options_(options),
      fast_(std::make_unique<FastJsonPrinter>(pool, options)) {}

ResponseTranslator::~ResponseTranslator() = default;

absl::StatusOr<std::string> ResponseTranslator::MessageJson(const pb::Descriptor& type,
                                                            absl::string_view bytes) const {
  if (std::optional<std::string> json = fast_->Print(type, bytes)) return *std::move(json);
  pb::util::JsonPrintOptions print;
  print.add_whitespace = options_.add_whitespace;
  print.always_print_primitive_fields = options_.always_print_primitive_fields;
  print.always_print_enums_as_ints = options_.always_print_enums_as_ints;
  print.preserve_proto_field_names = options_.preserve_proto_field_names;
  std::string json;
  const auto status = pb::util::BinaryToJsonString(resolver_.get(), TypeUrl(type),
                                                   std::string(bytes), &json, print);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print ", type.full_name(), ": ", status.message().ToString()));
  }
  return json;
}

std::optional<std::string> ResponseTranslator::StatusJson(int code, absl::string_view message,
                                                          absl::string_view status_details) const {
  google::rpc::Status status;
  if (status_details.empty() ||
      !status.ParseFromArray(status_details.data(), static_cast<int>(status_details.size()))) {
    status.Clear();
    status.set_code(code);
    status.set_message(std::string(message));
  }
  const pb::Descriptor* type = pool_->FindMessageTypeByName("google.rpc.Status");
  if (type == nullptr) {
    return std::nullopt;
  }
  absl::StatusOr<std::string> json = MessageJson(*type, status.SerializeAsString());
  if (!json.ok()) {
    return std::nullopt;
  }
  return *std::move(json);
}

}  // namespace todo::gateway::transcoding
