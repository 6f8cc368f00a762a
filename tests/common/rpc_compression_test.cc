// common/rpc's message compression: both encodings round-trip, what is not
// their format is refused, and a small bomb is stopped at the limit while it
// inflates.

#include "common/rpc/compression.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace todo::common::rpc {
namespace {

TEST(CompressionTest, GzipAndDeflateRoundTrip) {
  const std::string message = std::string(100000, 'a') + "tail";
  for (const Encoding encoding : {Encoding::kGzip, Encoding::kDeflate, Encoding::kIdentity}) {
    const std::string compressed = Compress(encoding, message);
    if (encoding != Encoding::kIdentity) {
      EXPECT_LT(compressed.size(), 1000u);
    }
    absl::StatusOr<std::string> back = Decompress(encoding, compressed, 1 << 20);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, message);
  }
}

TEST(CompressionTest, GarbageAndTruncatedStreamsAreRefused) {
  EXPECT_EQ(Decompress(Encoding::kGzip, "not gzip at all", 1 << 20).status().code(),
            absl::StatusCode::kInternal);
  const std::string compressed = Compress(Encoding::kDeflate, std::string(5000, 'x'));
  EXPECT_EQ(Decompress(Encoding::kDeflate, compressed.substr(0, compressed.size() / 2), 1 << 20)
                .status()
                .code(),
            absl::StatusCode::kInternal);
}

TEST(CompressionTest, ABombStopsAtTheLimit) {
  // 64 MiB of zeros compress to about 64 KiB.
  const std::string bomb = Compress(Encoding::kGzip, std::string(64 << 20, '\0'));
  EXPECT_EQ(Decompress(Encoding::kGzip, bomb, 4 << 20).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(CompressionTest, NamesAndAcceptEncoding) {
  EXPECT_EQ(ParseEncoding("gzip"), Encoding::kGzip);
  EXPECT_EQ(ParseEncoding("snappy"), std::nullopt);
  EXPECT_TRUE(Accepts("identity, deflate, gzip", Encoding::kGzip));
  EXPECT_FALSE(Accepts("identity,deflate", Encoding::kGzip));
  EXPECT_TRUE(Accepts("", Encoding::kIdentity));
}

}  // namespace
}  // namespace todo::common::rpc
