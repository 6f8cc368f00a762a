// Fuzz target for the server's HTTP/2 frame and gRPC message parsing: any
// bytes a client sends on a connection end in an answer or a closed
// connection, never a crash, a hang or unbounded memory; the server keeps
// serving others. Inputs go to a real common/rpc server over loopback, the
// way a client's bytes would.
//
// libFuzzer build: cmake -DCMAKE_CXX_COMPILER=clang++ -DTODO_FUZZ=ON, target
// rpc_frames_fuzzer. In every build it runs as a bounded deterministic test
// from a corpus of well-formed calls made by nghttp2's client.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/event_loops/event_loops.h"
#include "common/rpc/compression.h"
#include "common/rpc/server.h"
#include "common/rpc/wire.h"

namespace {

using namespace todo::common;  // NOLINT(google-build-using-namespace): a test's wiring

// One server for every input: echo (unary) and count (client streaming).
struct FuzzServer {
  FuzzServer() : loops(1) {
    rpc::MethodTable methods;
    rpc::MethodHandler echo;
    echo.on_request = [](std::shared_ptr<rpc::Call> call, std::string request) {
      call->Reply(std::move(request));
    };
    methods["/fuzz.Echo/Echo"] = echo;
    rpc::MethodHandler count;
    auto seen = std::make_shared<std::atomic<int>>(0);
    count.on_message = [seen](const std::shared_ptr<rpc::Call>& call,
                              std::optional<std::string> message) {
      if (message.has_value()) {
        seen->fetch_add(1);
      } else {
        call->Reply(std::to_string(seen->load()));
      }
    };
    methods["/fuzz.Echo/Count"] = count;
    rpc::ServerOptions options;
    options.listen_address = "127.0.0.1";
    options.max_receive_message_bytes = 64 * 1024;
    options.max_header_bytes = 4 * 1024;
    server = *rpc::Server::Start(options, std::move(methods), &loops);
  }
  event_loops::EventLoops loops;
  std::unique_ptr<rpc::Server> server;
};

FuzzServer& Server() {
  static FuzzServer* const server = new FuzzServer();
  return *server;
}

// Sends `bytes` on a fresh connection, ends the sending side, and reads
// until the server closes (or a second passes: then it is a hang). The
// bytes the server answered with go to `received`.
bool Exchange(absl::string_view bytes, size_t* received = nullptr) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(Server().server->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return false;
  }
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server hung up on what it read so far
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  bool closed = false;
  char buffer[16 * 1024];
  for (int waits = 0; waits < 100 && !closed; ++waits) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, 10) <= 0) continue;
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    closed = n <= 0;
    if (n > 0 && received != nullptr) *received += static_cast<size_t>(n);
  }
  close(fd);
  return closed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A connection the client ended must be closed by the server promptly,
  // whatever came before.
  if (!Exchange(absl::string_view(reinterpret_cast<const char*>(data), size))) __builtin_trap();
  return 0;
}

#ifndef TODO_LIBFUZZER
#include "gtest/gtest.h"
#include "tests/harness/mutation_fuzzing.h"

namespace {

// What nghttp2's client sends for one call: preface, SETTINGS, HEADERS,
// DATA (the messages), END_STREAM.
std::string ClientBytes(const std::string& path, const std::vector<std::string>& framed,
                        const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session* session = nullptr;
  nghttp2_session_client_new(&session, callbacks, nullptr);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  std::vector<std::pair<std::string, std::string>> headers = {
      {":method", "POST"},         {":scheme", "http"}, {":path", path},
      {":authority", "localhost"}, {"te", "trailers"},  {"content-type", "application/grpc"},
      {"grpc-timeout", "5S"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  std::vector<nghttp2_nv> fields;
  for (const auto& [name, value] : headers) fields.push_back(rpc::HeaderField(name, value));
  std::string body;
  for (const std::string& message : framed) body += message;
  struct Source {
    std::string bytes;
    size_t offset = 0;
  } source{body};
  nghttp2_data_provider provider;
  provider.source.ptr = &source;
  provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                              uint32_t* flags, nghttp2_data_source* from, void*) -> ssize_t {
    auto& in = *static_cast<Source*>(from->ptr);
    const size_t n = std::min(length, in.bytes.size() - in.offset);
    std::copy_n(in.bytes.data() + in.offset, n, buffer);
    in.offset += n;
    if (in.offset == in.bytes.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  };
  nghttp2_submit_request(session, nullptr, fields.data(), fields.size(), &provider, nullptr);
  std::string out;
  for (;;) {
    const uint8_t* bytes = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session, &bytes);
    if (n <= 0) break;
    out.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
  }
  nghttp2_session_del(session);
  return out;
}

TEST(RpcFramesFuzzTest, SurvivesMutatedConnections) {
  const std::vector<std::string> corpus = {
      ClientBytes("/fuzz.Echo/Echo", {rpc::FrameMessage("hello")}),
      ClientBytes("/fuzz.Echo/Count",
                  {rpc::FrameMessage("a"), rpc::FrameMessage(""), rpc::FrameMessage("ccc")}),
      ClientBytes("/fuzz.Echo/Echo",
                  {rpc::FrameMessage(rpc::Compress(rpc::Encoding::kGzip, std::string(3000, 'z')),
                                     /*compressed=*/true)},
                  {{"grpc-encoding", "gzip"}}),
      ClientBytes("/fuzz.Echo/Count",
                  {rpc::FrameMessage(rpc::Compress(rpc::Encoding::kDeflate, "deflated"), true)},
                  {{"grpc-encoding", "deflate"}, {"x-trace-bin", "AAEC"}}),
      ClientBytes("/fuzz.Echo/Nope", {rpc::FrameMessage("x")}),
  };
  // Every seed is well formed and gets its answer (more than SETTINGS).
  for (const std::string& seed : corpus) {
    size_t received = 0;
    EXPECT_TRUE(Exchange(seed, &received));
    EXPECT_GT(received, 40u);
  }
  todo::testing::RunMutations(corpus, std::string("\0\x01\x04\x05\x08\x80\xff:gz", 11), 3000,
                              LLVMFuzzerTestOneInput);
  // The server is still serving.
  size_t received = 0;
  EXPECT_TRUE(Exchange(corpus[0], &received));
  EXPECT_GT(received, 40u);
}

}  // namespace
#endif
