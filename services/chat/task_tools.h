#pragma once

// The assistant's task tools: their definitions (names, descriptions, JSON
// Schemas, hints) and their one implementation, calls to the tasks service
// as the user who is chatting. The built-in brain, the OpenAI-compatible
// provider and the MCP server all run tools through here.
//
// The user is never an argument: the calls carry the caller's own bearer
// token, so the tasks service decides whose tasks they touch, and another
// user's task id is simply "not found".

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/rpc/blocking_client.h"
#include "google/protobuf/struct.pb.h"

namespace todo::chat {

struct ToolSpec {
  const char* name;
  const char* title;
  // When to use it, and when not.
  const char* description;
  // The arguments as a JSON Schema object.
  const char* input_schema;
  // What it answers when it does not fail, as a JSON Schema object.
  const char* output_schema;
  bool read_only;
  bool destructive;
  bool idempotent;
};

// add_task, list_tasks, complete_task, reopen_task, update_task, delete_task.
const std::vector<ToolSpec>& TaskToolSpecs();
// nullptr for a name that is not a tool.
const ToolSpec* FindToolSpec(absl::string_view name);

// Whose call it is and how it may be retried.
struct ToolContext {
  // The caller's `authorization` metadata ("Bearer <JWT>").
  std::string authorization;
  // Unique per tool call of a turn; sent as x-request-id, so that the tasks
  // service creates and completes at most once per key (within 24 hours)
  // however often the call is retried.
  std::string call_key;
  absl::Duration timeout = absl::Seconds(5);
};

// What a tool answers. Mutating tools: {task_id, status, title}; list_tasks:
// {tasks: [...], count}. A failure the model or the user can act on (no
// such task, a bad argument, an unknown tool) is a result too, with
// is_error and {error: "..."}.
struct ToolOutcome {
  google::protobuf::Struct result;
  bool is_error = false;
};

class TaskTools {
 public:
  // `tasks` calls todo-tasks; it must outlive this object.
  explicit TaskTools(common::rpc::BlockingClient* tasks) : tasks_(tasks) {}

  // Runs one tool call. A status only when the tasks service cannot answer
  // (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL...): then the turn fails.
  absl::StatusOr<ToolOutcome> Run(absl::string_view tool, const google::protobuf::Struct& args,
                                  const ToolContext& context) const;

 private:
  common::rpc::BlockingClient* const tasks_;
};

}  // namespace todo::chat
