#include "services/gateway/transcoding/type_resolver.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/type.pb.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;

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

std::unique_ptr<pb::util::TypeResolver> NewCachingTypeResolver(const pb::DescriptorPool* pool) {
  return std::make_unique<CachingTypeResolver>(std::unique_ptr<pb::util::TypeResolver>(
      pb::util::NewTypeResolverForDescriptorPool(kTypeUrlPrefix, pool)));
}

std::string TypeUrl(const pb::Descriptor& type) {
  return absl::StrCat(kTypeUrlPrefix, "/", type.full_name());
}

pb::util::Status ParseJson(pb::util::TypeResolver* resolver, absl::string_view json,
                           pb::Message& message, const pb::util::JsonParseOptions& options) {
  if (resolver == nullptr) {
    return pb::util::JsonStringToMessage(std::string(json), &message, options);
  }
  std::string binary;
  pb::util::Status status = pb::util::JsonToBinaryString(
      resolver, TypeUrl(*message.GetDescriptor()), std::string(json), &binary, options);
  if (status.ok() && !message.ParseFromString(binary)) {
    status = pb::util::InvalidArgumentError("JSON transcoder produced invalid protobuf output.");
  }
  return status;
}

}  // namespace todo::gateway::transcoding
