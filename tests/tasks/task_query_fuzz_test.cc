// Fuzz target for ListTasks parsing: filters, order_by and page tokens from
// arbitrary bytes must give a query or INVALID_ARGUMENT, never a crash.
//
// Built as a libFuzzer target with clang
//   cmake -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DTODO_FUZZ=ON
//   cmake --build build/fuzz --target task_query_fuzzer
//   build/fuzz/tests/tasks/task_query_fuzzer -max_total_time=60
// and, in every build, as a bounded deterministic test: a seed corpus plus
// mutations of it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "services/tasks/task_query.h"

namespace {

using todo::tasks::ListTasksInput;

std::string Take(const uint8_t*& data, size_t& size) {
  const size_t length = size == 0 ? 0 : std::min<size_t>(data[0], size - 1);
  std::string piece(reinterpret_cast<const char*>(data + (size == 0 ? 0 : 1)), length);
  const size_t used = size == 0 ? 0 : length + 1;
  data += used;
  size -= used;
  return piece;
}

void ParseOne(const uint8_t* data, size_t size) {
  ListTasksInput input;
  input.status = Take(data, size);
  input.priority = Take(data, size);
  input.tags = {Take(data, size), Take(data, size)};
  input.category = Take(data, size);
  input.q = Take(data, size);
  input.order_by = Take(data, size);
  const std::string size_text = Take(data, size);
  input.page_size = size_text.empty() ? 0 : static_cast<int8_t>(size_text[0]) * 7;
  input.page_token = std::string(reinterpret_cast<const char*>(data), size);
  auto query = todo::tasks::ParseListQuery(input);
  if (query.ok()) {
    // A valid query must also build; its token must parse back.
    const auto sql = todo::tasks::BuildListSql("user", *query);
    if (sql.sql.empty()) __builtin_trap();
    input.page_token = todo::tasks::EncodePageToken(*query, {std::string(input.q), 1});
    if (!todo::tasks::ParseListQuery(input).ok()) __builtin_trap();
  } else if (query.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ParseOne(data, size);
  return 0;
}

#ifndef TODO_LIBFUZZER
#include "gtest/gtest.h"
#include "tests/harness/mutation_fuzzing.h"

TEST(TaskQueryFuzzTest, SurvivesMutatedInputs) {
  std::vector<std::string> corpus = {
      std::string("\x07pending\x04high\x04home\x04work\x05chore\x04milk\x08title asc\x01\x05"),
      std::string("\x03all\x00\x00\x00\x00\x00\x0c"
                  "due_date desc\x00",
                  22),
      "\x01\xff\x02\xc3\xa9\x03&|!" + absl::WebSafeBase64Escape("v1.0000000000000000.-.1"),
  };
  todo::testing::RunMutations(corpus, "", 20000, LLVMFuzzerTestOneInput);
}
#endif
