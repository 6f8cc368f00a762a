#include "services/gateway/http1_framing.h"

#include <string>

#include "gtest/gtest.h"

namespace todo::gateway {
namespace {

namespace http = boost::beast::http;

// The refusal's status for a request head, or 0 when it is framed well.
int Refusal(const std::string& head) {
  http::request_parser<http::string_body> parser;
  boost::system::error_code error;
  parser.put(boost::asio::buffer(head), error);
  EXPECT_TRUE(!error || error == http::error::need_more) << error.message() << ": " << head;
  const std::optional<HttpResponse> refusal = FramingError(parser);
  return refusal ? refusal->status : 0;
}

TEST(HasObsFoldTest, FindsContinuationLinesOfTheHeadOnly) {
  EXPECT_TRUE(HasObsFold("GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n two\r\n\r\n"));
  EXPECT_TRUE(HasObsFold("GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n\ttwo\r\n\r\n"));
  EXPECT_TRUE(HasObsFold("GET / HTTP/1.1\r\nHost: a\r\n "));  // not complete yet
  EXPECT_FALSE(HasObsFold("GET / HTTP/1.1\r\nHost: a\r\nX: one two\r\n\r\n"));
  // A body that starts with a space is not part of the head.
  EXPECT_FALSE(HasObsFold("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n  x"));
}

TEST(FramingErrorTest, OnlyChunkedAloneFramesABodyByTransferEncoding) {
  const std::string start = "POST / HTTP/1.1\r\nHost: a\r\n";
  EXPECT_EQ(Refusal(start + "Transfer-Encoding: chunked\r\n\r\n"), 0);
  EXPECT_EQ(Refusal(start + "Transfer-Encoding:  Chunked \r\n\r\n"), 0);
  EXPECT_EQ(Refusal(start + "Content-Length: 3\r\n\r\n"), 0);
  EXPECT_EQ(Refusal(start + "Transfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(Refusal(start + "Transfer-Encoding: chunked, chunked\r\n\r\n"), 501);
  EXPECT_EQ(Refusal(start + "Transfer-Encoding: xchunked\r\n\r\n"), 400);
  EXPECT_EQ(Refusal(start + "Transfer-Encoding: identity\r\n\r\n"), 400);
  EXPECT_EQ(Refusal(start + "Transfer-Encoding: chunked, identity\r\n\r\n"), 400);
}

TEST(FramingErrorTest, Http11NeedsExactlyOneHost) {
  EXPECT_EQ(Refusal("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(Refusal("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(Refusal("GET / HTTP/1.0\r\n\r\n"), 0);
  EXPECT_EQ(Refusal("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
}

}  // namespace
}  // namespace todo::gateway
