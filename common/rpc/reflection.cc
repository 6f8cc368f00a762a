#include "common/rpc/reflection.h"

#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"

namespace todo::common::rpc {

namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using google::protobuf::internal::WireFormatLite;

// ServerReflectionRequest / ServerReflectionResponse field numbers.
enum RequestField {
  kHost = 1,
  kFileByFilename = 3,
  kFileContainingSymbol = 4,
  kFileContainingExtension = 5,
  kAllExtensionNumbersOfType = 6,
  kListServices = 7,
};
enum ResponseField {
  kValidHost = 1,
  kOriginalRequest = 2,
  kFileDescriptorResponse = 4,
  kAllExtensionNumbersResponse = 5,
  kListServicesResponse = 6,
  kErrorResponse = 7,
};

struct Request {
  std::string host;
  int kind = 0;  // the RequestField of the question asked
  std::string subject;
  std::string extension_type;  // file_containing_extension
  int32_t extension_number = 0;
};

std::optional<Request> ParseReflectionRequest(const std::string& bytes) {
  Request request;
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  while (uint32_t tag = input.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto wire_type = WireFormatLite::GetTagWireType(tag);
    if (wire_type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&input, tag)) return std::nullopt;
      continue;
    }
    std::string value;
    if (!WireFormatLite::ReadBytes(&input, &value)) return std::nullopt;
    switch (field) {
      case kHost:
        request.host = std::move(value);
        break;
      case kFileByFilename:
      case kFileContainingSymbol:
      case kAllExtensionNumbersOfType:
      case kListServices:
        request.kind = field;
        request.subject = std::move(value);
        break;
      case kFileContainingExtension: {
        request.kind = field;
        google::protobuf::io::CodedInputStream inner(reinterpret_cast<const uint8_t*>(value.data()),
                                                     static_cast<int>(value.size()));
        while (uint32_t inner_tag = inner.ReadTag()) {
          const int inner_field = WireFormatLite::GetTagFieldNumber(inner_tag);
          if (inner_field == 1 && WireFormatLite::GetTagWireType(inner_tag) ==
                                      WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
            if (!WireFormatLite::ReadBytes(&inner, &request.extension_type)) return std::nullopt;
          } else if (inner_field == 2 &&
                     WireFormatLite::GetTagWireType(inner_tag) == WireFormatLite::WIRETYPE_VARINT) {
            uint32_t number = 0;
            if (!inner.ReadVarint32(&number)) return std::nullopt;
            request.extension_number = static_cast<int32_t>(number);
          } else if (!WireFormatLite::SkipField(&inner, inner_tag)) {
            return std::nullopt;
          }
        }
        break;
      }
      default:
        break;
    }
  }
  if (!input.ConsumedEntireMessage()) return std::nullopt;
  return request;
}

// Appends field `field` holding `bytes` (length-delimited) to `out`.
void AppendBytes(int field, const std::string& bytes, std::string* out) {
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream output(&stream);
  WireFormatLite::WriteBytes(field, bytes, &output);
}

void AppendInt32(int field, int32_t value, std::string* out) {
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream output(&stream);
  WireFormatLite::WriteInt32(field, value, &output);
}

// `file` and every file it imports, each once, dependencies first.
void CollectFiles(const FileDescriptor* file, absl::flat_hash_set<const FileDescriptor*>& seen,
                  std::vector<const FileDescriptor*>& out) {
  if (!seen.insert(file).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) CollectFiles(file->dependency(i), seen, out);
  out.push_back(file);
}

std::string FileDescriptorResponse(const FileDescriptor* file) {
  absl::flat_hash_set<const FileDescriptor*> seen;
  std::vector<const FileDescriptor*> files;
  CollectFiles(file, seen, files);
  std::string body;
  for (const FileDescriptor* each : files) {
    google::protobuf::FileDescriptorProto proto;
    each->CopyTo(&proto);
    AppendBytes(1, proto.SerializeAsString(), &body);
  }
  return body;
}

std::string ErrorResponse(grpc::StatusCode code, const std::string& message) {
  std::string body;
  AppendInt32(1, static_cast<int32_t>(code), &body);
  AppendBytes(2, message, &body);
  return body;
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

std::string Answer(const std::string& raw_request, const Request& request,
                   const std::set<std::string>& services) {
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  std::string response;
  AppendBytes(kValidHost, request.host, &response);
  AppendBytes(kOriginalRequest, raw_request, &response);
  const auto not_found = [&](const std::string& what) {
    AppendBytes(kErrorResponse, ErrorResponse(grpc::StatusCode::NOT_FOUND, what), &response);
  };
  switch (request.kind) {
    case kListServices: {
      std::string body;
      for (const std::string& name : services) {
        std::string service;
        AppendBytes(1, name, &service);
        AppendBytes(1, service, &body);
      }
      AppendBytes(kListServicesResponse, body, &response);
      break;
    }
    case kFileByFilename: {
      const FileDescriptor* file = pool->FindFileByName(request.subject);
      if (file == nullptr) {
        not_found("file not found");
      } else {
        AppendBytes(kFileDescriptorResponse, FileDescriptorResponse(file), &response);
      }
      break;
    }
    case kFileContainingSymbol: {
      const FileDescriptor* file = pool->FindFileContainingSymbol(request.subject);
      if (file == nullptr) {
        not_found("symbol not found");
      } else {
        AppendBytes(kFileDescriptorResponse, FileDescriptorResponse(file), &response);
      }
      break;
    }
    case kFileContainingExtension: {
      const auto* type = pool->FindMessageTypeByName(request.extension_type);
      const auto* extension =
          type == nullptr ? nullptr : pool->FindExtensionByNumber(type, request.extension_number);
      if (extension == nullptr) {
        not_found("extension not found");
      } else {
        AppendBytes(kFileDescriptorResponse, FileDescriptorResponse(extension->file()), &response);
      }
      break;
    }
    case kAllExtensionNumbersOfType: {
      const auto* type = pool->FindMessageTypeByName(request.subject);
      if (type == nullptr) {
        not_found("type not found");
        break;
      }
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool->FindAllExtensions(type, &extensions);
      std::string body;
      AppendBytes(1, request.subject, &body);
      for (const auto* extension : extensions) AppendInt32(2, extension->number(), &body);
      AppendBytes(kAllExtensionNumbersResponse, body, &response);
      break;
    }
    default:
      AppendBytes(kErrorResponse,
                  ErrorResponse(grpc::StatusCode::UNIMPLEMENTED, "unknown reflection request"),
                  &response);
  }
  return response;
}

}  // namespace

void AddReflectionMethods(MethodTable* methods) {
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
        call->Finish(grpc::Status::OK);
        return;
      }
      std::optional<Request> request = ParseReflectionRequest(*message);
      if (!request.has_value()) {
        call->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  "the reflection request does not parse"));
        return;
      }
      call->Write(Answer(*message, *request, *services));
    };
    (*methods)[path] = std::move(handler);
  }
}

}  // namespace todo::common::rpc
