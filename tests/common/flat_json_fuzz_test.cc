// Fuzz target for the token JSON parser: any bytes give an object or
// INVALID_ARGUMENT, never a crash, a hang or unbounded recursion.
//
// libFuzzer build: cmake -DCMAKE_CXX_COMPILER=clang++ -DTODO_FUZZ=ON, target
// flat_json_fuzzer. In every build it runs as a bounded deterministic test.

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/jwt/flat_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto object = todo::common::jwt::FlatJsonObject::Parse(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!object.ok() && object.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  if (object.ok()) {
    object->String("sub");
    object->Number("exp");
  }
  return 0;
}

#ifndef TODO_LIBFUZZER
#include "gtest/gtest.h"

TEST(FlatJsonFuzzTest, SurvivesMutatedInputs) {
  const std::vector<std::string> corpus = {
      R"({"alg":"HS256","typ":"JWT","kid":"k\u00e9"})",
      R"({"sub":"u","exp":1767225600,"aud":["a","b"],"x":{"y":[1,2.5e3,null,true]}})",
      R"({"name":"\ud83d\ude00 \"q\" \\","n":-0.0})",
  };
  std::mt19937 random(20261123);
  const std::string alphabet = "{}[]\":,\\u0123456789abcdefnrtlsE+-. \x01\xff";
  for (int round = 0; round < 50000; ++round) {
    std::string input = corpus[round % corpus.size()];
    const int edits = 1 + static_cast<int>(random() % 6);
    for (int edit = 0; edit < edits; ++edit) {
      const size_t at = input.empty() ? 0 : random() % input.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          if (!input.empty()) input[at] = c;
          break;
        case 1:
          input.insert(at, 1, c);
          break;
        default:
          if (!input.empty()) input.erase(at, 1);
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
}
#endif
