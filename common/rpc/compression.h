#pragma once

// gRPC message compression (grpc-encoding / grpc-accept-encoding): identity,
// gzip and deflate, the three grpc-core ships, by zlib. A message is
// compressed on its own (the prefix's flag says so); the call's encoding is
// named once in its headers.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace todo::common::rpc {

enum class Encoding { kIdentity, kGzip, kDeflate };

// "identity", "gzip", "deflate"; nullopt for any other name.
std::optional<Encoding> ParseEncoding(absl::string_view name);
absl::string_view EncodingName(Encoding encoding);

// What this transport accepts, for grpc-accept-encoding.
inline constexpr absl::string_view kAcceptEncodings = "identity,deflate,gzip";

// True when a grpc-accept-encoding value lists `encoding` (identity always).
bool Accepts(absl::string_view accept_encoding, Encoding encoding);

std::string Compress(Encoding encoding, absl::string_view message);

// The message inflated; RESOURCE_EXHAUSTED once it would pass `max_bytes`
// (checked as it inflates: a small bomb never allocates its full size),
// INTERNAL when the bytes are not a valid stream of that encoding.
absl::StatusOr<std::string> Decompress(Encoding encoding, absl::string_view compressed,
                                       size_t max_bytes);

}  // namespace todo::common::rpc
