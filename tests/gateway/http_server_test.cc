// The gateway's HTTP/1.1 listener over real loopback sockets: pipelining,
// limits, timeouts, the connection cap, stream hang-ups and the drain.

#include "services/gateway/http_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace todo::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A raw client socket, so that tests control every byte and every hang-up.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawClient() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) {
    ASSERT_EQ(write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Reads until `until` appears, the peer closes, or `timeout` passes.
  std::string ReadUntil(const std::string& until, absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!absl::StrContains(received_, until) && absl::Now() < deadline) {
      pollfd descriptor{fd_, POLLIN, 0};
      if (poll(&descriptor, 1, 50) <= 0) continue;
      char buffer[4096];
      const ssize_t n = read(fd_, buffer, sizeof(buffer));
      if (n <= 0) {
        closed_by_peer_ = true;
        break;
      }
      received_.append(buffer, static_cast<size_t>(n));
    }
    return received_;
  }
  // True once the server closed the connection (within `timeout`).
  bool ClosedByPeer(absl::Duration timeout = absl::Seconds(5)) {
    ReadUntil("\x01never\x02", timeout);
    return closed_by_peer_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_by_peer_ = false;
  std::string received_;
};

// What the test handler saw, across workers.
struct Observed {
  std::atomic<int> requests{0};
  std::atomic<int> abandoned{0};
};

// Writes a chunk every 50 ms until abandoned. Owned by its pending timer
// wait, so it goes with the event loop.
struct Ticker : std::enable_shared_from_this<Ticker> {
  Ticker(boost::asio::io_context& io, std::shared_ptr<ResponseWriter> to)
      : timer(io), writer(std::move(to)) {}
  void Tick() {
    if (stopped || !writer->WriteStream("tick\n")) {
      writer->EndStream();
      return;
    }
    timer.expires_after(std::chrono::milliseconds(50));
    timer.async_wait(
        [self = shared_from_this()](const boost::system::error_code&) { self->Tick(); });
  }

  boost::asio::steady_timer timer;
  std::shared_ptr<ResponseWriter> writer;
  bool stopped = false;
};

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kSpanId[] = "00f067aa0ba902b7";

// Answers GET /hello at once, /slow after 300 ms, /stream with a chunk
// every 50 ms until abandoned, /tagged with a request id and a trace; echoes
// the body of POSTs.
HttpServer::HandlerFactory TestHandlers(Observed* observed) {
  return [observed](boost::asio::io_context& io) {
    HttpServer::WorkerHandler worker;
    worker.handle = [observed, &io](HttpRequest request, std::shared_ptr<ResponseWriter> writer) {
      ++observed->requests;
      HttpResponse response;
      response.headers = {{"content-type", "text/plain"}};
      if (request.target == "/slow") {
        auto timer =
            std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(300));
        timer->async_wait([timer, writer](const boost::system::error_code&) {
          writer->Respond(TextResponse(200, "slow"));
        });
        return;
      }
      if (request.target == "/stream") {
        writer->StartStream(response);
        auto ticker = std::make_shared<Ticker>(io, writer);
        writer->OnAbandoned([observed, ticker] {
          ++observed->abandoned;
          ticker->stopped = true;
        });
        ticker->Tick();
        return;
      }
      if (absl::StartsWith(request.target, "/tagged")) {
        HttpResponse tagged = TextResponse(201, "tagged");
        tagged.headers.emplace_back("x-request-id", "request-7");
        tagged.headers.emplace_back("traceresponse",
                                    absl::StrCat("00-", kTraceId, "-", kSpanId, "-01"));
        writer->Respond(tagged);
        return;
      }
      writer->Respond(TextResponse(200, request.method == "POST" ? request.body : "hello"));
    };
    return worker;
  };
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.workers = 2;
    auto server = HttpServer::Start(options, TestHandlers(&observed_));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  Observed observed_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  Start();
  RawClient client(server_->port());
  client.Send(
      "GET /slow HTTP/1.1\r\nhost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nworld"
      "GET /hello HTTP/1.1\r\nhost: x\r\n\r\n");
  const std::string received = client.ReadUntil("hello");
  const size_t slow = received.find("slow");
  const size_t world = received.find("world");
  const size_t hello = received.find("\r\n\r\nhello");
  ASSERT_NE(slow, std::string::npos) << received;
  ASSERT_NE(world, std::string::npos) << received;
  ASSERT_NE(hello, std::string::npos) << received;
  EXPECT_LT(slow, world);
  EXPECT_LT(world, hello);
  EXPECT_THAT(received, HasSubstr("connection: keep-alive"));
}

TEST_F(HttpServerTest, RequestsComingInPiecesDuringAnExchangeAreReadAfterIt) {
  // The connection goes on reading while /slow is answered: what comes
  // meanwhile (a head, half a body) waits in its buffer; the rest of the
  // body, and a chunked one, come after the answer.
  Start();
  RawClient client(server_->port());
  client.Send("GET /slow HTTP/1.1\r\nhost: x\r\n\r\n");
  absl::SleepFor(absl::Milliseconds(100));
  client.Send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 11\r\n\r\nhello");
  EXPECT_THAT(client.ReadUntil("slow"), HasSubstr("\r\n\r\nslow"));
  absl::SleepFor(absl::Milliseconds(50));
  client.Send(" world");
  EXPECT_THAT(client.ReadUntil("hello world"), HasSubstr("\r\n\r\nhello world"));
  client.Send("POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab");
  absl::SleepFor(absl::Milliseconds(50));
  client.Send("cde\r\n3\r\nfgh\r\n0\r\n\r\n");
  EXPECT_THAT(client.ReadUntil("abcdefgh"), HasSubstr("\r\n\r\nabcdefgh"));
  EXPECT_EQ(observed_.requests.load(), 3);
}

TEST_F(HttpServerTest, OversizedHeadersAndDeclaredBodiesAreRefusedBeforeReading) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  options.max_body_bytes = 100;
  Start(options);
  RawClient headers(server_->port());
  headers.Send("GET /hello HTTP/1.1\r\nx-big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_THAT(headers.ReadUntil("\r\n\r\n"), StartsWith("HTTP/1.1 431"));
  RawClient body(server_->port());
  // Only the head is sent: the 413 must not wait for the 1 MB body.
  body.Send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000\r\n\r\n");
  EXPECT_THAT(body.ReadUntil("limit."), StartsWith("HTTP/1.1 413"));
  EXPECT_TRUE(body.ClosedByPeer());
  // A chunked body says its size only as it comes: refused once past.
  RawClient chunked(server_->port());
  chunked.Send("POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n");
  chunked.Send("64\r\n" + std::string(100, 'a') + "\r\n");
  absl::SleepFor(absl::Milliseconds(20));
  chunked.Send("1\r\nb\r\n0\r\n\r\n");
  EXPECT_THAT(chunked.ReadUntil("limit."), StartsWith("HTTP/1.1 413"));
  EXPECT_TRUE(chunked.ClosedByPeer());
  RawClient garbage(server_->port());
  garbage.Send("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_THAT(garbage.ReadUntil("\r\n\r\n"), StartsWith("HTTP/1.1 400"));
  EXPECT_EQ(observed_.requests.load(), 0);
}

TEST_F(HttpServerTest, IdleAndSlowClientsAreClosed) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  Start(options);
  RawClient idle(server_->port());
  RawClient slow(server_->port());
  slow.Send("GET /hello HTTP/1.1\r\n");  // and never the rest
  EXPECT_TRUE(idle.ClosedByPeer(absl::Seconds(3)));
  EXPECT_TRUE(slow.ClosedByPeer(absl::Seconds(3)));
}

TEST_F(HttpServerTest, ConnectionsPastTheCapGet503) {
  HttpServerOptions options;
  options.max_connections = 1;
  Start(options);
  RawClient first(server_->port());
  first.Send("GET /hello HTTP/1.1\r\nhost: x\r\n\r\n");
  EXPECT_THAT(first.ReadUntil("hello"), StartsWith("HTTP/1.1 200"));
  RawClient second(server_->port());
  EXPECT_THAT(second.ReadUntil("connections"), StartsWith("HTTP/1.1 503"));
  first.Close();
  // Once the first is gone there is room again.
  absl::SleepFor(absl::Milliseconds(100));
  RawClient third(server_->port());
  third.Send("GET /hello HTTP/1.1\r\nhost: x\r\n\r\n");
  EXPECT_THAT(third.ReadUntil("hello"), StartsWith("HTTP/1.1 200"));
}

TEST_F(HttpServerTest, AStreamClientHangingUpAbandonsTheExchange) {
  Start();
  RawClient client(server_->port());
  client.Send("GET /stream HTTP/1.1\r\nhost: x\r\n\r\n");
  EXPECT_THAT(client.ReadUntil("tick"), HasSubstr("transfer-encoding: chunked"));
  client.Close();
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  while (observed_.abandoned.load() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(observed_.abandoned.load(), 1);
}

TEST_F(HttpServerTest, ShutdownFinishesRequestsInProgressAndEndsStreams) {
  Start();
  RawClient idle(server_->port());
  RawClient busy(server_->port());
  RawClient stream(server_->port());
  stream.Send("GET /stream HTTP/1.1\r\nhost: x\r\n\r\n");
  stream.ReadUntil("tick");
  busy.Send("GET /slow HTTP/1.1\r\nhost: x\r\n\r\n");
  absl::SleepFor(absl::Milliseconds(50));
  const absl::Time start = absl::Now();
  server_->Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  const std::string answer = busy.ReadUntil("slow");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(answer, HasSubstr("connection: close"));
  EXPECT_THAT(stream.ReadUntil("0\r\n\r\n"), HasSubstr("0\r\n\r\n"));  // ended properly
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_FALSE(RawClient(server_->port()).connected());
}

// One HTTP/2 (prior knowledge, cleartext) request with libcurl; `on_body`
// may return false to hang up. Returns the status (0 on failure).
long Http2Request(
    int port, const std::string& method, const std::string& path, const std::string& body,
    std::string* received, const std::function<bool()>& keep_going = [] { return true; }) {
  struct Sink {
    std::string* received;
    const std::function<bool()>* keep_going;
  } sink{received, &keep_going};
  CURL* curl = curl_easy_init();
  const std::string url = absl::StrCat("http://127.0.0.1:", port, path);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t count, void* user) {
        auto* into = static_cast<Sink*>(user);
        into->received->append(data, size * count);
        return (*into->keep_going)() ? size * count : 0;
      });
  long status = 0;
  curl_easy_perform(curl);
  long version = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &version);
  curl_easy_cleanup(curl);
  return version == CURL_HTTP_VERSION_2_0 ? status : -status;
}

TEST_F(HttpServerTest, ServesHttp2WithPriorKnowledge) {
  Start();
  std::string hello;
  EXPECT_EQ(Http2Request(server_->port(), "GET", "/hello", "", &hello), 200);
  EXPECT_EQ(hello, "hello");
  std::string echoed;
  EXPECT_EQ(Http2Request(server_->port(), "POST", "/echo", "over h2c", &echoed), 200);
  EXPECT_EQ(echoed, "over h2c");
  std::string slow;
  EXPECT_EQ(Http2Request(server_->port(), "GET", "/slow", "", &slow), 200);
  EXPECT_EQ(slow, "slow");
  // HTTP/1.1 on the same port still works.
  RawClient http1(server_->port());
  http1.Send("GET /hello HTTP/1.1\r\nhost: x\r\n\r\n");
  EXPECT_THAT(http1.ReadUntil("hello"), StartsWith("HTTP/1.1 200"));
}

TEST_F(HttpServerTest, Http2LimitsAndStreamResetsHoldToo) {
  HttpServerOptions options;
  options.max_body_bytes = 100;
  Start(options);
  std::string refused;
  EXPECT_EQ(Http2Request(server_->port(), "POST", "/echo", std::string(1000, 'x'), &refused), 413);
  EXPECT_EQ(observed_.requests.load(), 0);
  // A stream client hanging up resets the stream: the exchange is abandoned.
  std::string ticks;
  Http2Request(server_->port(), "GET", "/stream", "", &ticks,
               [&] { return !absl::StrContains(ticks, "tick\ntick\n"); });
  EXPECT_THAT(ticks, HasSubstr("tick"));
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  while (observed_.abandoned.load() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(observed_.abandoned.load(), 1);
}

// One access-log line per exchange, over either protocol, naming what the
// response carried; below info there are none (and nothing is spent on them).
TEST_F(HttpServerTest, AccessLogLinesNameEachExchangeAndStopBelowInfo) {
  std::vector<std::string> lines;
  absl::Mutex mutex;
  common::logging::SetSinkForTest([&](absl::string_view written) {
    absl::MutexLock lock(&mutex);
    for (absl::string_view line : absl::StrSplit(written, '\n', absl::SkipEmpty())) {
      if (absl::StrContains(line, "\"http_request\"")) lines.emplace_back(line);
    }
  });
  for (const common::logging::Level level :
       {common::logging::Level::kInfo, common::logging::Level::kWarning}) {
    common::logging::SetMinLevel(level);
    Start();
    RawClient http1(server_->port());
    http1.Send("GET /tagged?page=2 HTTP/1.1\r\nhost: x\r\n\r\n");
    EXPECT_THAT(http1.ReadUntil("tagged"), StartsWith("HTTP/1.1 201"));
    std::string body;
    EXPECT_EQ(Http2Request(server_->port(), "GET", "/tagged", "", &body), 201);
    server_->Shutdown();  // writes what the workers buffered
    absl::MutexLock lock(&mutex);
    if (level == common::logging::Level::kInfo) {
      ASSERT_EQ(lines.size(), 2u);
      for (const std::string& line : lines) {
        EXPECT_THAT(line, HasSubstr(R"("method":"GET","path":"/tagged","status":201)"));
        EXPECT_THAT(line, HasSubstr(R"("request_id":"request-7")"));
        EXPECT_THAT(line, HasSubstr(absl::StrCat(R"("trace_id":")", kTraceId, R"(")")));
      }
      // One per protocol; the two may be on different workers, whose lines
      // come out in either order.
      EXPECT_EQ(absl::StrContains(lines[0], R"("protocol":"h2c")") +
                    absl::StrContains(lines[1], R"("protocol":"h2c")"),
                1);
      lines.clear();
    } else {
      EXPECT_THAT(lines, ::testing::IsEmpty());
    }
  }
  common::logging::SetMinLevel(common::logging::Level::kInfo);
  common::logging::SetSinkForTest(nullptr);
}

}  // namespace
}  // namespace todo::gateway
