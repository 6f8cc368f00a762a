#pragma once

// A fake OpenAI-compatible provider: a real HTTP server on loopback that
// answers /v1/chat/completions from a script, in the exact wire format,
// whole or streamed as server-sent events (each call's arguments cut in
// two pieces, as real providers stream them), and keeps every request body.

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/chat/provider/provider_config.h"
#include "tests/harness/loopback_http_server.h"

namespace todo::chat::testing {

struct ScriptedCall {
  std::string name;
  // JSON text (or not, to test that).
  std::string arguments;
  // Empty: the answer carries no id.
  std::string id;
};

class FakeProvider {
 public:
  FakeProvider()
      : server_(
            [this](const ::todo::testing::HttpExchange& exchange) { return Answer(exchange); }) {}

  // Up to and including /v1.
  std::string base_url() const { return server_.Url("/v1"); }

  // A provider brain's configuration pointed at this server.
  provider::ProviderConfig Config(bool stream) const {
    provider::ProviderConfig config;
    config.provider = "openai_compatible";
    config.base_url = base_url();
    config.model = "fake-model";
    config.api_key = "sk-test-secret";
    config.stream = stream;
    return config;
  }

  void Then(::todo::testing::CannedResponse response) {
    absl::MutexLock lock(&mutex_);
    script_.push_back(std::move(response));
  }

  // The bodies of the requests so far, parsed.
  std::vector<google::protobuf::Struct> requests() const {
    absl::MutexLock lock(&mutex_);
    return requests_;
  }

  static ::todo::testing::CannedResponse Calls(const std::vector<ScriptedCall>& calls,
                                               bool stream) {
    if (!stream) {
      google::protobuf::Struct message;
      auto& fields = *message.mutable_fields();
      fields["role"].set_string_value("assistant");
      fields["content"].set_null_value(google::protobuf::NULL_VALUE);
      auto& list = *fields["tool_calls"].mutable_list_value();
      for (const ScriptedCall& call : calls)
        *list.add_values() = CallJson(call, -1, call.arguments);
      return Whole(message, "tool_calls");
    }
    ::todo::testing::CannedResponse response = StreamHead();
    for (size_t i = 0; i < calls.size(); ++i) {
      const std::string& arguments = calls[i].arguments;
      const size_t half = arguments.size() / 2;
      google::protobuf::Struct first;
      *(*first.mutable_fields())["tool_calls"].mutable_list_value()->add_values() =
          CallJson(calls[i], static_cast<int>(i), arguments.substr(0, half));
      response.chunks.push_back(Chunk(first, ""));
      ScriptedCall rest{"", "", ""};
      google::protobuf::Struct second;
      *(*second.mutable_fields())["tool_calls"].mutable_list_value()->add_values() =
          CallJson(rest, static_cast<int>(i), arguments.substr(half));
      response.chunks.push_back(Chunk(second, ""));
    }
    response.chunks.push_back(Chunk(google::protobuf::Struct(), "tool_calls"));
    response.chunks.push_back("data: [DONE]\n\n");
    return response;
  }

  static ::todo::testing::CannedResponse Text(const std::string& text, bool stream) {
    if (!stream) {
      google::protobuf::Struct message;
      (*message.mutable_fields())["role"].set_string_value("assistant");
      (*message.mutable_fields())["content"].set_string_value(text);
      return Whole(message, "stop");
    }
    ::todo::testing::CannedResponse response = StreamHead();
    // Pieces of about 8 bytes, never inside a character (a JSON string
    // holds whole characters).
    for (size_t at = 0; at < text.size();) {
      size_t end = std::min(text.size(), at + 8);
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
      google::protobuf::Struct delta;
      (*delta.mutable_fields())["content"].set_string_value(text.substr(at, end - at));
      response.chunks.push_back(Chunk(delta, ""));
      at = end;
    }
    response.chunks.push_back(Chunk(google::protobuf::Struct(), "stop"));
    response.chunks.push_back("data: [DONE]\n\n");
    return response;
  }

  static ::todo::testing::CannedResponse Error(int status, const std::string& message,
                                               const std::string& type = "server_error") {
    ::todo::testing::CannedResponse response;
    response.status = status;
    response.body = absl::StrCat(R"({"error": {"message": ")", message, R"(", "type": ")", type,
                                 R"(", "code": ")", type, R"("}})");
    return response;
  }

 private:
  ::todo::testing::CannedResponse Answer(const ::todo::testing::HttpExchange& exchange) {
    absl::MutexLock lock(&mutex_);
    google::protobuf::Struct body;
    (void)google::protobuf::util::JsonStringToMessage(exchange.body, &body);
    requests_.push_back(body);
    if (script_.empty()) return Error(500, "the fake provider has no answer scripted");
    ::todo::testing::CannedResponse next = std::move(script_.front());
    script_.pop_front();
    return next;
  }

  static google::protobuf::Value CallJson(const ScriptedCall& call, int index,
                                          const std::string& arguments) {
    google::protobuf::Value value;
    auto& fields = *value.mutable_struct_value()->mutable_fields();
    if (index >= 0) fields["index"].set_number_value(index);
    if (!call.id.empty()) fields["id"].set_string_value(call.id);
    if (!call.name.empty()) fields["type"].set_string_value("function");
    auto& function = *fields["function"].mutable_struct_value()->mutable_fields();
    if (!call.name.empty()) function["name"].set_string_value(call.name);
    function["arguments"].set_string_value(arguments);
    return value;
  }

  static std::string Json(const google::protobuf::Struct& object) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(object, &json);
    return json;
  }

  static ::todo::testing::CannedResponse Whole(const google::protobuf::Struct& message,
                                               const std::string& finish_reason) {
    google::protobuf::Struct body;
    auto& choice = *(*body.mutable_fields())["choices"]
                        .mutable_list_value()
                        ->add_values()
                        ->mutable_struct_value()
                        ->mutable_fields();
    *choice["message"].mutable_struct_value() = message;
    choice["finish_reason"].set_string_value(finish_reason);
    ::todo::testing::CannedResponse response;
    response.body = Json(body);
    return response;
  }

  static ::todo::testing::CannedResponse StreamHead() {
    ::todo::testing::CannedResponse response;
    response.content_type = "text/event-stream";
    response.chunks.push_back(": keep-alive comment\n\n");
    return response;
  }

  static std::string Chunk(const google::protobuf::Struct& delta,
                           const std::string& finish_reason) {
    google::protobuf::Struct chunk;
    auto& choice = *(*chunk.mutable_fields())["choices"]
                        .mutable_list_value()
                        ->add_values()
                        ->mutable_struct_value()
                        ->mutable_fields();
    *choice["delta"].mutable_struct_value() = delta;
    if (!finish_reason.empty()) choice["finish_reason"].set_string_value(finish_reason);
    return absl::StrCat("data: ", Json(chunk), "\n\n");
  }

  mutable absl::Mutex mutex_;
  std::deque<::todo::testing::CannedResponse> script_;
  std::vector<google::protobuf::Struct> requests_;
  ::todo::testing::LoopbackHttpServer server_;
};

}  // namespace todo::chat::testing
