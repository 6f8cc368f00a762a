#include "common/rpc/reflection.h"

#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1/reflection.pb.h"

namespace todo::common::rpc {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

// `file` and every file it imports, each once, dependencies first.
void CollectFiles(const FileDescriptor* file, absl::flat_hash_set<const FileDescriptor*>& seen,
                  std::vector<const FileDescriptor*>& out) {
  if (!seen.insert(file).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) CollectFiles(file->dependency(i), seen, out);
  out.push_back(file);
}

void DescribeFile(const FileDescriptor* file, ServerReflectionResponse& response) {
  absl::flat_hash_set<const FileDescriptor*> seen;
  std::vector<const FileDescriptor*> files;
  CollectFiles(file, seen, files);
  auto* out = response.mutable_file_descriptor_response();
  for (const FileDescriptor* each : files) {
    google::protobuf::FileDescriptorProto proto;
    each->CopyTo(&proto);
    out->add_file_descriptor_proto(proto.SerializeAsString());
  }
}

void Fail(absl::StatusCode code, const std::string& message, ServerReflectionResponse& response) {
  response.mutable_error_response()->set_error_code(static_cast<int32_t>(code));
  response.mutable_error_response()->set_error_message(message);
}

// The services named by the paths of `methods`, sorted.
std::set<std::string> ServiceNames(const MethodTable& methods) {
  std::set<std::string> names;
  for (const auto& [path, handler] : methods) {
    const size_t slash = path.find('/', 1);
    if (slash != std::string::npos) names.insert(path.substr(1, slash - 1));
  }
  return names;
}

ServerReflectionResponse Answer(const ServerReflectionRequest& request,
                                const std::set<std::string>& services) {
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  // A file (with its imports) when found, else NOT_FOUND naming what.
  const auto describe = [&](const FileDescriptor* file, const char* missing) {
    if (file == nullptr) {
      Fail(absl::StatusCode::kNotFound, missing, response);
    } else {
      DescribeFile(file, response);
    }
  };
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kListServices:
      for (const std::string& name : services) {
        response.mutable_list_services_response()->add_service()->set_name(name);
      }
      break;
    case ServerReflectionRequest::kFileByFilename:
      describe(pool->FindFileByName(request.file_by_filename()), "file not found");
      break;
    case ServerReflectionRequest::kFileContainingSymbol:
      describe(pool->FindFileContainingSymbol(request.file_containing_symbol()),
               "symbol not found");
      break;
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& asked = request.file_containing_extension();
      const auto* type = pool->FindMessageTypeByName(asked.containing_type());
      const auto* extension =
          type == nullptr ? nullptr : pool->FindExtensionByNumber(type, asked.extension_number());
      describe(extension == nullptr ? nullptr : extension->file(), "extension not found");
      break;
    }
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const auto* type = pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        Fail(absl::StatusCode::kNotFound, "type not found", response);
        break;
      }
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool->FindAllExtensions(type, &extensions);
      auto* out = response.mutable_all_extension_numbers_response();
      out->set_base_type_name(request.all_extension_numbers_of_type());
      for (const auto* extension : extensions) out->add_extension_number(extension->number());
      break;
    }
    default:
      Fail(absl::StatusCode::kUnimplemented, "unknown reflection request", response);
  }
  return response;
}

}  // namespace

void AddReflectionMethods(MethodTable* methods) {
  // v1alpha and v1 share one wire format: the v1 messages answer both.
  static const char* const kPaths[] = {
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"};
  for (const char* path : kPaths) (*methods)[path] = MethodHandler();
  // Listed once every method is in, reflection included.
  auto services = std::make_shared<std::set<std::string>>(ServiceNames(*methods));
  for (const char* path : kPaths) {
    MethodHandler handler;
    handler.on_message = [services](const std::shared_ptr<Call>& call,
                                    std::optional<std::string> message) {
      if (!message.has_value()) {
        call->Finish(absl::OkStatus());
        return;
      }
      ServerReflectionRequest request;
      if (!request.ParseFromString(*message)) {
        call->Finish(absl::InvalidArgumentError("the reflection request does not parse"));
        return;
      }
      call->Write(Answer(request, *services).SerializeAsString());
    };
    (*methods)[path] = std::move(handler);
  }
}

}  // namespace todo::common::rpc
