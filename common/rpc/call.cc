#include "absl/strings/str_cat.h"
#include "common/rpc/server.h"
#include "common/rpc/wire.h"

namespace todo::common::rpc {

// --- Call ---

Call::Call(std::string method, Metadata metadata, absl::Time deadline, std::string peer_address,
           std::shared_ptr<CallSink> sink, size_t max_send_message_bytes)
    : method_(std::move(method)),
      metadata_(std::move(metadata)),
      deadline_(deadline),
      peer_address_(std::move(peer_address)),
      request_context_{std::string(FirstMetadata("x-request-id")),
                       tracing::TraceContext::ForRequest(FirstMetadata("traceparent"),
                                                         FirstMetadata("tracestate"))},
      sink_(std::move(sink)),
      max_send_message_bytes_(max_send_message_bytes) {}

namespace {

ClientStatus SendLimitStatus(size_t size, size_t limit) {
  return {absl::StatusCode::kResourceExhausted,
          absl::StrCat("Sent message larger than max (", size, " vs. ", limit, ")")};
}

}  // namespace

std::vector<absl::string_view> Call::MetadataValues(absl::string_view key) const {
  std::vector<absl::string_view> values;
  for (const auto& [name, value] : metadata_) {
    if (name == key) values.push_back(value);
  }
  return values;
}

absl::string_view Call::FirstMetadata(absl::string_view key) const {
  for (const auto& [name, value] : metadata_) {
    if (name == key) return value;
  }
  return "";
}

void Call::AddInitialMetadata(std::string key, std::string value) {
  absl::MutexLock lock(&mu_);
  if (!headers_handed_over_) initial_metadata_.emplace_back(std::move(key), std::move(value));
}

void Call::AddTrailingMetadata(std::string key, std::string value) {
  absl::MutexLock lock(&mu_);
  trailing_metadata_.emplace_back(std::move(key), std::move(value));
}

void Call::SetCompression(Encoding encoding) {
  absl::MutexLock lock(&mu_);
  if (headers_handed_over_) return;
  encoding_ =
      Accepts(FirstMetadata("grpc-accept-encoding"), encoding) ? encoding : Encoding::kIdentity;
}

void Call::HandHeadersOverLocked() {
  if (headers_handed_over_) return;
  headers_handed_over_ = true;
  sink_->SendHeaders(std::move(initial_metadata_), encoding_);
}

std::string Call::Frame(const std::string& message, bool compress) const {
  if (!compress || encoding_ == Encoding::kIdentity) return FrameMessage(message);
  return FrameMessage(Compress(encoding_, message), /*compressed=*/true);
}

void Call::SendInitialMetadata() {
  absl::MutexLock lock(&mu_);
  if (!done()) HandHeadersOverLocked();
}

bool Call::Write(std::string message, bool compress) {
  absl::MutexLock lock(&mu_);
  if (done()) return false;
  if (message.size() > max_send_message_bytes_) {
    done_.store(true, std::memory_order_release);
    HandHeadersOverLocked();
    sink_->End(SendLimitStatus(message.size(), max_send_message_bytes_), "",
               std::move(trailing_metadata_));
    return false;
  }
  HandHeadersOverLocked();
  if (!sink_->Send(Frame(message, compress))) {
    done_.store(true, std::memory_order_release);
    return false;
  }
  // Handed over while the call was open: sent, even if the client leaves
  // before this returns (it may have read the message and hung up; a caller
  // told otherwise would send it again, as reminders did).
  return true;
}

void Call::Reply(std::string message) {
  absl::MutexLock lock(&mu_);
  if (done_.exchange(true, std::memory_order_acq_rel)) return;
  if (message.size() > max_send_message_bytes_) {
    sink_->End(SendLimitStatus(message.size(), max_send_message_bytes_), "",
               std::move(trailing_metadata_));
    return;
  }
  HandHeadersOverLocked();
  sink_->End(ClientStatus{}, Frame(message, true), std::move(trailing_metadata_));
}

void Call::Finish(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (done_.exchange(true, std::memory_order_acq_rel)) return;
  // With nothing to say before the status, the answer is trailers-only.
  if (!initial_metadata_.empty()) HandHeadersOverLocked();
  sink_->End(FailedRpcStatus(method_, status), "", std::move(trailing_metadata_));
}

}  // namespace todo::common::rpc
