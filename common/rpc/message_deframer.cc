#include "common/rpc/message_deframer.h"

#include "absl/strings/str_cat.h"
#include "common/rpc/wire.h"

namespace todo::common::rpc {

absl::StatusOr<std::optional<MessageDeframer::Message>> MessageDeframer::Next() {
  const absl::string_view pending = pending_.Front();
  const std::optional<MessagePrefix> prefix = ReadMessagePrefix(pending);
  if (!prefix.has_value()) return std::nullopt;
  const bool compressed = (prefix->flags & 1) != 0;
  if (compressed && encoding_ == Encoding::kIdentity) {
    return absl::InternalError("a compressed message without a known grpc-encoding");
  }
  if (prefix->length > max_message_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "Received message larger than max (", prefix->length, " vs. ", max_message_bytes_, ")"));
  }
  if (pending.size() < kMessagePrefixBytes + prefix->length) return std::nullopt;
  Message message;
  message.compressed = compressed;
  const absl::string_view body = pending.substr(kMessagePrefixBytes, prefix->length);
  absl::StatusOr<std::string> inflated =
      compressed ? Decompress(encoding_, body, max_message_bytes_) : std::string(body);
  pending_.Consume(kMessagePrefixBytes + prefix->length);
  if (!inflated.ok()) return inflated.status();
  message.bytes = *std::move(inflated);
  return message;
}

}  // namespace todo::common::rpc
