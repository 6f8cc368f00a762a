#include "services/gateway/transcoding/response_translator.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/type.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "google/rpc/status.pb.h"
#include "services/gateway/transcoding/fast_json_printer.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;
constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

// Protobuf's JSON printer resolves every type it meets, on every call, up to
// three times (the message, its printer and its default-value writer each
// keep their own type cache), and the pool's resolver builds each
// google.protobuf.Type afresh from the descriptor, options included: that
// was a good fifth of the gateway's CPU. The pool never changes, so each
// type is built once and copied out after.
class CachingTypeResolver : public pb::util::TypeResolver {
 public:
  explicit CachingTypeResolver(std::unique_ptr<pb::util::TypeResolver> resolver)
      : resolver_(std::move(resolver)) {}

  pb::util::Status ResolveMessageType(const std::string& type_url, pb::Type* type) override {
    return Resolve(type_url, type, types_, [this](const std::string& url, pb::Type* out) {
      return resolver_->ResolveMessageType(url, out);
    });
  }
  pb::util::Status ResolveEnumType(const std::string& type_url, pb::Enum* type) override {
    return Resolve(type_url, type, enums_, [this](const std::string& url, pb::Enum* out) {
      return resolver_->ResolveEnumType(url, out);
    });
  }

 private:
  template <typename T, typename Build>
  pb::util::Status Resolve(const std::string& type_url, T* out,
                           absl::flat_hash_map<std::string, std::unique_ptr<T>>& cache,
                           const Build& build) {
    absl::MutexLock lock(&mutex_);
    auto found = cache.find(type_url);
    if (found == cache.end()) {
      auto built = std::make_unique<T>();
      pb::util::Status status = build(type_url, built.get());
      if (!status.ok()) return status;  // not cached: unknown types stay errors
      found = cache.emplace(type_url, std::move(built)).first;
    }
    out->CopyFrom(*found->second);
    return pb::util::Status();
  }

  const std::unique_ptr<pb::util::TypeResolver> resolver_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, std::unique_ptr<pb::Type>> types_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, std::unique_ptr<pb::Enum>> enums_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace

int HttpStatusForGrpcCode(int code) {
  static constexpr int kHttpStatus[] = {200, 499, 500, 400, 504, 404, 409, 403, 429,
                                        400, 409, 400, 501, 500, 503, 500, 401};
  if (code < 0 || code >= static_cast<int>(sizeof(kHttpStatus) / sizeof(kHttpStatus[0]))) {
    return 500;
  }
  return kHttpStatus[code];
}

ResponseTranslator::ResponseTranslator(const pb::DescriptorPool* pool, PrintOptions options)
    : pool_(pool),
      resolver_(std::make_unique<CachingTypeResolver>(std::unique_ptr<pb::util::TypeResolver>(
          pb::util::NewTypeResolverForDescriptorPool(kTypeUrlPrefix, pool)))),
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
  const auto status = pb::util::BinaryToJsonString(
      resolver_.get(), absl::StrCat(kTypeUrlPrefix, "/", type.full_name()), std::string(bytes),
      &json, print);
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
