#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "services/gateway/mcp/json_rpc.h"

namespace todo::gateway::mcp {
namespace {

RefusedMessage Refusal(absl::string_view body) {
  auto parsed = ParseMessage(body);
  EXPECT_TRUE(std::holds_alternative<RefusedMessage>(parsed)) << body;
  return std::holds_alternative<RefusedMessage>(parsed) ? std::get<RefusedMessage>(parsed)
                                                        : RefusedMessage{};
}

JsonRpcMessage Message(absl::string_view body) {
  auto parsed = ParseMessage(body);
  EXPECT_TRUE(std::holds_alternative<JsonRpcMessage>(parsed)) << body;
  return std::holds_alternative<JsonRpcMessage>(parsed) ? std::get<JsonRpcMessage>(parsed)
                                                        : JsonRpcMessage{};
}

TEST(JsonRpcTest, ReadsRequestsNotificationsAndResponses) {
  const JsonRpcMessage request =
      Message(R"({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "x"}})");
  EXPECT_EQ(request.kind, JsonRpcMessage::Kind::kRequest);
  EXPECT_EQ(request.method, "tools/call");
  EXPECT_EQ(request.id.number_value(), 7);
  EXPECT_EQ(request.params.fields().at("name").string_value(), "x");
  EXPECT_EQ(Message(R"({"jsonrpc": "2.0", "id": "a", "method": "ping"})").id.string_value(), "a");
  EXPECT_EQ(Message(R"({"jsonrpc": "2.0", "method": "notifications/initialized"})").kind,
            JsonRpcMessage::Kind::kNotification);
  EXPECT_EQ(Message(R"({"jsonrpc": "2.0", "id": 1, "result": {}})").kind,
            JsonRpcMessage::Kind::kResponse);
}

TEST(JsonRpcTest, RefusesWithTheSpecsCodesAndTheIdWhenItCanBeRead) {
  struct Case {
    const char* body;
    int code;
    const char* id;  // JSON of the id answered under
  };
  for (const Case& c : {
           Case{"{", kParseError, "null"},
           Case{R"({"jsonrpc": "2.0", "id": 1, "method": "ping"} x)", kParseError, "null"},
           Case{R"([{"jsonrpc": "2.0", "id": 1, "method": "ping"}])", kInvalidRequest, "null"},
           Case{"42", kInvalidRequest, "null"},
           Case{R"({"id": 3, "method": "ping"})", kInvalidRequest, "3"},
           Case{R"({"jsonrpc": "2.0", "id": null, "method": "ping"})", kInvalidRequest, "null"},
           Case{R"({"jsonrpc": "2.0", "id": 1.5, "method": "ping"})", kInvalidRequest, "null"},
           Case{R"({"jsonrpc": "2.0", "id": {}, "method": "ping"})", kInvalidRequest, "null"},
           Case{R"({"jsonrpc": "2.0", "id": "q", "method": ["ping"]})", kInvalidRequest, "\"q\""},
           Case{R"({"jsonrpc": "2.0", "id": 4})", kInvalidRequest, "4"},
           Case{R"({"jsonrpc": "2.0", "id": 5, "method": "x", "params": [1]})", kInvalidParams,
                "5"},
       }) {
    const RefusedMessage refused = Refusal(c.body);
    EXPECT_EQ(refused.error.code, c.code) << c.body;
    EXPECT_EQ(ToJson(refused.id), c.id) << c.body;
  }
}

TEST(JsonRpcTest, WritesResultsAndErrorsUnderTheirIds) {
  google::protobuf::Value id;
  id.set_number_value(12);
  google::protobuf::Value result;
  (*result.mutable_struct_value()->mutable_fields())["ok"].set_bool_value(true);
  EXPECT_EQ(ResultJson(id, result), R"({"jsonrpc":"2.0","id":12,"result":{"ok":true}})");
  EXPECT_EQ(
      ErrorJson(NullValue(), {kMethodNotFound, "Method not found: \"x\""}),
      R"({"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"Method not found: \"x\""}})");
}

TEST(JsonRpcTest, RefusesNestingDeeperThanAToolNeeds) {
  std::string deep = R"({"jsonrpc": "2.0", "id": 1, "method": "x", "params": {"a": )";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += "}}";
  EXPECT_EQ(Refusal(deep).error.code, kParseError);
}

}  // namespace
}  // namespace todo::gateway::mcp
