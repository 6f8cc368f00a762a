#pragma once

// JSON-RPC 2.0 (https://www.jsonrpc.org/specification) as MCP uses it: one
// message per POST body, ids that are strings or numbers (never null),
// params that are objects. A batch (a JSON array) is an invalid request:
// MCP removed batching in 2025-06-18.

#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace todo::gateway::mcp {

// The error codes of the JSON-RPC specification.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;

struct JsonRpcError {
  int code = kInternalError;
  std::string message;
};

// One message a client posted.
struct JsonRpcMessage {
  enum class Kind {
    kRequest,       // answered with a result or an error
    kNotification,  // a method without an id: nothing to answer
    kResponse,      // the client's answer to a server request (we send none)
  };
  Kind kind = Kind::kRequest;
  google::protobuf::Value id;  // a request's: a string or a number
  std::string method;
  google::protobuf::Struct params;  // {} when absent
};

// What failed to parse comes with the id to answer it under (null when the
// message has none that can be read).
struct RefusedMessage {
  google::protobuf::Value id;
  JsonRpcError error;
};

std::variant<JsonRpcMessage, RefusedMessage> ParseMessage(absl::string_view body);

// A response's JSON text.
std::string ResultJson(const google::protobuf::Value& id, const google::protobuf::Value& result);
std::string ErrorJson(const google::protobuf::Value& id, const JsonRpcError& error);

// JSON text of any value (the protobuf printer: one JSON writer).
std::string ToJson(const google::protobuf::Value& value);
google::protobuf::Value NullValue();

}  // namespace todo::gateway::mcp
