#include "services/chat/turn_tools.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"

namespace todo::chat {

TurnTools::TurnTools(const TaskTools* tools, ToolContext context, std::string turn_key,
                     int max_calls, TurnToolsObserver observer, absl::Time deadline)
    : tools_(tools),
      context_(std::move(context)),
      turn_key_(std::move(turn_key)),
      max_calls_(max_calls),
      observer_(std::move(observer)),
      deadline_(deadline) {}

absl::StatusOr<ToolOutcome> TurnTools::Call(const std::string& tool,
                                            const google::protobuf::Struct& args,
                                            std::string call_id) {
  // The same call twice in one turn (a model repeating itself) runs once.
  for (size_t i = 0; i < calls_.size(); ++i) {
    if (calls_[i].tool == tool &&
        google::protobuf::util::MessageDifferencer::Equals(calls_[i].args, args)) {
      return ToolOutcome{calls_[i].result, errors_[i]};
    }
  }
  ToolCallRecord record;
  record.id = call_id.empty() ? absl::StrCat("call_", calls_.size() + 1) : std::move(call_id);
  record.tool = tool;
  record.args = args;
  if (observer_.on_call) observer_.on_call(record);
  ToolOutcome outcome;
  const absl::Duration left = deadline_ - absl::Now();
  const auto refuse = [&outcome](std::string why) {
    outcome.is_error = true;
    (*outcome.result.mutable_fields())["error"].set_string_value(std::move(why));
  };
  if (static_cast<int>(calls_.size()) >= max_calls_) {
    refuse(absl::StrCat("too many tool calls in one turn (at most ", max_calls_, ")"));
  } else if (left <= absl::ZeroDuration()) {
    refuse("this turn has run out of time; nothing more was done");
  } else {
    ToolContext context = context_;
    context.call_key = absl::StrCat(turn_key_, ":", record.id);
    context.timeout = std::min(context.timeout, left);
    absl::StatusOr<ToolOutcome> ran = tools_->Run(tool, args, context);
    if (!ran.ok()) return ran.status();
    outcome = *std::move(ran);
  }
  record.result = outcome.result;
  calls_.push_back(record);
  errors_.push_back(outcome.is_error);
  if (observer_.on_result) observer_.on_result(record);
  return outcome;
}

}  // namespace todo::chat
