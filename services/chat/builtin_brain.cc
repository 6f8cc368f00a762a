#include "services/chat/builtin_brain.h"

#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "common/json/flat_json.h"
#include "common/status/status_macros.h"
#include "services/chat/brain_words.h"
#include "services/chat/language/requests.h"

namespace todo::chat {
namespace {

using brain_words::DoneFor;
using brain_words::OptionsFor;
using brain_words::PutTags;
using brain_words::Rfc3339;
using brain_words::Spoken;
using brain_words::TasksOf;
using brain_words::ToolFor;
using brain_words::VerbFor;
using common::json::NumberMember;
using common::json::StringMember;
using google::protobuf::Struct;
using language::Intent;
using language::Request;
using language::TaskReference;

class TurnHandler {
 public:
  TurnHandler(const Turn& turn, TurnTools& tools) : turn_(turn), tools_(tools) {}

  absl::StatusOr<BrainReply> Run() {
    const language::LocalClock& clock = *turn_.clock;
    std::vector<std::string> replies;
    for (const Request& request :
         language::UnderstandMessage(turn_.message, clock.LocalNow(), OptionsFor(clock))) {
      ASSIGN_OR_RETURN(std::string reply, Handle(request));
      replies.push_back(std::move(reply));
    }
    answer_.text = absl::StrJoin(replies, "\n");
    return std::move(answer_);
  }

 private:
  absl::StatusOr<std::string> Handle(const Request& request) {
    switch (request.intent) {
      case Intent::kAdd:
        return Add(request);
      case Intent::kList:
        return List(request);
      case Intent::kComplete:
      case Intent::kReopen:
      case Intent::kDelete:
      case Intent::kUpdate:
        return Change(request);
      case Intent::kConfirm:
        if (const Struct* pending = PendingAction()) return CarryOut(*pending);
        return std::string(
            "There is nothing waiting for a yes. What would you like to do with your tasks?");
      case Intent::kDecline:
        if (PendingAction() != nullptr) return std::string("OK, I left things as they are.");
        return std::string("OK. What would you like to do with your tasks?");
      case Intent::kGreeting:
      case Intent::kHelp:
        return std::string(
            "Hi! I manage your tasks: try \"add call mom tomorrow at 5pm\", \"what's due "
            "today?\", \"mark it done\" or \"move task 3 to Friday\".");
      case Intent::kOutOfScope:
        break;
    }
    if (request.language == "ur") {
      return std::string(
          "میں صرف آپ کے کاموں میں مدد کر سکتا ہوں، مثلاً «کل دودھ خریدنے کا کام شامل کریں»۔");
    }
    return std::string(
        "I can only help with your tasks, for example \"add pay bills on Friday\" or \"show my "
        "pending tasks\".");
  }

  // list_tasks arguments: what a listing asks for, or which tasks a set names.
  Struct ListArgs(const std::string& status, const std::optional<std::string>& search,
                  const std::vector<std::string>& tags,
                  const std::optional<absl::CivilMinute>& due_from,
                  const std::optional<absl::CivilMinute>& due_to) const {
    Struct args;
    auto& fields = *args.mutable_fields();
    fields["status"].set_string_value(status);
    if (search.has_value()) fields["search"].set_string_value(*search);
    if (!tags.empty()) PutTags(tags, fields["tags"]);
    if (due_from.has_value()) fields["due_from"].set_string_value(Rfc3339(*turn_.clock, *due_from));
    if (due_to.has_value()) fields["due_to"].set_string_value(Rfc3339(*turn_.clock, *due_to));
    return args;
  }

  // add_task and update_task arguments from a request's fields.
  void PutFields(const Request& request, Struct& args) {
    auto& fields = *args.mutable_fields();
    if (request.title.has_value()) fields["title"].set_string_value(*request.title);
    if (request.priority.has_value()) fields["priority"].set_string_value(*request.priority);
    if (!request.tags.empty()) PutTags(request.tags, fields["tags"]);
    if (request.due.has_value()) {
      fields["due_date"].set_string_value(Rfc3339(*turn_.clock, *request.due));
    }
    if (request.recurrence.has_value()) {
      fields["recurrence"].set_string_value(*request.recurrence);
    }
  }

  std::string Details(const Request& request) {
    std::string details;
    if (request.due.has_value()) absl::StrAppend(&details, ", due ", Spoken(*request.due));
    if (request.recurrence.has_value())
      absl::StrAppend(&details, ", repeating ", *request.recurrence);
    if (request.priority.has_value())
      absl::StrAppend(&details, ", ", *request.priority, " priority");
    if (!request.tags.empty())
      absl::StrAppend(&details, ", tagged ", absl::StrJoin(request.tags, ", "));
    return details;
  }

  absl::StatusOr<std::string> Add(const Request& request) {
    if (!request.title.has_value()) return std::string("What should the task be called?");
    Struct args;
    PutFields(request, args);
    ASSIGN_OR_RETURN(ToolOutcome outcome, tools_.Call("add_task", args));
    if (outcome.is_error) {
      return absl::StrCat("I couldn't add that: ", StringMember(outcome.result, "error"));
    }
    if (request.language == "ur") {
      return absl::StrCat(
          "«", StringMember(outcome.result, "title"), "» کا کام شامل کر دیا گیا",
          request.due.has_value()
              ? absl::StrCat("، آخری تاریخ ", brain_words::SpokenInUrdu(*request.due))
              : "",
          "۔");
    }
    std::string reply = absl::StrCat("Added \"", StringMember(outcome.result, "title"), "\"",
                                     Details(request), ".");
    if (request.unsupported_recurrence.has_value()) {
      absl::StrAppend(&reply, " I can repeat tasks daily, weekly or monthly, so \"",
                      *request.unsupported_recurrence, "\" is not set.");
    }
    return reply;
  }

  absl::StatusOr<std::string> List(const Request& request) {
    Struct args =
        ListArgs(request.status, request.search, request.tags, request.due_from, request.due_to);
    auto& fields = *args.mutable_fields();
    if (request.priority.has_value()) fields["priority"].set_string_value(*request.priority);
    if (request.sort.has_value()) fields["sort"].set_string_value(*request.sort);
    ASSIGN_OR_RETURN(ToolOutcome outcome, tools_.Call("list_tasks", args));
    if (outcome.is_error) {
      return absl::StrCat("I couldn't list them: ", StringMember(outcome.result, "error"));
    }
    const std::vector<const Struct*> tasks = TasksOf(outcome.result);
    const bool urdu = request.language == "ur";
    if (tasks.empty()) return std::string(urdu ? "کوئی کام نہیں۔" : "No tasks match.");
    std::string reply =
        urdu ? absl::StrCat("آپ کے ", tasks.size(), " کام ہیں:")
             : absl::StrCat("You have ", tasks.size(), tasks.size() == 1 ? " task" : " tasks", ":");
    int n = 0;
    for (const Struct* task : tasks) {
      absl::StrAppend(&reply, "\n", ++n, ". ", StringMember(*task, "title"), " (#",
                      static_cast<int64_t>(NumberMember(*task, "id")), ", ",
                      StringMember(*task, "status"), ")");
    }
    return reply;
  }

  // The id `target` names, or a reply that says why there is none.
  absl::StatusOr<std::optional<int64_t>> Resolve(const Request& request, std::string* reply) {
    const TaskReference& target = request.target;
    switch (target.kind) {
      case TaskReference::Kind::kId:
        return std::optional<int64_t>(target.id);
      case TaskReference::Kind::kPronoun:
        if (std::optional<int64_t> id = LastTaskTouched()) return id;
        *reply = "Which task do you mean? Tell me its number or its title.";
        return std::optional<int64_t>();
      case TaskReference::Kind::kOrdinal:
        if (std::optional<int64_t> id = FromLastListing(target.ordinal)) return id;
        *reply = "I don't have a list to count in; ask me to show your tasks first.";
        return std::optional<int64_t>();
      case TaskReference::Kind::kListed:
      case TaskReference::Kind::kSet:  // ChangeMany's
      case TaskReference::Kind::kWords:
        return Search(request, reply);
      case TaskReference::Kind::kNone:
        break;
    }
    *reply = "Which task do you mean? Tell me its number or its title.";
    return std::optional<int64_t>();
  }

  absl::StatusOr<std::optional<int64_t>> Search(const Request& request, std::string* reply) {
    Struct args;
    (*args.mutable_fields())["search"].set_string_value(request.target.words);
    const char* status = request.intent == Intent::kComplete ? "pending"
                         : request.intent == Intent::kReopen ? "completed"
                                                             : "all";
    (*args.mutable_fields())["status"].set_string_value(status);
    ASSIGN_OR_RETURN(ToolOutcome outcome, tools_.Call("list_tasks", args));
    const std::vector<const Struct*> tasks = TasksOf(outcome.result);
    if (outcome.is_error || tasks.empty()) {
      *reply = absl::StrCat("I couldn't find a task matching \"", request.target.words, "\".");
      return std::optional<int64_t>();
    }
    if (tasks.size() > 1) {
      *reply = absl::StrCat("Several tasks match \"", request.target.words, "\". Which one?");
      int n = 0;
      for (const Struct* task : tasks) {
        absl::StrAppend(reply, "\n", ++n, ". ", StringMember(*task, "title"), " (#",
                        static_cast<int64_t>(NumberMember(*task, "id")), ")");
      }
      return std::optional<int64_t>();
    }
    return std::optional<int64_t>(static_cast<int64_t>(NumberMember(*tasks[0], "id")));
  }

  // The calls of the conversation, newest first: this turn's, then history's.
  std::vector<const ToolCallRecord*> RecentCalls() const {
    std::vector<const ToolCallRecord*> calls;
    for (auto call = tools_.calls().rbegin(); call != tools_.calls().rend(); ++call) {
      calls.push_back(&*call);
    }
    for (auto message = turn_.history.rbegin(); message != turn_.history.rend(); ++message) {
      for (auto call = message->tool_calls.rbegin(); call != message->tool_calls.rend(); ++call) {
        calls.push_back(&*call);
      }
    }
    return calls;
  }

  // "it": the task the last change named, or the only one the last
  // listing showed.
  std::optional<int64_t> LastTaskTouched() const {
    for (const ToolCallRecord* call : RecentCalls()) {
      if (NumberMember(call->result, "task_id") > 0 && call->tool != "delete_task") {
        return static_cast<int64_t>(NumberMember(call->result, "task_id"));
      }
      if (call->tool == "list_tasks") {
        const std::vector<const Struct*> tasks = TasksOf(call->result);
        if (tasks.size() == 1) return static_cast<int64_t>(NumberMember(*tasks[0], "id"));
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::optional<int64_t> FromLastListing(int ordinal) const {
    for (const ToolCallRecord* call : RecentCalls()) {
      if (call->tool != "list_tasks") continue;
      const std::vector<const Struct*> tasks = TasksOf(call->result);
      const int index = ordinal > 0 ? ordinal - 1 : static_cast<int>(tasks.size()) + ordinal;
      if (index < 0 || index >= static_cast<int>(tasks.size())) return std::nullopt;
      return static_cast<int64_t>(NumberMember(*tasks[index], "id"));
    }
    return std::nullopt;
  }

  absl::StatusOr<std::string> Change(const Request& request) {
    if (request.target.kind == TaskReference::Kind::kListed ||
        request.target.kind == TaskReference::Kind::kSet) {
      return ChangeMany(request);
    }
    std::string reply;
    ASSIGN_OR_RETURN(std::optional<int64_t> id, Resolve(request, &reply));
    if (!id.has_value()) return reply;
    Struct args;
    (*args.mutable_fields())["task_id"].set_number_value(static_cast<double>(*id));
    const char* tool = ToolFor(request.intent);
    if (request.intent == Intent::kUpdate) {
      PutFields(request, args);
      if (std::optional<absl::CivilMinute> kept = KeptDue(request, *id)) {
        (*args.mutable_fields())["due_date"].set_string_value(Rfc3339(*turn_.clock, *kept));
        Request said = request;
        said.due = kept;
        return Run(tool, args, said);
      }
      if (args.fields().size() == 1) {
        return std::string(
            "What should I change: the title, the due date, the priority or the "
            "tags?");
      }
    }
    return Run(tool, args, request);
  }

  // Runs one change and says what it did.
  absl::StatusOr<std::string> Run(const char* tool, const Struct& args, const Request& request) {
    ASSIGN_OR_RETURN(ToolOutcome outcome, tools_.Call(tool, args));
    if (outcome.is_error) {
      return absl::StrCat("I couldn't do that: ", StringMember(outcome.result, "error"), ".");
    }
    if (request.language == "ur" && request.intent != Intent::kUpdate) {
      return absl::StrCat("«", StringMember(outcome.result, "title"), "» ",
                          request.intent == Intent::kDelete ? "حذف" : "مکمل", " کر دیا گیا۔");
    }
    return absl::StrCat(DoneFor(tool), " \"", StringMember(outcome.result, "title"), "\"",
                        request.intent == Intent::kUpdate ? Details(request) : "", ".");
  }

  // A new day for a task keeps its time of day ("no, I meant Friday"); a
  // new time keeps its day ("sorry, 6pm instead"). Nothing to keep: none.
  std::optional<absl::CivilMinute> KeptDue(const Request& request, int64_t id) const {
    if (!request.due.has_value() || !(request.due_without_time || request.due_without_day)) {
      return std::nullopt;
    }
    const std::optional<absl::CivilSecond> known = KnownDue(id);
    if (!known.has_value()) return std::nullopt;
    if (request.due_without_time) {
      if (known->hour() == 23 && known->minute() == 59) return std::nullopt;  // date-only too
      return absl::CivilMinute(absl::CivilDay(*request.due)) + known->hour() * 60 + known->minute();
    }
    return absl::CivilMinute(absl::CivilDay(*known)) + request.due->hour() * 60 +
           request.due->minute();
  }

  // Task `id`'s due time as the conversation last saw it (a call that set
  // it, or a listing that showed it), in the user's zone.
  std::optional<absl::CivilSecond> KnownDue(int64_t id) const {
    const auto local = [this](const std::string& text) -> std::optional<absl::CivilSecond> {
      absl::Time instant;
      std::string error;
      if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &instant, &error)) {
        return std::nullopt;
      }
      return turn_.clock->ToLocal(instant);
    };
    for (const ToolCallRecord* call : RecentCalls()) {
      if (call->tool == "list_tasks") {
        for (const Struct* task : TasksOf(call->result)) {
          if (static_cast<int64_t>(NumberMember(*task, "id")) == id) {
            return local(StringMember(*task, "due_date"));
          }
        }
      } else if (static_cast<int64_t>(NumberMember(call->args, "task_id")) == id ||
                 static_cast<int64_t>(NumberMember(call->result, "task_id")) == id) {
        if (std::optional<absl::CivilSecond> due = local(StringMember(call->args, "due_date"))) {
          return due;
        }
      }
    }
    return std::nullopt;
  }

  // The tasks a set names: the last listing's, or those list_tasks finds
  // with the set's filters; a reply instead when there are none.
  absl::StatusOr<std::vector<const Struct*>> TasksOfSet(const Request& request,
                                                        std::string* reply) {
    if (request.target.kind == TaskReference::Kind::kListed) {
      for (const ToolCallRecord* call : RecentCalls()) {
        if (call->tool == "list_tasks") return TasksOf(call->result);
      }
      *reply = "Which tasks do you mean? Ask me to show them first.";
      return std::vector<const Struct*>();
    }
    const language::TaskSet& set = request.target.set;
    ASSIGN_OR_RETURN(ToolOutcome outcome,
                     tools_.Call("list_tasks", ListArgs(set.status, set.search, set.tags,
                                                        set.due_from, set.due_to)));
    if (outcome.is_error) {
      *reply = absl::StrCat("I couldn't find them: ", StringMember(outcome.result, "error"), ".");
      return std::vector<const Struct*>();
    }
    listed_.push_back(std::move(outcome.result));
    return TasksOf(listed_.back());
  }

  // "delete all my tasks", "reschedule my morning meetings to 2 PM", "complete
  // them". Deleting several, or changing every task, waits for a yes.
  absl::StatusOr<std::string> ChangeMany(const Request& request) {
    const char* tool = ToolFor(request.intent);
    Struct fields;
    if (request.intent == Intent::kUpdate) {
      PutFields(request, fields);
      if (fields.fields().empty()) {
        return std::string("What should I change: the due date, the priority or the tags?");
      }
    }
    std::string reply;
    ASSIGN_OR_RETURN(std::vector<const Struct*> tasks, TasksOfSet(request, &reply));
    if (!reply.empty()) return reply;
    if (tasks.empty()) return std::string("No tasks match, so nothing changed.");
    // Deleting by a description ("all my tasks", "them") or changing every
    // task waits for a yes, even when it finds a single task to delete.
    const bool ask =
        request.intent == Intent::kDelete || (request.target.kind == TaskReference::Kind::kSet &&
                                              request.target.set.everything && tasks.size() > 1);
    if (!ask) return CarryOut(tool, tasks, fields);
    auto& action = *answer_.pending_action.mutable_fields();
    action["tool"].set_string_value(tool);
    *action["fields"].mutable_struct_value() = fields;
    auto& ids = *action["task_ids"].mutable_list_value();
    reply = absl::StrCat("That would ", VerbFor(tool), " ", tasks.size(),
                         tasks.size() == 1 ? " task:" : " tasks:");
    int n = 0;
    for (const Struct* task : tasks) {
      ids.add_values()->set_number_value(NumberMember(*task, "id"));
      absl::StrAppend(&reply, "\n", ++n, ". ", StringMember(*task, "title"), " (#",
                      static_cast<int64_t>(NumberMember(*task, "id")), ")");
    }
    absl::StrAppend(&reply, "\nShall I go ahead? Say yes to ", VerbFor(tool),
                    tasks.size() == 1 ? " it" : " them",
                    "; anything else leaves things as they are.");
    return reply;
  }

  // The action the previous reply asked to confirm, if it did.
  const Struct* PendingAction() const {
    if (turn_.history.empty() || turn_.history.back().role != "assistant" ||
        turn_.history.back().pending_action.fields().empty()) {
      return nullptr;
    }
    return &turn_.history.back().pending_action;
  }

  absl::StatusOr<std::string> CarryOut(const Struct& pending) {
    std::vector<Struct> tasks;
    auto ids = pending.fields().find("task_ids");
    if (ids != pending.fields().end()) {
      for (const auto& id : ids->second.list_value().values()) {
        (*tasks.emplace_back().mutable_fields())["id"].set_number_value(id.number_value());
      }
    }
    std::vector<const Struct*> pointers;
    for (const Struct& task : tasks) pointers.push_back(&task);
    auto fields = pending.fields().find("fields");
    return CarryOut(StringMember(pending, "tool"), pointers,
                    fields == pending.fields().end() ? Struct() : fields->second.struct_value());
  }

  // Runs `tool` on each task with `fields`; says what changed and what not.
  absl::StatusOr<std::string> CarryOut(const std::string& tool,
                                       const std::vector<const Struct*>& tasks,
                                       const Struct& fields) {
    std::vector<std::string> changed;
    std::vector<std::string> failed;
    for (const Struct* task : tasks) {
      Struct args = fields;
      (*args.mutable_fields())["task_id"].set_number_value(NumberMember(*task, "id"));
      ASSIGN_OR_RETURN(ToolOutcome outcome, tools_.Call(tool, args));
      if (outcome.is_error) {
        failed.push_back(absl::StrCat("#", static_cast<int64_t>(NumberMember(*task, "id")), " (",
                                      StringMember(outcome.result, "error"), ")"));
      } else {
        changed.push_back(absl::StrCat("\"", StringMember(outcome.result, "title"), "\""));
      }
    }
    std::string reply = changed.empty() ? std::string("Nothing changed.")
                                        : absl::StrCat(DoneFor(tool), " ", changed.size(),
                                                       changed.size() == 1 ? " task: " : " tasks: ",
                                                       absl::StrJoin(changed, ", "), ".");
    if (!failed.empty()) {
      absl::StrAppend(&reply, " Not changed: ", absl::StrJoin(failed, ", "), ".");
    }
    return reply;
  }

  const Turn& turn_;
  TurnTools& tools_;
  BrainReply answer_;
  // Results of this turn's own set listings, which tasks point into.
  std::deque<Struct> listed_;
};

}  // namespace

absl::StatusOr<BrainReply> BuiltinBrain::Reply(const Turn& turn, TurnTools& tools) {
  return TurnHandler(turn, tools).Run();
}

}  // namespace todo::chat
