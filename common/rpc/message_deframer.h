#pragma once

// Splits the DATA bytes of one gRPC stream into messages, the same way on
// both ends: the 5-byte prefix, the length checked against the limit before
// its bytes are waited for, compressed messages inflated (up to the limit).

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/rpc/byte_queue.h"
#include "common/rpc/compression.h"

namespace todo::common::rpc {

class MessageDeframer {
 public:
  struct Message {
    std::string bytes;
    bool compressed = false;  // it came compressed (now inflated)
  };

  // `encoding`: the stream's grpc-encoding (identity when none or unknown;
  // a compressed message then fails).
  MessageDeframer(size_t max_message_bytes, Encoding encoding)
      : max_message_bytes_(max_message_bytes), encoding_(encoding) {}

  void Append(absl::string_view bytes) { pending_.Append(bytes); }
  // The next whole message; nullopt until its bytes are all there. An error
  // (RESOURCE_EXHAUSTED over the limit, INTERNAL for a compressed message
  // without an encoding or one that does not inflate) ends the stream.
  absl::StatusOr<std::optional<Message>> Next();
  // True when no part of a message is waiting for more bytes.
  bool empty() const { return pending_.empty(); }
  // Bytes held for messages not yet whole.
  size_t buffered() const { return pending_.size(); }

 private:
  const size_t max_message_bytes_;
  const Encoding encoding_;
  ByteQueue pending_;
};

}  // namespace todo::common::rpc
