#pragma once

// The wire format of OpenAI's Chat Completions API with tools, as OpenAI,
// Groq, OpenRouter, Ollama and vLLM speak it: the request body, a whole
// response, and a streamed one assembled from its server-sent events.
// Transport and policy (retries, rounds) are the brain's (openai_brain.h).
//
// Defensive by rule, since servers differ:
//   - a message with tool calls is a tool turn, whatever `finish_reason` says;
//   - streamed `delta.tool_calls` are assembled per `index`, and a call that
//     arrives at an index already holding a named call (Ollama sends every
//     parallel call at index 0) starts a new call;
//   - SSE comment lines (": OPENROUTER PROCESSING") and events without data
//     are skipped;
//   - an `{"error": ...}` chunk after HTTP 200 ends the stream with that error.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace todo::chat::provider {

// One function call a model asked for.
struct ModelToolCall {
  // Empty when the server sent none (the brain makes one).
  std::string id;
  std::string name;
  // JSON text as the model wrote it: not necessarily valid.
  std::string arguments;
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool"
  // Absent: JSON null (an assistant message that only calls tools).
  std::optional<std::string> content;
  std::vector<ModelToolCall> tool_calls;  // assistant
  std::string tool_call_id;               // tool
};

struct CompletionRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  bool stream = true;
  int max_tokens = 1024;
  double temperature = 0.2;
};

// What the model answered in one round.
struct ModelMessage {
  std::string content;
  std::vector<ModelToolCall> tool_calls;
  std::string finish_reason;
};

// The request body, with the task tools (task_tools.h) as functions.
std::string CompletionRequestJson(const CompletionRequest& request);

// A whole (non-streamed) response body. UNAVAILABLE for an error body or one
// that is not a completion.
absl::StatusOr<ModelMessage> ParseCompletion(absl::string_view body);

// The `error` object of a failed response, if the body has one.
struct ProviderError {
  std::string message;
  std::string type;
  std::string code;
};
std::optional<ProviderError> ParseError(absl::string_view body);

// A streamed response, fed as its bytes arrive.
class StreamAssembler {
 public:
  // UNAVAILABLE when the stream carries an error or a chunk that is not JSON.
  absl::Status Feed(absl::string_view bytes);
  // "data: [DONE]" arrived.
  bool done() const { return done_; }
  // Reply text that arrived since the last call.
  std::string TakeNewText();
  const ModelMessage& message() const { return message_; }

 private:
  absl::Status Event(absl::string_view data);

  std::string line_;
  bool done_ = false;
  ModelMessage message_;
  size_t text_taken_ = 0;
  // Where each stream index's current call is in message_.tool_calls.
  std::vector<int> call_at_index_;
};

}  // namespace todo::chat::provider
