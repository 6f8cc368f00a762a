#include "services/chat/provider/chat_completions.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/json/flat_json.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/chat/task_tools.h"

namespace todo::chat::provider {
namespace {

using common::json::ObjectMember;
using common::json::StringMember;
using google::protobuf::Struct;
using google::protobuf::Value;

absl::StatusOr<Struct> ParseObject(absl::string_view json) {
  absl::StatusOr<Value> value = common::json::ParseJsonValue(json);
  if (!value.ok() || !value->has_struct_value()) {
    return absl::UnavailableError("the model's provider sent a body that is not a JSON object");
  }
  return std::move(*value->mutable_struct_value());
}

// choices[0], the only one we ask for.
const Struct* FirstChoice(const Struct& body) {
  auto choices = body.fields().find("choices");
  if (choices == body.fields().end() || choices->second.list_value().values_size() == 0) {
    return nullptr;
  }
  return &choices->second.list_value().values(0).struct_value();
}

absl::Status StreamError(const Struct& error) {
  std::string message = StringMember(error, "message");
  if (message.empty()) message = "no message";
  return absl::UnavailableError(absl::StrCat("the model's provider failed: ", message));
}

Value ToolCallsJson(const std::vector<ModelToolCall>& calls) {
  Value list;
  for (const ModelToolCall& call : calls) {
    auto& fields =
        *list.mutable_list_value()->add_values()->mutable_struct_value()->mutable_fields();
    fields["id"].set_string_value(call.id);
    fields["type"].set_string_value("function");
    auto& function = *fields["function"].mutable_struct_value()->mutable_fields();
    function["name"].set_string_value(call.name);
    function["arguments"].set_string_value(call.arguments);
  }
  return list;
}

}  // namespace

std::string CompletionRequestJson(const CompletionRequest& request) {
  Struct body;
  auto& fields = *body.mutable_fields();
  fields["model"].set_string_value(request.model);
  auto& messages = *fields["messages"].mutable_list_value();
  for (const ChatMessage& message : request.messages) {
    auto& out = *messages.add_values()->mutable_struct_value()->mutable_fields();
    out["role"].set_string_value(message.role);
    if (message.content.has_value()) {
      out["content"].set_string_value(*message.content);
    } else {
      out["content"].set_null_value(google::protobuf::NULL_VALUE);
    }
    if (!message.tool_calls.empty()) out["tool_calls"] = ToolCallsJson(message.tool_calls);
    if (!message.tool_call_id.empty()) out["tool_call_id"].set_string_value(message.tool_call_id);
  }
  auto& tools = *fields["tools"].mutable_list_value();
  for (const ToolSpec& spec : TaskToolSpecs()) {
    auto& tool = *tools.add_values()->mutable_struct_value()->mutable_fields();
    tool["type"].set_string_value("function");
    auto& function = *tool["function"].mutable_struct_value()->mutable_fields();
    function["name"].set_string_value(spec.name);
    function["description"].set_string_value(spec.description);
    // The specs' schemas are tested to parse.
    if (absl::StatusOr<Value> schema = common::json::ParseJsonValue(spec.input_schema);
        schema.ok()) {
      function["parameters"] = *std::move(schema);
    }
  }
  fields["tool_choice"].set_string_value("auto");
  fields["stream"].set_bool_value(request.stream);
  fields["max_tokens"].set_number_value(request.max_tokens);
  fields["temperature"].set_number_value(request.temperature);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(body, &json);
  return json;
}

std::optional<ProviderError> ParseError(absl::string_view body) {
  absl::StatusOr<Struct> parsed = ParseObject(body);
  if (!parsed.ok()) return std::nullopt;
  const Struct* error = ObjectMember(*parsed, "error");
  if (error == nullptr) return std::nullopt;
  ProviderError out{StringMember(*error, "message"), StringMember(*error, "type"),
                    StringMember(*error, "code")};
  return out;
}

absl::StatusOr<ModelMessage> ParseCompletion(absl::string_view body) {
  absl::StatusOr<Struct> parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.status();
  if (const Struct* error = ObjectMember(*parsed, "error")) return StreamError(*error);
  const Struct* choice = FirstChoice(*parsed);
  const Struct* message = choice == nullptr ? nullptr : ObjectMember(*choice, "message");
  if (message == nullptr) {
    return absl::UnavailableError("the model's provider answered without a message");
  }
  ModelMessage out;
  out.content = StringMember(*message, "content");
  out.finish_reason = StringMember(*choice, "finish_reason");
  auto calls = message->fields().find("tool_calls");
  if (calls != message->fields().end()) {
    for (const Value& value : calls->second.list_value().values()) {
      const Struct& call = value.struct_value();
      const Struct* function = ObjectMember(call, "function");
      ModelToolCall parsed_call;
      parsed_call.id = StringMember(call, "id");
      if (function != nullptr) {
        parsed_call.name = StringMember(*function, "name");
        // Some servers send the arguments as an object, not as text.
        auto arguments = function->fields().find("arguments");
        if (arguments != function->fields().end()) {
          if (arguments->second.has_struct_value()) {
            (void)google::protobuf::util::MessageToJsonString(arguments->second.struct_value(),
                                                              &parsed_call.arguments);
          } else {
            parsed_call.arguments = arguments->second.string_value();
          }
        }
      }
      out.tool_calls.push_back(std::move(parsed_call));
    }
  }
  return out;
}

absl::Status StreamAssembler::Feed(absl::string_view bytes) {
  line_.append(bytes.data(), bytes.size());
  size_t start = 0;
  for (size_t end = line_.find('\n'); end != std::string::npos; end = line_.find('\n', start)) {
    absl::string_view line =
        absl::StripSuffix(absl::string_view(line_).substr(start, end - start), "\r");
    start = end + 1;
    // Comments (":"), event names, ids and blank separators carry nothing.
    if (!absl::ConsumePrefix(&line, "data:")) continue;
    absl::Status status = Event(absl::StripLeadingAsciiWhitespace(line));
    if (!status.ok()) return status;
  }
  line_.erase(0, start);
  return absl::OkStatus();
}

absl::Status StreamAssembler::Event(absl::string_view data) {
  if (data == "[DONE]") {
    done_ = true;
    return absl::OkStatus();
  }
  if (data.empty()) return absl::OkStatus();
  absl::StatusOr<Struct> chunk = ParseObject(data);
  if (!chunk.ok()) return chunk.status();
  if (const Struct* error = ObjectMember(*chunk, "error")) return StreamError(*error);
  const Struct* choice = FirstChoice(*chunk);
  if (choice == nullptr) return absl::OkStatus();  // usage-only chunks
  if (std::string reason = StringMember(*choice, "finish_reason"); !reason.empty()) {
    message_.finish_reason = std::move(reason);
  }
  const Struct* delta = ObjectMember(*choice, "delta");
  if (delta == nullptr) return absl::OkStatus();
  absl::StrAppend(&message_.content, StringMember(*delta, "content"));
  auto calls = delta->fields().find("tool_calls");
  if (calls == delta->fields().end()) return absl::OkStatus();
  for (const Value& value : calls->second.list_value().values()) {
    const Struct& piece = value.struct_value();
    auto index_field = piece.fields().find("index");
    const int index = index_field == piece.fields().end()
                          ? 0
                          : static_cast<int>(index_field->second.number_value());
    if (index < 0 || index > 127) {
      return absl::UnavailableError("the model's provider sent a tool call index out of range");
    }
    if (call_at_index_.size() <= static_cast<size_t>(index)) call_at_index_.resize(index + 1, -1);
    const Struct* function = ObjectMember(piece, "function");
    const std::string id = StringMember(piece, "id");
    const std::string name = function == nullptr ? "" : StringMember(*function, "name");
    int& at = call_at_index_[index];
    const bool starts_new =
        at < 0 || (!name.empty() && !message_.tool_calls[at].name.empty()) ||
        (!id.empty() && !message_.tool_calls[at].id.empty() && id != message_.tool_calls[at].id);
    if (starts_new) {
      at = static_cast<int>(message_.tool_calls.size());
      message_.tool_calls.emplace_back();
    }
    ModelToolCall& call = message_.tool_calls[at];
    if (!id.empty()) call.id = id;
    absl::StrAppend(&call.name, name);
    if (function != nullptr) absl::StrAppend(&call.arguments, StringMember(*function, "arguments"));
  }
  return absl::OkStatus();
}

std::string StreamAssembler::TakeNewText() {
  std::string fresh = message_.content.substr(text_taken_);
  text_taken_ = message_.content.size();
  return fresh;
}

}  // namespace todo::chat::provider
