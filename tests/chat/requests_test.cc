// What the rules read from messages: the rows of chat-commands.md at the
// level of intents and slots (the tool calls they become are the
// assistant's), and phrasings beside them.

#include "services/chat/language/requests.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace todo::chat::language {
namespace {

using Kind = TaskReference::Kind;
using ::testing::ElementsAre;

// Thursday 2026-12-03, 10:30 local.
const absl::CivilSecond kNow(2026, 12, 3, 10, 30, 0);

Request One(const std::string& text) {
  const std::vector<Request> requests = UnderstandMessage(text, kNow);
  EXPECT_EQ(requests.size(), 1u) << text;
  return requests.empty() ? Request{} : requests[0];
}

TEST(RequestsTest, AddingTakesTheTitleWithoutCommandWordsAndPhrases) {
  for (const auto& [text, title] : std::vector<std::pair<std::string, std::string>>{
           {"Add a task to buy groceries", "Buy groceries"},
           {"I need to remember to pay bills", "Pay bills"},
           {"add call mom tomorrow at 5pm", "Call mom"},
           {"Add a task to call Mom tomorrow", "Call Mom"},
           {"remind me to water the plants every day", "Water the plants"},
           {"create 'Quarterly report' high priority #work", "Quarterly report"},
           {"please add walk the dog", "Walk the dog"}}) {
    const Request request = One(text);
    EXPECT_EQ(request.intent, Intent::kAdd) << text;
    EXPECT_EQ(request.title, title) << text;
  }
  const Request timed = One("add call mom tomorrow at 5pm");
  EXPECT_EQ(timed.due, absl::CivilMinute(2026, 12, 4, 17, 0));
  const Request dated = One("Add a task to call Mom tomorrow");
  EXPECT_EQ(dated.due, absl::CivilMinute(2026, 12, 4, 23, 59));  // the end of that day
  const Request tagged = One("create 'Quarterly report' high priority #work");
  EXPECT_EQ(tagged.priority, "high");
  EXPECT_THAT(tagged.tags, ElementsAre("work"));
}

TEST(RequestsTest, Recurrence) {
  const Request weekly = One("Remind me to submit timesheets every Friday at 5pm");
  EXPECT_EQ(weekly.title, "Submit timesheets");
  EXPECT_EQ(weekly.recurrence, "weekly");
  EXPECT_EQ(weekly.due, absl::CivilMinute(2026, 12, 4, 17, 0));
  const Request odd = One("add team sync every other week");
  EXPECT_FALSE(odd.recurrence.has_value());
  EXPECT_EQ(odd.unsupported_recurrence, "every other week");
}

TEST(RequestsTest, ListingAndItsFilters) {
  EXPECT_EQ(One("Show me all my tasks").status, "all");
  EXPECT_EQ(One("What's pending?").status, "pending");
  EXPECT_EQ(One("What have I completed?").status, "completed");
  const Request high = One("What are my high priority tasks?");
  EXPECT_EQ(high.intent, Intent::kList);
  EXPECT_EQ(high.priority, "high");
  const Request work = One("Show my work tasks sorted by due date");
  EXPECT_THAT(work.tags, ElementsAre("work"));
  EXPECT_EQ(work.sort, "due_date");
  const Request about = One("Find anything about the quarterly report");
  EXPECT_EQ(about.intent, Intent::kList);
  EXPECT_EQ(about.search, "quarterly report");
  const Request today = One("what's due today");
  EXPECT_EQ(today.due_from, absl::CivilMinute(2026, 12, 3, 0, 0));
  EXPECT_EQ(today.due_to, absl::CivilMinute(2026, 12, 4, 0, 0));
}

TEST(RequestsTest, TargetsByIdOrdinalPronounAndWords) {
  const Request three = One("Mark task 3 as complete");
  EXPECT_EQ(three.intent, Intent::kComplete);
  EXPECT_EQ(three.target.kind, Kind::kId);
  EXPECT_EQ(three.target.id, 3);
  const Request first = One("Complete the first one");
  EXPECT_EQ(first.target.kind, Kind::kOrdinal);
  EXPECT_EQ(first.target.ordinal, 1);
  const Request it = One("Mark it as complete");
  EXPECT_EQ(it.intent, Intent::kComplete);
  EXPECT_EQ(it.target.kind, Kind::kPronoun);
  const Request meeting = One("Delete the meeting task");
  EXPECT_EQ(meeting.intent, Intent::kDelete);
  EXPECT_EQ(meeting.target.kind, Kind::kWords);
  EXPECT_EQ(meeting.target.words, "meeting");
  const Request quoted = One("Complete the task 'Nonexistent Task'");
  EXPECT_EQ(quoted.target.words, "Nonexistent Task");
  const Request done = One("Done with timesheets");
  EXPECT_EQ(done.intent, Intent::kComplete);
  EXPECT_EQ(done.target.words, "timesheets");
}

TEST(RequestsTest, SetsOfTasks) {
  const Request all = One("delete all my tasks");
  EXPECT_EQ(all.intent, Intent::kDelete);
  EXPECT_EQ(all.target.kind, Kind::kSet);
  EXPECT_TRUE(all.target.set.everything);
  EXPECT_EQ(all.target.set.status, "all");
  const Request completed = One("please remove all completed tasks");
  EXPECT_EQ(completed.target.kind, Kind::kSet);
  EXPECT_EQ(completed.target.set.status, "completed");
  const Request work = One("mark every work task as done");
  EXPECT_EQ(work.intent, Intent::kComplete);
  EXPECT_EQ(work.target.set.status, "pending");
  EXPECT_THAT(work.target.set.tags, ElementsAre("work"));
  EXPECT_FALSE(work.target.set.everything);
  // Row 21.
  const Request morning = One("Reschedule my morning meetings to 2 PM");
  EXPECT_EQ(morning.intent, Intent::kUpdate);
  EXPECT_EQ(morning.target.kind, Kind::kSet);
  EXPECT_EQ(morning.target.set.search, "meeting");
  EXPECT_EQ(morning.target.set.due_from, absl::CivilMinute(2026, 12, 3, 0, 0));
  EXPECT_EQ(morning.target.set.due_to, absl::CivilMinute(2026, 12, 3, 12, 0));
  EXPECT_EQ(morning.due, absl::CivilMinute(2026, 12, 3, 14, 0));
  const Request overdue = One("move all overdue tasks to friday");
  EXPECT_EQ(overdue.target.set.due_to, absl::CivilMinute(kNow));
  EXPECT_EQ(overdue.due, absl::CivilMinute(2026, 12, 4, 23, 59));
  EXPECT_EQ(One("delete them").target.kind, Kind::kListed);
  EXPECT_EQ(One("complete all of those").target.kind, Kind::kListed);
  // "all" inside a new title is the title's.
  const Request renamed = One("rename task 3 to all hands meeting");
  EXPECT_EQ(renamed.target.kind, Kind::kId);
  EXPECT_EQ(renamed.title, "all hands meeting");
}

TEST(RequestsTest, Updates) {
  const Request rename = One("Change task 1 to 'Call mom tonight'");
  EXPECT_EQ(rename.intent, Intent::kUpdate);
  EXPECT_EQ(rename.target.id, 1);
  EXPECT_EQ(rename.title, "Call mom tonight");
  EXPECT_FALSE(rename.due.has_value());  // "tonight" is inside the new title
  const Request high = One("Make it high priority");
  EXPECT_EQ(high.target.kind, Kind::kPronoun);
  EXPECT_EQ(high.priority, "high");
  const Request low = One("actually make that low priority");
  EXPECT_EQ(low.intent, Intent::kUpdate);
  EXPECT_EQ(low.priority, "low");
  const Request move = One("move task 4 to friday at 2pm");
  EXPECT_EQ(move.due, absl::CivilMinute(2026, 12, 4, 14, 0));
  EXPECT_FALSE(move.title.has_value());
}

TEST(RequestsTest, CorrectionsChangeWhatWasJustTouched) {
  const Request friday = One("no, I meant Friday");
  EXPECT_EQ(friday.intent, Intent::kUpdate);
  EXPECT_EQ(friday.target.kind, Kind::kPronoun);
  EXPECT_EQ(friday.due, absl::CivilMinute(2026, 12, 4, 23, 59));
  const Request high = One("actually, high priority");
  EXPECT_EQ(high.intent, Intent::kUpdate);
  EXPECT_EQ(high.target.kind, Kind::kPronoun);
  EXPECT_EQ(high.priority, "high");
  const Request six = One("sorry, 6pm instead");
  EXPECT_EQ(six.due, absl::CivilMinute(2026, 12, 3, 18, 0));
  const Request low = One("actually make that low priority");
  EXPECT_EQ(low.target.kind, Kind::kPronoun);
  // A correction with nothing to change is not a change.
  EXPECT_EQ(One("no, never mind the weather").intent, Intent::kOutOfScope);
}

TEST(RequestsTest, UrduMessages) {  // row 25, and phrasings beside it
  const Request milk = One("کل دودھ خریدنے کا کام شامل کریں");
  EXPECT_EQ(milk.language, "ur");
  EXPECT_EQ(milk.intent, Intent::kAdd);
  EXPECT_EQ(milk.title, "دودھ خریدنے");
  EXPECT_EQ(milk.due, absl::CivilMinute(2026, 12, 4, 23, 59));
  const Request evening = One("پرسوں شام ۵ بجے امی کو فون کرنے کا کام شامل کر دیں۔");
  EXPECT_EQ(evening.title, "امی کو فون کرنے");
  EXPECT_EQ(evening.due, absl::CivilMinute(2026, 12, 5, 17, 0));
  const Request friday = One("جمعہ کو بل ادا کرنا یاد دلائیں");
  EXPECT_EQ(friday.intent, Intent::kAdd);
  EXPECT_EQ(friday.due, absl::CivilMinute(2026, 12, 4, 23, 59));
  EXPECT_EQ(One("میرے کام دکھائیں").intent, Intent::kList);
  const Request done = One("دودھ والا کام مکمل ہو گیا");
  EXPECT_EQ(done.intent, Intent::kComplete);
  EXPECT_EQ(done.target.words, "دودھ");
  EXPECT_EQ(One("کراچی میں موسم کیسا ہے؟").intent, Intent::kOutOfScope);
  // An English command with an Urdu title is English.
  const Request mixed = One("add دودھ خریدنا tomorrow");
  EXPECT_EQ(mixed.language, "en");
  EXPECT_EQ(mixed.title, "دودھ خریدنا");
}

TEST(RequestsTest, SeveralRequestsConfirmationsAndOutOfScope) {
  const std::vector<Request> two =
      UnderstandMessage("Add a task to buy milk and show me all my tasks", kNow);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].intent, Intent::kAdd);
  EXPECT_EQ(two[0].title, "Buy milk");
  EXPECT_EQ(two[1].intent, Intent::kList);
  // "and" inside a title does not split it.
  EXPECT_EQ(One("add buy bread and butter").title, "Buy bread and butter");
  EXPECT_EQ(One("yes").intent, Intent::kConfirm);
  EXPECT_EQ(One("No.").intent, Intent::kDecline);
  EXPECT_EQ(One("Yes, go ahead").intent, Intent::kConfirm);
  EXPECT_EQ(One("sure, delete them please").intent, Intent::kConfirm);
  EXPECT_EQ(One("no thanks, leave them").intent, Intent::kDecline);
  EXPECT_EQ(One("don't do it").intent, Intent::kDecline);
  // A no that asks for something else is that request.
  EXPECT_EQ(One("no, delete only the first one").intent, Intent::kDelete);
  EXPECT_EQ(One("What's the weather in Karachi?").intent, Intent::kOutOfScope);
  EXPECT_EQ(One("tell me a joke").intent, Intent::kOutOfScope);
  EXPECT_EQ(One("what's on my list for tomorrow").intent, Intent::kList);
}

}  // namespace
}  // namespace todo::chat::language
