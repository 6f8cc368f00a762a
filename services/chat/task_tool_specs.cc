// The task tools as a model (or an MCP client) sees them.

#include "services/chat/task_tools.h"

namespace todo::chat {
namespace {

// Fields add_task and update_task share.
#define TASK_FIELDS                                                                          \
  R"("title": {"type": "string", "minLength": 1, "maxLength": 200},)"                        \
  R"("description": {"type": "string", "maxLength": 2000},)"                                 \
  R"("priority": {"type": "string", "enum": ["low", "medium", "high"]},)"                    \
  R"("tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},)"               \
  R"("category": {"type": "string"},)"                                                       \
  R"("due_date": {"type": "string", "format": "date-time", "description": "RFC 3339, with )" \
  R"(the user's offset"},)"                                                                  \
  R"("remind_at": {"type": "string", "format": "date-time"},)"                               \
  R"("recurrence": {"type": "string", "enum": ["none", "daily", "weekly", "monthly"]})"

#define TASK_ID R"("task_id": {"type": "integer", "minimum": 1})"

// What a tool that changes one task answers.
#define CHANGED(status)                                                                       \
  R"({"type": "object", "properties": {"task_id": {"type": "integer"},)"                      \
  R"( "status": {"type": "string", "const": ")" status R"("}, "title": {"type": "string"}},)" \
  R"( "required": ["task_id", "status", "title"]})"

// list_tasks' answer: each task as the REST API prints it (proto field names).
#define LISTED                                                                                 \
  R"({"type": "object", "properties": {"count": {"type": "integer"}, "tasks": {"type":)"       \
  R"( "array", "items": {"type": "object", "properties": {"id": {"type": "integer"},)"         \
  R"( "title": {"type": "string"}, "description": {"type": "string"}, "status": {"type":)"     \
  R"( "string"}, "priority": {"type": "string"}, "tags": {"type": "array", "items": {"type":)" \
  R"( "string"}}, "category": {"type": "string"}, "due_date": {"type": "string", "format":)"   \
  R"( "date-time"}, "remind_at": {"type": "string", "format": "date-time"}, "recurrence":)"    \
  R"( {"type": "string"}}, "required": ["id", "title", "status"]}}},)"                         \
  R"( "required": ["tasks", "count"]})"

const std::vector<ToolSpec> kSpecs = {
    {"add_task", "Add a task",
     "Creates one task for the user. Use when the user asks to add, create or remember "
     "something to do. Put dates and times in due_date (RFC 3339 with the user's offset), not "
     "in the title. Not for changing an existing task (update_task).",
     R"({"type": "object", "properties": {)" TASK_FIELDS R"(}, "required": ["title"],)"
     R"( "additionalProperties": false})",
     CHANGED("created"), false, false, false},
    {"list_tasks", "List tasks",
     "Lists the user's tasks, filtered and sorted. Use to show tasks, and to find the id of a "
     "task the user names by its title before completing, updating or deleting it (search). "
     "Read-only.",
     R"({"type": "object", "properties": {)"
     R"("status": {"type": "string", "enum": ["all", "pending", "in_progress", "completed",)"
     R"( "cancelled"], "default": "all"},)"
     R"("priority": {"type": "string", "enum": ["low", "medium", "high"]},)"
     R"("tags": {"type": "array", "items": {"type": "string"}},)"
     R"("category": {"type": "string"},)"
     R"("search": {"type": "string", "description": "words in the title or description"},)"
     R"("due_from": {"type": "string", "format": "date-time"},)"
     R"("due_to": {"type": "string", "format": "date-time"},)"
     R"("sort": {"type": "string", "enum": ["due_date", "priority", "title", "created_at",)"
     R"( "updated_at", "due_date desc", "priority desc", "title desc", "created_at desc",)"
     R"( "updated_at desc"]},)"
     R"("limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},)"
     R"( "additionalProperties": false})",
     LISTED, true, false, true},
    {"complete_task", "Complete a task",
     "Marks one task done by its id (a recurring task's next occurrence is created). Use "
     "list_tasks first when the user names the task by title.",
     R"({"type": "object", "properties": {)" TASK_ID R"(}, "required": ["task_id"],)"
     R"( "additionalProperties": false})",
     CHANGED("completed"), false, false, true},
    {"reopen_task", "Reopen a task",
     "Marks a completed task pending again, by its id. Use when the user says a task is not "
     "done after all.",
     R"({"type": "object", "properties": {)" TASK_ID R"(}, "required": ["task_id"],)"
     R"( "additionalProperties": false})",
     CHANGED("reopened"), false, false, true},
    {"update_task", "Update a task",
     "Changes the given fields of one task by its id; fields not given stay as they are. Use "
     "for renaming, rescheduling, re-prioritising or tagging. Not for completing (complete_task).",
     R"({"type": "object", "properties": {)" TASK_ID "," TASK_FIELDS
     R"(}, "required": ["task_id"], "additionalProperties": false})",
     CHANGED("updated"), false, false, true},
    {"delete_task", "Delete a task",
     "Deletes one task by its id, permanently. Only when the user clearly asked to delete that "
     "task; when several tasks match the user's words, ask which one instead.",
     R"({"type": "object", "properties": {)" TASK_ID R"(}, "required": ["task_id"],)"
     R"( "additionalProperties": false})",
     CHANGED("deleted"), false, true, false},
};

#undef TASK_FIELDS
#undef TASK_ID
#undef CHANGED
#undef LISTED

}  // namespace

const std::vector<ToolSpec>& TaskToolSpecs() { return kSpecs; }

const ToolSpec* FindToolSpec(absl::string_view name) {
  for (const ToolSpec& spec : kSpecs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace todo::chat
