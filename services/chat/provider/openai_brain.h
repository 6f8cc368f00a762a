#pragma once

// The brain behind an OpenAI-compatible Chat Completions API (OpenAI, Groq,
// OpenRouter, Ollama, vLLM): the conversation so far, the user's local date,
// time and zone, and the task tools go to the model; the tools it calls run
// through the turn's TurnTools (so the tasks service sees the caller's own
// token and each call runs at most once), their results go back, for at most
// `max_rounds` requests; then its text is the reply.
//
// Defensive by rule (chat_completions.h for the wire): a call without an id
// gets one; arguments that are not JSON, or a tool that does not exist, go
// back to the model as a tool error (never replaced by {}); identical calls
// in one answer run once. 429 and 5xx are retried with backoff, honouring
// Retry-After, within the turn's deadline, except a 429 for
// `insufficient_quota`. Anything else that fails (a refused key, an error
// inside a stream after HTTP 200, no answer before the deadline) is
// UNAVAILABLE: the turn fails cleanly and the next one works.

#include "common/http_client/curl_client.h"
#include "services/chat/brain.h"
#include "services/chat/provider/chat_completions.h"
#include "services/chat/provider/provider_config.h"

namespace todo::chat::provider {

class OpenAiBrain final : public Brain {
 public:
  // `http` must outlive the brain.
  OpenAiBrain(ProviderConfig config, const common::http_client::CurlClient* http)
      : config_(std::move(config)), http_(http) {}

  absl::StatusOr<BrainReply> Reply(const Turn& turn, TurnTools& tools) override;

 private:
  struct Attempt;
  absl::StatusOr<ModelMessage> Complete(const CompletionRequest& request, absl::Time deadline,
                                        TurnTools& tools) const;
  Attempt CompleteOnce(const CompletionRequest& request, absl::Duration timeout,
                       TurnTools& tools) const;

  const ProviderConfig config_;
  const common::http_client::CurlClient* const http_;
};

// The model's instructions and the user's "now" (date, time, zone), as the
// first message of every request.
std::string SystemPrompt(const ProviderConfig& config, const language::LocalClock& clock);

}  // namespace todo::chat::provider
