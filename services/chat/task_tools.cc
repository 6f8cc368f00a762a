#include "services/chat/task_tools.h"

#include <openssl/sha.h>

#include <cmath>
#include <initializer_list>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/json/flat_json.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/tasks/limits.h"
#include "todo/tasks/v1/tasks.pb.h"

namespace todo::chat {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
namespace v1 = tasks::v1;

constexpr absl::string_view kTasksService = "/todo.tasks.v1.TasksService/";

// --- Reading arguments: unknown names and wrong types are refused, so a
// model learns what it got wrong instead of having it ignored. ---

absl::Status ArgumentError(absl::string_view name, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("argument ", name, ": ", what));
}

absl::Status CheckKnown(const Struct& args, absl::Span<const absl::string_view> known) {
  for (const auto& [name, value] : args.fields()) {
    bool found = false;
    for (absl::string_view candidate : known) found = found || candidate == name;
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown argument \"", name, "\"; expected one of ", absl::StrJoin(known, ", ")));
    }
  }
  return absl::OkStatus();
}

const Value* Find(const Struct& args, absl::string_view name) {
  auto found = args.fields().find(std::string(name));
  if (found == args.fields().end() || found->second.has_null_value()) return nullptr;
  return &found->second;
}

absl::StatusOr<std::optional<std::string>> OptionalString(const Struct& args,
                                                          absl::string_view name) {
  const Value* value = Find(args, name);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->has_string_value()) return ArgumentError(name, "expected a string");
  return std::optional<std::string>(value->string_value());
}

// A positive integer; models sometimes send ids as strings ("3").
absl::StatusOr<int64_t> TaskId(const Struct& args) {
  const Value* value = Find(args, "task_id");
  if (value == nullptr) return ArgumentError("task_id", "required");
  int64_t id = 0;
  if (value->has_number_value()) {
    const double number = value->number_value();
    if (number != std::floor(number) || number < 1 || number > 9e15) {
      return ArgumentError("task_id", "expected a positive whole number");
    }
    id = static_cast<int64_t>(number);
  } else if (!value->has_string_value() || !absl::SimpleAtoi(value->string_value(), &id) ||
             id < 1) {
    return ArgumentError("task_id", "expected a positive whole number");
  }
  return id;
}

absl::StatusOr<std::optional<google::protobuf::Timestamp>> OptionalTime(const Struct& args,
                                                                        absl::string_view name) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalString(args, name));
  if (!text.has_value()) return std::optional<google::protobuf::Timestamp>();
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, *text, &time, &error)) {
    return ArgumentError(name, "expected an RFC 3339 date-time such as 2026-03-12T17:00:00+05:00");
  }
  return std::optional<google::protobuf::Timestamp>(common::time::ToTimestamp(time));
}

absl::StatusOr<std::optional<std::vector<std::string>>> OptionalStrings(const Struct& args,
                                                                        absl::string_view name) {
  const Value* value = Find(args, name);
  if (value == nullptr) return std::optional<std::vector<std::string>>();
  std::vector<std::string> strings;
  if (value->has_string_value()) {
    strings.push_back(value->string_value());
  } else if (value->has_list_value()) {
    for (const Value& item : value->list_value().values()) {
      if (!item.has_string_value()) return ArgumentError(name, "expected strings");
      strings.push_back(item.string_value());
    }
  } else {
    return ArgumentError(name, "expected a list of strings");
  }
  return std::optional<std::vector<std::string>>(std::move(strings));
}

template <typename Enum>
absl::StatusOr<std::optional<Enum>> OptionalEnum(const Struct& args, absl::string_view name,
                                                 bool (*parse)(absl::string_view, Enum*)) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalString(args, name));
  if (!text.has_value()) return std::optional<Enum>();
  Enum parsed;
  if (!parse(*text, &parsed) || static_cast<int>(parsed) == 0) {
    return ArgumentError(name, absl::StrCat("\"", *text, "\" is not one of the allowed values"));
  }
  return std::optional<Enum>(parsed);
}

bool ParsePriority(absl::string_view text, v1::TaskPriority* out) {
  return v1::TaskPriority_Parse(std::string(text), out);
}
bool ParseRecurrence(absl::string_view text, v1::TaskRecurrence* out) {
  return v1::TaskRecurrence_Parse(std::string(text), out);
}

// The task fields of add_task and update_task; `mask` (update) names each
// field given.
absl::Status ReadTaskFields(const Struct& args, v1::Task& task, google::protobuf::FieldMask* mask) {
  const auto mark = [mask](const char* path) {
    if (mask != nullptr) mask->add_paths(path);
  };
  ASSIGN_OR_RETURN(std::optional<std::string> title, OptionalString(args, "title"));
  if (title.has_value()) task.set_title(*title), mark("title");
  ASSIGN_OR_RETURN(std::optional<std::string> description, OptionalString(args, "description"));
  if (description.has_value()) task.set_description(*description), mark("description");
  ASSIGN_OR_RETURN(std::optional<std::string> category, OptionalString(args, "category"));
  if (category.has_value()) task.set_category(*category), mark("category");
  ASSIGN_OR_RETURN(std::optional<v1::TaskPriority> priority,
                   OptionalEnum<v1::TaskPriority>(args, "priority", ParsePriority));
  if (priority.has_value()) task.set_priority(*priority), mark("priority");
  ASSIGN_OR_RETURN(std::optional<v1::TaskRecurrence> recurrence,
                   OptionalEnum<v1::TaskRecurrence>(args, "recurrence", ParseRecurrence));
  if (recurrence.has_value()) task.set_recurrence(*recurrence), mark("recurrence");
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> tags, OptionalStrings(args, "tags"));
  if (tags.has_value()) {
    for (std::string& tag : *tags) task.add_tags(std::move(tag));
    mark("tags");
  }
  ASSIGN_OR_RETURN(std::optional<google::protobuf::Timestamp> due, OptionalTime(args, "due_date"));
  if (due.has_value()) *task.mutable_due_date() = *due, mark("due_date");
  ASSIGN_OR_RETURN(std::optional<google::protobuf::Timestamp> remind,
                   OptionalTime(args, "remind_at"));
  if (remind.has_value()) *task.mutable_remind_at() = *remind, mark("remind_at");
  return absl::OkStatus();
}

constexpr absl::string_view kAddTaskArguments[] = {
    "title", "description", "priority", "tags", "category", "due_date", "remind_at", "recurrence"};
constexpr absl::string_view kUpdateTaskArguments[] = {"task_id",  "title",     "description",
                                                      "priority", "tags",      "category",
                                                      "due_date", "remind_at", "recurrence"};

// --- Results ---

// A task as the model sees it: protobuf's JSON of v1.Task (field names as
// in the proto, enums by name), read into a Struct.
Value TaskValue(const v1::Task& task) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  Value value;
  if (google::protobuf::util::MessageToJsonString(task, &json, options).ok()) {
    if (absl::StatusOr<Value> parsed = common::json::ParseJsonValue(json); parsed.ok()) {
      value = *std::move(parsed);
    }
  }
  auto& fields = *value.mutable_struct_value()->mutable_fields();
  fields.erase("etag");
  // int64 prints as a JSON string; ids are numbers everywhere else (task_id).
  fields["id"].set_number_value(static_cast<double>(task.id()));
  return value;
}

ToolOutcome Changed(const v1::Task& task, absl::string_view status) {
  ToolOutcome outcome;
  auto& fields = *outcome.result.mutable_fields();
  fields["task_id"].set_number_value(static_cast<double>(task.id()));
  fields["status"].set_string_value(std::string(status));
  fields["title"].set_string_value(task.title());
  return outcome;
}

ToolOutcome Failed(const absl::Status& status) {
  ToolOutcome outcome;
  outcome.is_error = true;
  (*outcome.result.mutable_fields())["error"].set_string_value(std::string(status.message()));
  return outcome;
}

// What the model and the user can act on becomes a result; the rest fails
// the turn.
bool IsToolError(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

// The x-request-id of a call: its key, or when the key is longer than tasks
// takes (services/tasks/limits.h; a client's long request id with the turn's
// prefix and suffix), the key's SHA-256, as stable and as unique.
std::string RequestIdFor(const std::string& call_key) {
  if (call_key.size() <= tasks::kMaxRequestIdBytes) return call_key;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(call_key.data()), call_key.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// Calls tasks' `method`: what the model can act on comes back as a tool
// error, the rest as a status; an answer goes through `respond`.
template <typename Response, typename Request, typename Respond>
absl::StatusOr<ToolOutcome> CallTasks(common::rpc::BlockingClient& tasks, absl::string_view method,
                                      const Request& request, const ToolContext& context,
                                      Respond respond) {
  absl::StatusOr<Response> response = tasks.Call<Response>(
      absl::StrCat(kTasksService, method), request,
      {{"authorization", context.authorization}, {"x-request-id", RequestIdFor(context.call_key)}},
      context.timeout);
  if (!response.ok()) {
    if (IsToolError(response.status().code())) return Failed(response.status());
    return response.status();
  }
  return respond(*response);
}

absl::StatusOr<v1::ListTasksRequest> ListRequest(const Struct& args) {
  RETURN_IF_ERROR(CheckKnown(args, {"status", "priority", "tags", "category", "search", "due_from",
                                    "due_to", "sort", "limit"}));
  v1::ListTasksRequest request;
  ASSIGN_OR_RETURN(std::optional<std::string> status, OptionalString(args, "status"));
  request.set_status(status.value_or("all"));
  ASSIGN_OR_RETURN(std::optional<std::string> priority, OptionalString(args, "priority"));
  if (priority.has_value()) request.set_priority(*priority);
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> tags, OptionalStrings(args, "tags"));
  if (tags.has_value()) {
    for (std::string& tag : *tags) request.add_tag(std::move(tag));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> category, OptionalString(args, "category"));
  if (category.has_value()) request.set_category(*category);
  ASSIGN_OR_RETURN(std::optional<std::string> search, OptionalString(args, "search"));
  if (search.has_value()) request.set_q(*search);
  ASSIGN_OR_RETURN(std::optional<google::protobuf::Timestamp> from, OptionalTime(args, "due_from"));
  if (from.has_value()) *request.mutable_due_after() = *from;
  ASSIGN_OR_RETURN(std::optional<google::protobuf::Timestamp> to, OptionalTime(args, "due_to"));
  if (to.has_value()) *request.mutable_due_before() = *to;
  ASSIGN_OR_RETURN(std::optional<std::string> sort, OptionalString(args, "sort"));
  if (sort.has_value()) request.set_order_by(*sort);
  int limit = 50;
  if (const Value* value = Find(args, "limit")) {
    if (!value->has_number_value() || value->number_value() < 1 || value->number_value() > 100) {
      return ArgumentError("limit", "expected a whole number from 1 to 100");
    }
    limit = static_cast<int>(value->number_value());
  }
  request.set_page_size(limit);
  return request;
}

ToolOutcome Listed(const v1::ListTasksResponse& response) {
  ToolOutcome outcome;
  auto& fields = *outcome.result.mutable_fields();
  auto& tasks = *fields["tasks"].mutable_list_value();
  for (const v1::Task& task : response.tasks()) *tasks.add_values() = TaskValue(task);
  fields["count"].set_number_value(response.tasks_size());
  return outcome;
}

template <typename Request>
absl::StatusOr<Request> ByIdRequest(const Struct& args) {
  RETURN_IF_ERROR(CheckKnown(args, {"task_id"}));
  ASSIGN_OR_RETURN(const int64_t id, TaskId(args));
  Request request;
  request.set_id(id);
  return request;
}

}  // namespace

absl::StatusOr<ToolOutcome> TaskTools::Run(absl::string_view tool, const Struct& args,
                                           const ToolContext& context) const {
  common::rpc::BlockingClient& tasks = *tasks_;
  absl::StatusOr<ToolOutcome> outcome = [&]() -> absl::StatusOr<ToolOutcome> {
    if (tool == "add_task") {
      RETURN_IF_ERROR(CheckKnown(args, kAddTaskArguments));
      v1::CreateTaskRequest request;
      RETURN_IF_ERROR(ReadTaskFields(args, *request.mutable_task(), nullptr));
      if (!request.task().has_title()) return ArgumentError("title", "required");
      return CallTasks<v1::Task>(tasks, "CreateTask", request, context,
                                 [](const v1::Task& task) { return Changed(task, "created"); });
    }
    if (tool == "list_tasks") {
      ASSIGN_OR_RETURN(const v1::ListTasksRequest request, ListRequest(args));
      return CallTasks<v1::ListTasksResponse>(tasks, "ListTasks", request, context, Listed);
    }
    if (tool == "complete_task") {
      ASSIGN_OR_RETURN(const auto request, ByIdRequest<v1::CompleteTaskRequest>(args));
      return CallTasks<v1::Task>(tasks, "CompleteTask", request, context,
                                 [](const v1::Task& task) { return Changed(task, "completed"); });
    }
    if (tool == "reopen_task") {
      ASSIGN_OR_RETURN(const auto request, ByIdRequest<v1::ReopenTaskRequest>(args));
      return CallTasks<v1::Task>(tasks, "ReopenTask", request, context,
                                 [](const v1::Task& task) { return Changed(task, "reopened"); });
    }
    if (tool == "delete_task") {
      ASSIGN_OR_RETURN(const auto get, ByIdRequest<v1::GetTaskRequest>(args));
      // The title for the answer, and NOT_FOUND before anything changes.
      ASSIGN_OR_RETURN(ToolOutcome found, CallTasks<v1::Task>(tasks, "GetTask", get, context,
                                                              [](const v1::Task& task) {
                                                                return Changed(task, "deleted");
                                                              }));
      if (found.is_error) return found;
      v1::DeleteTaskRequest request;
      request.set_id(get.id());
      return CallTasks<google::protobuf::Empty>(
          tasks, "DeleteTask", request, context,
          [&found](const google::protobuf::Empty&) { return found; });
    }
    if (tool == "update_task") {
      RETURN_IF_ERROR(CheckKnown(args, kUpdateTaskArguments));
      ASSIGN_OR_RETURN(const int64_t id, TaskId(args));
      v1::UpdateTaskRequest request;
      request.mutable_task()->set_id(id);
      RETURN_IF_ERROR(ReadTaskFields(args, *request.mutable_task(), request.mutable_update_mask()));
      if (request.update_mask().paths().empty()) {
        return absl::InvalidArgumentError("nothing to change: give at least one field");
      }
      return CallTasks<v1::Task>(tasks, "UpdateTask", request, context,
                                 [](const v1::Task& task) { return Changed(task, "updated"); });
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown tool \"", tool,
                     "\"; the tools are add_task, list_tasks, complete_task, reopen_task, "
                     "update_task and delete_task"));
  }();
  if (!outcome.ok() && outcome.status().code() == absl::StatusCode::kInvalidArgument) {
    return Failed(outcome.status());  // the call's arguments, refused before any call
  }
  return outcome;
}

}  // namespace todo::chat
