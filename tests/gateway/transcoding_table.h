#pragma once

// The transcoding table's fixture (transcoding-vectors.md), Envoy style: each
// row is one HTTP exchange through the gateway's handler to a real
// in-process gRPC upstream that records what it receives and answers as the
// row says. A row's gateway is configured as an operator configures one:
// its profile and its own options as GATEWAY_CONFIG documents
// (transcoding_table_test.cc, transcoding_rows_test.cc).

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/gateway_handler.h"
#include "tests/harness/recording_upstream.h"
#include "tests/harness/status_matchers.h"

namespace todo::gateway::table {

namespace pb = google::protobuf;
using ::todo::testing::IsOk;
using ::todo::testing::RecordingUpstream;

// Keeps what the handler answers, whole or streamed.
struct CollectingWriter : ResponseWriter {
  void Respond(HttpResponse answer) override {
    response = std::move(answer);
    ended = true;
  }
  bool StartStream(const HttpResponse& head) override {
    response = head;
    streamed = true;
    return true;
  }
  bool WriteStream(absl::string_view piece) override {
    body.append(piece.data(), piece.size());
    return true;
  }
  void EndStream() override { ended = true; }
  void OnAbandoned(std::function<void()>) override {}

  HttpResponse response;
  std::string body;
  bool streamed = false;
  bool ended = false;
};

enum class Profile { kD, kS };

inline std::string ReadVectors() {
  std::ifstream file(TODO_VECTORS_DESCRIPTOR_SET, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

class TranscodingTableTest : public ::testing::Test {
 protected:
  TranscodingTableTest() {
    transcoding::RouteOptions routes;
    routes.services = {"vt.v1.TaskService"};
    config_ = *transcoding::TranscoderConfig::Create(ReadVectors(), routes);
    upstreams_ = std::make_unique<Upstreams>(
        io_, std::map<std::string, std::string>{{"vt.v1.TaskService", upstream_.target()}});
  }

  // A vector's gateway: its profile's options (transcoding.md 0.1) and the
  // options the vector itself names, each written as an operator writes
  // GATEWAY_CONFIG (Envoy's field names, only what differs from Envoy's
  // defaults) and read by the gateway's own config reader; the routes are
  // built with the route options the documents give (url_unescape_spec,
  // auto_mapping), as the gateway builds them.
  std::unique_ptr<GatewayHandler> Handler(Profile profile, absl::string_view options = "{}") {
    const char* profile_document =
        profile == Profile::kD ? R"({"services": ["vt.v1.TaskService"]})"
                               : R"({"services": ["vt.v1.TaskService"], "convert_grpc_status": true,
                  "request_validation_options": {"reject_unknown_method": true,
                                                 "reject_unknown_query_parameters": true}})";
    GatewayConfig config;
    EXPECT_THAT(ApplyTranscoderJson(profile_document, config), IsOk());
    EXPECT_THAT(ApplyTranscoderJson(options, config), IsOk()) << options;
    auto routes = transcoding::TranscoderConfig::Create(ReadVectors(), config.routes);
    EXPECT_THAT(routes.status(), IsOk());
    configs_.push_back(*std::move(routes));
    return std::make_unique<GatewayHandler>(configs_.back().get(), upstreams_.get(),
                                            config.gateway);
  }

  // Section H, on every transcoded row: the upstream saw one call of `rpc`
  // carrying the original path and method.
  void ExpectUpstreamShape(const std::string& rpc, const std::string& http_method,
                           const std::string& target) {
    const auto seen = upstream_.seen();
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().method, "/vt.v1.TaskService/" + rpc);
    const auto value = [&](const std::string& key) {
      auto it = seen.back().metadata.find(key);
      return it == seen.back().metadata.end() ? std::string("<absent>") : it->second;
    };
    EXPECT_EQ(value("x-envoy-original-path"), target);
    EXPECT_EQ(value("x-envoy-original-method"), http_method);
  }

  // A text-format message of `type` as bytes.
  std::string Message(const std::string& type, const std::string& text) {
    const pb::Descriptor* descriptor = config_->pool().FindMessageTypeByName(type);
    EXPECT_NE(descriptor, nullptr) << type;
    std::unique_ptr<pb::Message> message(factory_.GetPrototype(descriptor)->New());
    EXPECT_TRUE(pb::TextFormat::ParseFromString(text, message.get())) << text;
    return message->SerializeAsString();
  }

  // The upstream's last request, as JSON of `type`.
  void ExpectUpstreamGot(const std::string& type, const std::string& json) {
    const auto seen = upstream_.seen();
    ASSERT_FALSE(seen.empty());
    const pb::Descriptor* descriptor = config_->pool().FindMessageTypeByName(type);
    std::unique_ptr<pb::Message> actual(factory_.GetPrototype(descriptor)->New());
    ASSERT_TRUE(actual->ParseFromString(seen.back().message));
    std::unique_ptr<pb::Message> expected(factory_.GetPrototype(descriptor)->New());
    ASSERT_TRUE(pb::util::JsonStringToMessage(json, expected.get()).ok()) << json;
    EXPECT_TRUE(pb::util::MessageDifferencer::Equals(*expected, *actual))
        << "upstream got " << actual->ShortDebugString();
  }

  HttpResponse Send(GatewayHandler& handler, const std::string& method, const std::string& target,
                    const std::string& body = "", Headers headers = {}) {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.headers = std::move(headers);
    auto writer = std::make_shared<CollectingWriter>();
    handler.Handle(std::move(request), writer);
    // The answer comes on this thread's event loop, as on a gateway worker.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!writer->ended && absl::Now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(writer->ended) << method << " " << target << " got no answer";
    last_streamed_ = writer->streamed;
    if (writer->streamed) {
      streamed_head_ = writer->response;
      streamed_body_ = writer->body;
    }
    return writer->response;
  }

  static std::string HeaderOf(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return "<absent>";
  }

  RecordingUpstream upstream_;
  std::unique_ptr<transcoding::TranscoderConfig> config_;
  boost::asio::io_context io_;
  std::unique_ptr<Upstreams> upstreams_;
  std::vector<std::unique_ptr<transcoding::TranscoderConfig>> configs_;
  pb::DynamicMessageFactory factory_;
  HttpResponse streamed_head_;
  std::string streamed_body_;
  bool last_streamed_ = false;
};

// One transcoded exchange of sections A, B and C: the request, the message
// the upstream must parse out of it, the upstream's reply and the response.
struct Row {
  const char* id;
  const char* method;
  const char* target;
  const char* body;
  const char* rpc;
  const char* upstream_json;  // the upstream's message as proto3 JSON
  const char* reply_type;     // "" for an empty reply of the RPC's type
  const char* reply_text;
  const char* response_body;  // compared exactly; nullptr: not checked
};

class TranscodingRowsTest : public TranscodingTableTest {
 protected:
  void Run(GatewayHandler& handler, const Row& row) {
    SCOPED_TRACE(row.id);
    upstream_.SetReply(
        {0, "", "", {*row.reply_type ? Message(row.reply_type, row.reply_text) : ""}});
    const size_t calls_before = upstream_.seen().size();
    const HttpResponse response =
        Send(handler, row.method, row.target, row.body,
             *row.body ? Headers{{"content-type", "application/json"}} : Headers{});
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(HeaderOf(response, "content-type"), "application/json");
    if (row.response_body != nullptr) {
      EXPECT_EQ(response.body, row.response_body);
    }
    ASSERT_EQ(upstream_.seen().size(), calls_before + 1);
    ExpectUpstreamShape(row.rpc, row.method, row.target);
    const pb::MethodDescriptor* method =
        config_->pool().FindMethodByName(absl::StrCat("vt.v1.TaskService.", row.rpc));
    ASSERT_NE(method, nullptr);
    ExpectUpstreamGot(method->input_type()->full_name(), row.upstream_json);
  }
};

}  // namespace todo::gateway::table
