#include "common/rpc/compression.h"

#include <zlib.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace todo::common::rpc {
namespace {

// zlib's window bits: 15 for the zlib format (gRPC's "deflate", as
// grpc-core writes it), plus 16 for a gzip wrapper.
int WindowBits(Encoding encoding) { return encoding == Encoding::kGzip ? 15 + 16 : 15; }

}  // namespace

std::optional<Encoding> ParseEncoding(absl::string_view name) {
  if (name == "identity") return Encoding::kIdentity;
  if (name == "gzip") return Encoding::kGzip;
  if (name == "deflate") return Encoding::kDeflate;
  return std::nullopt;
}

absl::string_view EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kGzip:
      return "gzip";
    case Encoding::kDeflate:
      return "deflate";
    case Encoding::kIdentity:
      break;
  }
  return "identity";
}

bool Accepts(absl::string_view accept_encoding, Encoding encoding) {
  if (encoding == Encoding::kIdentity) return true;
  for (absl::string_view name : absl::StrSplit(accept_encoding, ',')) {
    if (ParseEncoding(absl::StripAsciiWhitespace(name)) == encoding) return true;
  }
  return false;
}

std::string Compress(Encoding encoding, absl::string_view message) {
  if (encoding == Encoding::kIdentity) return std::string(message);
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, WindowBits(encoding), 8,
               Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, static_cast<uLong>(message.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
  stream.avail_in = static_cast<uInt>(message.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);  // the bound guarantees one call suffices
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

absl::StatusOr<std::string> Decompress(Encoding encoding, absl::string_view compressed,
                                       size_t max_bytes) {
  if (encoding == Encoding::kIdentity) return std::string(compressed);
  z_stream stream{};
  if (inflateInit2(&stream, WindowBits(encoding)) != Z_OK) {
    return absl::InternalError("could not start inflating");
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  std::array<char, 16 * 1024> chunk;
  int result = Z_OK;
  while (result != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    result = inflate(&stream, Z_NO_FLUSH);
    if (result != Z_OK && result != Z_STREAM_END) break;
    const size_t produced = chunk.size() - stream.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&stream);
      return absl::ResourceExhaustedError(absl::StrCat(
          "Received message larger than max (more than ", max_bytes, " bytes once decompressed)"));
    }
    out.append(chunk.data(), produced);
    if (result == Z_OK && produced == 0 && stream.avail_in == 0) break;  // truncated
  }
  inflateEnd(&stream);
  if (result != Z_STREAM_END || stream.avail_in != 0) {
    return absl::InternalError(
        absl::StrCat("the message is not valid ", EncodingName(encoding), " data"));
  }
  return out;
}

}  // namespace todo::common::rpc
