#include "services/gateway/mcp/json_rpc.h"

#include <cmath>
#include <utility>

#include "common/json/flat_json.h"
#include "google/protobuf/util/json_util.h"

namespace todo::gateway::mcp {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// How deep a message may nest: tool arguments are shallow.
constexpr int kMaxDepth = 32;

RefusedMessage Refused(Value id, int code, std::string message) {
  return {std::move(id), {code, std::move(message)}};
}

const Value* Member(const Struct& object, const char* name) {
  auto found = object.fields().find(name);
  return found == object.fields().end() ? nullptr : &found->second;
}

bool IsValidId(const Value& id) {
  if (id.has_string_value()) return true;
  // JSON-RPC advises against fractional ids; MCP's ids are integers.
  return id.has_number_value() && std::isfinite(id.number_value()) &&
         std::trunc(id.number_value()) == id.number_value();
}

}  // namespace

Value NullValue() {
  Value null;
  null.set_null_value(google::protobuf::NULL_VALUE);
  return null;
}

std::variant<JsonRpcMessage, RefusedMessage> ParseMessage(absl::string_view body) {
  absl::StatusOr<Value> parsed = common::json::ParseJsonValue(body, kMaxDepth);
  if (!parsed.ok()) {
    return Refused(NullValue(), kParseError,
                   std::string("Parse error: ") + std::string(parsed.status().message()));
  }
  if (parsed->has_list_value()) {
    return Refused(NullValue(), kInvalidRequest,
                   "Invalid Request: batches are not supported (MCP 2025-06-18 and later); send "
                   "one message per request");
  }
  if (!parsed->has_struct_value()) {
    return Refused(NullValue(), kInvalidRequest, "Invalid Request: not a JSON-RPC object");
  }
  const Struct& object = parsed->struct_value();
  const Value* id = Member(object, "id");
  Value answer_id = id != nullptr && IsValidId(*id) ? *id : NullValue();
  const Value* version = Member(object, "jsonrpc");
  if (version == nullptr || version->string_value() != "2.0") {
    return Refused(std::move(answer_id), kInvalidRequest,
                   "Invalid Request: \"jsonrpc\" must be \"2.0\"");
  }
  if (id != nullptr && !IsValidId(*id)) {
    return Refused(NullValue(), kInvalidRequest,
                   "Invalid Request: \"id\" must be a string or an integer");
  }
  const Value* method = Member(object, "method");
  JsonRpcMessage message;
  if (method == nullptr) {
    if (id != nullptr &&
        (Member(object, "result") != nullptr || Member(object, "error") != nullptr)) {
      message.kind = JsonRpcMessage::Kind::kResponse;
      message.id = *id;
      return message;
    }
    return Refused(std::move(answer_id), kInvalidRequest, "Invalid Request: no \"method\"");
  }
  if (!method->has_string_value()) {
    return Refused(std::move(answer_id), kInvalidRequest,
                   "Invalid Request: \"method\" must be a string");
  }
  message.method = method->string_value();
  message.kind =
      id == nullptr ? JsonRpcMessage::Kind::kNotification : JsonRpcMessage::Kind::kRequest;
  if (id != nullptr) message.id = *id;
  if (const Value* params = Member(object, "params"); params != nullptr) {
    if (!params->has_struct_value()) {
      return Refused(std::move(answer_id), kInvalidParams,
                     "Invalid params: \"params\" must be an object");
    }
    message.params = params->struct_value();
  }
  return message;
}

std::string ToJson(const Value& value) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(value, &json);
  return json;
}

std::string ResultJson(const Value& id, const Value& result) {
  return "{\"jsonrpc\":\"2.0\",\"id\":" + ToJson(id) + ",\"result\":" + ToJson(result) + "}";
}

std::string ErrorJson(const Value& id, const JsonRpcError& error) {
  // Written in the specification's order (a Struct's is its map's).
  Value message;
  message.set_string_value(error.message);
  return "{\"jsonrpc\":\"2.0\",\"id\":" + ToJson(id) +
         ",\"error\":{\"code\":" + std::to_string(error.code) + ",\"message\":" + ToJson(message) +
         "}}";
}

}  // namespace todo::gateway::mcp
