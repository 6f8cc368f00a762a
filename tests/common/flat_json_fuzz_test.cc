// Fuzz target for the JSON parser (token objects and any value): any bytes give a value or
// INVALID_ARGUMENT, never a crash, a hang or unbounded recursion.
//
// libFuzzer build: cmake -DCMAKE_CXX_COMPILER=clang++ -DTODO_FUZZ=ON, target
// flat_json_fuzzer. In every build it runs as a bounded deterministic test.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/json/flat_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto object = todo::common::json::FlatJsonObject::Parse(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!object.ok() && object.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  if (object.ok()) {
    object->String("sub");
    object->Number("exp");
  }
  auto value = todo::common::json::ParseJsonValue(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!value.ok() && value.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  return 0;
}

#ifndef TODO_LIBFUZZER
#include "gtest/gtest.h"
#include "tests/harness/mutation_fuzzing.h"

TEST(FlatJsonFuzzTest, SurvivesMutatedInputs) {
  const std::vector<std::string> corpus = {
      R"({"alg":"HS256","typ":"JWT","kid":"k\u00e9"})",
      R"({"sub":"u","exp":1767225600,"aud":["a","b"],"x":{"y":[1,2.5e3,null,true]}})",
      R"({"name":"\ud83d\ude00 \"q\" \\","n":-0.0})",
  };
  todo::testing::RunMutations(corpus, "{}[]\":,\\u0123456789abcdefnrtlsE+-. \x01\xff", 50000,
                              LLVMFuzzerTestOneInput);
}
#endif
