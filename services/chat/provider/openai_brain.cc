#include "services/chat/provider/openai_brain.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json/flat_json.h"
#include "common/logging/log.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace todo::chat::provider {
namespace {

namespace http = common::http_client;
namespace log = common::logging;

constexpr char kInstructions[] =
    "You are the assistant of a todo app. You manage the user's tasks only through the tools, "
    "and only the tasks of the user you are talking to. Never guess a task id: find it with "
    "list_tasks first, and when several tasks match, ask which one. Before deleting more than "
    "one task or changing every task, list them and ask the user to confirm; act only after a "
    "yes. Give due dates as RFC 3339 in the user's zone; a date without a time is due at 23:59 "
    "that day. Keep replies short and friendly, and say exactly what changed. For anything that "
    "is not about the user's tasks, say briefly that you only manage tasks.";

constexpr char kProviderDown[] =
    "the assistant is unavailable right now; your message was kept, so try again in a moment";

// What the provider may send in one answer.
constexpr size_t kMaxResponseBytes = 4 * 1024 * 1024;

std::string Json(const google::protobuf::Struct& object) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(object, &json);
  return json;
}

std::string ErrorJson(std::string message) {
  google::protobuf::Struct error;
  (*error.mutable_fields())["error"].set_string_value(std::move(message));
  return Json(error);
}

// The stored conversation as Chat Completions messages: an assistant turn
// that called tools is its calls, their results, then its text.
void AppendHistory(const std::vector<MessageRecord>& history, std::vector<ChatMessage>& out) {
  for (const MessageRecord& message : history) {
    if (message.role != "assistant" || message.tool_calls.empty()) {
      out.push_back({message.role, message.content, {}, ""});
      continue;
    }
    ChatMessage calls{"assistant", std::nullopt, {}, ""};
    for (const ToolCallRecord& call : message.tool_calls) {
      calls.tool_calls.push_back({call.id, call.tool, Json(call.args)});
    }
    out.push_back(std::move(calls));
    for (const ToolCallRecord& call : message.tool_calls) {
      out.push_back({"tool", Json(call.result), {}, call.id});
    }
    out.push_back({"assistant", message.content, {}, ""});
  }
}

// Runs one call the model asked for; what goes back to it as the result.
absl::StatusOr<std::string> RunCall(const ModelToolCall& call, TurnTools& tools) {
  if (FindToolSpec(call.name) == nullptr) {
    std::vector<std::string> names;
    for (const ToolSpec& spec : TaskToolSpecs()) names.push_back(spec.name);
    return ErrorJson(absl::StrCat("there is no tool called \"", call.name, "\"; the tools are ",
                                  absl::StrJoin(names, ", ")));
  }
  google::protobuf::Struct args;
  // No arguments at all is an empty object; text that is not a JSON object
  // goes back to the model to be corrected, never guessed at.
  if (!absl::StripAsciiWhitespace(call.arguments).empty()) {
    absl::StatusOr<google::protobuf::Value> parsed = common::json::ParseJsonValue(call.arguments);
    if (!parsed.ok() || !parsed->has_struct_value()) {
      return ErrorJson(absl::StrCat("the arguments of ", call.name,
                                    " are not a JSON object; send them again as one"));
    }
    args = std::move(*parsed->mutable_struct_value());
  }
  ASSIGN_OR_RETURN(ToolOutcome outcome, tools.Call(call.name, args, call.id));
  return Json(outcome.result);
}

// Seconds of a Retry-After header (the HTTP-date form is not used by these
// providers and counts as absent).
std::optional<absl::Duration> RetryAfter(const http::HttpResponse& response) {
  double seconds = 0;
  if (!absl::SimpleAtod(response.Header("retry-after"), &seconds) || seconds < 0) {
    return std::nullopt;
  }
  return absl::Seconds(seconds);
}

}  // namespace

struct OpenAiBrain::Attempt {
  absl::StatusOr<ModelMessage> outcome;
  bool retryable = false;
  std::optional<absl::Duration> retry_after;
};

std::string SystemPrompt(const ProviderConfig& config, const language::LocalClock& clock) {
  const absl::CivilSecond now = clock.LocalNow();
  const absl::Time as_utc = absl::FromCivil(now, absl::UTCTimeZone());
  const std::string offset = clock.FormatRfc3339(clock.now()).substr(19);
  return absl::StrCat(
      config.instructions.empty() ? kInstructions : config.instructions,
      "\n\nNow: ", absl::FormatTime("%A %Y-%m-%d %H:%M", as_utc, absl::UTCTimeZone()),
      " in the user's time zone ", clock.zone(), " (UTC", offset == "Z" ? "" : offset, ").");
}

absl::StatusOr<BrainReply> OpenAiBrain::Reply(const Turn& turn, TurnTools& tools) {
  CompletionRequest request;
  request.model = config_.model;
  request.stream = config_.stream;
  request.max_tokens = config_.max_tokens;
  request.temperature = config_.temperature;
  request.messages.push_back({"system", SystemPrompt(config_, *turn.clock), {}, ""});
  AppendHistory(turn.history, request.messages);
  request.messages.push_back({"user", turn.message, {}, ""});
  for (int round = 0; round < config_.max_rounds; ++round) {
    ASSIGN_OR_RETURN(ModelMessage answer, Complete(request, turn.deadline, tools));
    // Tool calls make a tool round whatever finish_reason says.
    if (answer.tool_calls.empty()) {
      BrainReply reply;
      reply.text = answer.content.empty() ? "Sorry, I have no answer to that." : answer.content;
      return reply;
    }
    for (size_t i = 0; i < answer.tool_calls.size(); ++i) {
      ModelToolCall& call = answer.tool_calls[i];
      if (call.id.empty()) call.id = absl::StrCat("call_", round + 1, "_", i + 1);
    }
    request.messages.push_back(
        {"assistant",
         answer.content.empty() ? std::nullopt : std::optional<std::string>(answer.content),
         answer.tool_calls, ""});
    for (const ModelToolCall& call : answer.tool_calls) {
      ASSIGN_OR_RETURN(std::string result, RunCall(call, tools));
      request.messages.push_back({"tool", std::move(result), {}, call.id});
    }
  }
  BrainReply reply;
  reply.text = absl::StrCat("I stopped after ", config_.max_rounds,
                            " steps without finishing; ask me to show your tasks to see where "
                            "things stand.");
  return reply;
}

absl::StatusOr<ModelMessage> OpenAiBrain::Complete(const CompletionRequest& request,
                                                   absl::Time deadline, TurnTools& tools) const {
  for (int attempt = 0;; ++attempt) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      log::Warning("llm_turn_out_of_time", {{"provider", config_.provider}});
      return absl::UnavailableError(kProviderDown);
    }
    Attempt result = CompleteOnce(request, left, tools);
    if (result.outcome.ok()) return result.outcome;
    log::Warning("llm_request_failed", {{"provider", config_.provider},
                                        {"attempt", attempt + 1},
                                        {"error", result.outcome.status().message()}});
    const absl::Duration backoff = absl::Milliseconds(500) * (1 << std::min(attempt, 4));
    const absl::Duration wait = result.retry_after.value_or(backoff);
    if (!result.retryable || attempt >= config_.max_retries || absl::Now() + wait >= deadline) {
      // What went wrong is in the log (it may name the provider's address);
      // the client hears what it can do.
      return absl::UnavailableError(kProviderDown);
    }
    absl::SleepFor(wait);
  }
}

OpenAiBrain::Attempt OpenAiBrain::CompleteOnce(const CompletionRequest& request,
                                               absl::Duration timeout, TurnTools& tools) const {
  http::HttpRequest call;
  call.method = "POST";
  call.url = absl::StrCat(config_.base_url, "/chat/completions");
  call.headers = {{"content-type", "application/json"},
                  {"accept", request.stream ? "text/event-stream" : "application/json"}};
  if (!config_.api_key.empty()) {
    call.headers.emplace_back("authorization", absl::StrCat("Bearer ", config_.api_key));
  }
  call.body = CompletionRequestJson(request);
  call.timeout = timeout;
  call.max_response_bytes = kMaxResponseBytes;

  StreamAssembler stream;
  absl::Status stream_error;
  std::string raw;  // the start of the body, to read an error or a whole answer
  const auto on_data = [&](absl::string_view bytes) {
    raw.append(bytes.data(), bytes.size());  // bounded by max_response_bytes
    stream_error = stream.Feed(bytes);
    tools.StreamText(stream.TakeNewText());
    return stream_error.ok();
  };
  absl::StatusOr<http::HttpResponse> response =
      request.stream ? http_->SendStreaming(call, on_data) : http_->Send(call);
  if (!stream_error.ok()) return {stream_error, false, std::nullopt};  // an error after HTTP 200
  if (!response.ok()) {
    // A connection refused or reset is worth another try; a timeout used
    // the turn's time up.
    return {response.status(), response.status().code() == absl::StatusCode::kUnavailable,
            std::nullopt};
  }
  const std::string& body = request.stream ? raw : response->body;
  if (response->status < 200 || response->status > 299) {
    const std::optional<ProviderError> error = ParseError(body);
    const bool no_quota = error.has_value() && (error->code == "insufficient_quota" ||
                                                error->type == "insufficient_quota");
    const bool retryable = (response->status == 429 && !no_quota) || response->status >= 500;
    return {absl::UnavailableError(absl::StrCat("HTTP ", response->status,
                                                error.has_value() ? ": " : "",
                                                error.has_value() ? error->message : "")),
            retryable, RetryAfter(*response)};
  }
  // A server that ignores "stream" answers with one JSON body.
  if (!request.stream || absl::StartsWith(response->content_type, "application/json")) {
    return {ParseCompletion(body), false, std::nullopt};
  }
  const ModelMessage& message = stream.message();
  if (!stream.done() && message.content.empty() && message.tool_calls.empty()) {
    return {absl::UnavailableError("the stream ended before an answer"), true, std::nullopt};
  }
  return {message, false, std::nullopt};
}

}  // namespace todo::chat::provider
