#pragma once

// A FIFO of bytes: appended at the back, taken from the front. Taking
// advances an offset; the taken front is dropped only once it is at least
// half the buffer, so each byte is moved a bounded number of times (erasing
// the front of a string on every take is quadratic in what waits).

#include <string>

#include "absl/strings/string_view.h"

namespace todo::common::rpc {

class ByteQueue {
 public:
  void Append(absl::string_view bytes) {
    if (offset_ > 0 && offset_ >= buffer_.size() / 2) {
      buffer_.erase(0, offset_);
      offset_ = 0;
    }
    buffer_.append(bytes.data(), bytes.size());
  }
  // What waits, oldest first; valid until the next Append.
  absl::string_view Front() const { return absl::string_view(buffer_).substr(offset_); }
  void Consume(size_t n) {
    offset_ += n;
    if (offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
    }
  }
  size_t size() const { return buffer_.size() - offset_; }
  bool empty() const { return size() == 0; }

 private:
  std::string buffer_;
  size_t offset_ = 0;
};

}  // namespace todo::common::rpc
