// Fuzz target for the gateway's request path: route matching, query
// parsing and the JSON body, on the vectors fixture. Any bytes must give a
// translated message or a clean error, never a crash or a hang.
//
// libFuzzer build: cmake -DCMAKE_CXX_COMPILER=clang++ -DTODO_FUZZ=ON, target
// request_path_fuzzer. In every build it runs as a bounded deterministic test.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "services/gateway/transcoding/request_translator.h"
#include "services/gateway/transcoding/transcoder_config.h"

namespace {

using todo::gateway::transcoding::TranscoderConfig;

const TranscoderConfig& Config() {
  static const TranscoderConfig* const config = [] {
    std::ifstream file(TODO_VECTORS_DESCRIPTOR_SET, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    todo::gateway::transcoding::RouteOptions options;
    options.services = {"vt.v1.TaskService"};
    auto created = TranscoderConfig::Create(bytes.str(), options);
    if (!created.ok()) __builtin_trap();
    return created->release();
  }();
  return *config;
}

}  // namespace

// Input: "<method> <target>\n<body>".
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t space = input.find(' ');
  const size_t newline = input.find('\n');
  if (space == std::string::npos || newline == std::string::npos || newline < space) return 0;
  const std::string method = input.substr(0, space);
  const std::string target = input.substr(space + 1, newline - space - 1);
  const std::string body = input.substr(newline + 1);
  const size_t question = target.find('?');
  auto match = Config().Match(method, target.substr(0, question));
  if (!match.ok()) return 0;
  todo::gateway::transcoding::RequestTranslatorOptions options;
  options.query_param_unescape_plus = (size & 1) != 0;
  auto message = todo::gateway::transcoding::TranslateRequest(
      *match, question == std::string::npos ? "" : target.substr(question + 1), body, options);
  if (!message.ok() && message.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  return 0;
}

#ifndef TODO_LIBFUZZER
#include "gtest/gtest.h"
#include "tests/harness/mutation_fuzzing.h"

TEST(RequestPathFuzzTest, SurvivesMutatedRequests) {
  const std::vector<std::string> corpus = {
      "GET /v1/tasks?page_size=10&tags=a&tags=b&filter.text=a%26b&cursor=YWJj\n",
      "POST /v1/tasks\n{\"title\":\"x\",\"priority\":2,\"dueTime\":\"2024-05-01T10:00:00Z\"}",
      "PATCH /v1/tasks/42?update_mask=title,dueTime\n{\"title\":\"New\"}",
      "GET /v1/users/u%2F1/tasks/t%201\n",
      "POST /v1/tasks/42:complete\n{\"note\":\"done\",\"completedTime\":\"2024-01-01T00:00:00Z\"}",
      "PUT /v1/tasks/42/title\n\"Renamed\"",
  };
  todo::testing::RunMutations(corpus, "/?&=%.:{}[]\",0123456789abcxyzT+-\\ \x80\xff", 100000,
                              LLVMFuzzerTestOneInput);
}
#endif
