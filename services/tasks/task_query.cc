#include "services/tasks/task_query.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/text/text_rules.h"
#include "services/tasks/errors.h"
#include "services/tasks/limits.h"
#include "services/tasks/task_columns.h"
#include "services/tasks/task_rules.h"

namespace todo::tasks {

const char kTaskColumns[] = TODO_TASK_COLUMNS;

namespace {

struct SortSpec {
  const char* name;
  SortKey key;
  // SQL expression ordered on, and how its value is cast back from text.
  const char* expression;
  const char* cast;
};

constexpr SortSpec kSorts[] = {
    {"created_at", SortKey::kCreatedAt, "created_at", "timestamptz"},
    {"updated_at", SortKey::kUpdatedAt, "updated_at", "timestamptz"},
    {"due_date", SortKey::kDueDate, "due_date", "timestamptz"},
    {"priority", SortKey::kPriority, "priority", "smallint"},
    {"title", SortKey::kTitle, "lower(title)", "text"},
};

const SortSpec& SpecOf(SortKey key) {
  for (const SortSpec& spec : kSorts) {
    if (spec.key == key) return spec;
  }
  return kSorts[0];
}

absl::StatusOr<std::pair<SortKey, bool>> ParseOrderBy(absl::string_view text) {
  const std::vector<absl::string_view> words =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ', absl::SkipEmpty());
  if (words.empty()) {
    return std::make_pair(SortKey::kCreatedAt, true);
  }
  if (words.size() > 2 || (words.size() == 2 && absl::AsciiStrToLower(words[1]) != "desc" &&
                           absl::AsciiStrToLower(words[1]) != "asc")) {
    return error::InvalidField("order_by", "expected \"<field>\" or \"<field> desc\"");
  }
  for (const SortSpec& spec : kSorts) {
    if (words[0] == spec.name) {
      return std::make_pair(spec.key,
                            words.size() == 2 && absl::AsciiStrToLower(words[1]) == "desc");
    }
  }
  return error::InvalidField("order_by",
                             "must be one of due_date, priority, title, created_at, updated_at");
}

// "Buy MILK!" -> "buy milk". Splits on everything but letters and digits
// (bytes of multi-byte UTF-8 characters count as letters): punctuation never
// reaches the database, which only sees words.
std::string SearchWords(absl::string_view q) {
  std::vector<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (!word.empty()) {
      words.push_back(absl::AsciiStrToLower(word));
      word.clear();
    }
  };
  for (char c : q) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || byte >= 0x80) {
      word += c;
    } else {
      flush();
    }
  }
  flush();
  return absl::StrJoin(words, " ");
}

std::string Fingerprint(const TaskQuery& query) {
  const std::string canonical = absl::StrCat(
      query.status ? Word(*query.status) : "", "|", query.priority ? Word(*query.priority) : "",
      "|", absl::StrJoin(query.tags, ","), "|", query.category.value_or("\x01"), "|", query.search,
      "|", query.literal, "|", query.due_after ? absl::FormatTime(*query.due_after) : "", "|",
      query.due_before ? absl::FormatTime(*query.due_before) : "", "|", SpecOf(query.sort).name,
      query.descending ? " desc" : "");
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : canonical) {
    hash = (hash ^ c) * 1099511628211ULL;
  }
  return absl::StrFormat("%016x", hash);
}

absl::Status BadToken() { return error::InvalidField("page_token", "is not valid for this query"); }

absl::StatusOr<PageCursor> DecodePageToken(absl::string_view token,
                                           const std::string& fingerprint) {
  if (token.size() > kMaxPageTokenBytes) {
    return BadToken();
  }
  std::string payload;
  if (!absl::WebSafeBase64Unescape(token, &payload)) {
    return BadToken();
  }
  const std::vector<std::string> parts = absl::StrSplit(payload, '.');
  if (parts.size() != 4 || parts[0] != "v1" || parts[1] != fingerprint) {
    return BadToken();
  }
  PageCursor cursor;
  if (parts[2] != "-") {
    std::string key;
    if (!absl::WebSafeBase64Unescape(parts[2], &key)) {
      return BadToken();
    }
    cursor.key = std::move(key);
  }
  if (!absl::SimpleAtoi(parts[3], &cursor.id) || cursor.id <= 0) {
    return BadToken();
  }
  return cursor;
}

// Appends "$n" for a new parameter.
std::string Bind(common::pg::Params& params, const std::string& value) {
  params.Add(value);
  return absl::StrCat("$", params.values().size());
}

// `owner` is the placeholder the user id is bound to.
std::string Filters(const std::string& owner, const TaskQuery& query, common::pg::Params& params) {
  std::string where = absl::StrCat("user_id = ", owner);
  if (query.status) {
    absl::StrAppend(&where, " AND status = ", Bind(params, std::string(Word(*query.status))));
  }
  if (query.priority) {
    absl::StrAppend(&where, " AND priority = ",
                    Bind(params, absl::StrCat(static_cast<int>(*query.priority))), "::smallint");
  }
  if (!query.tags.empty()) {
    params.AddTextArray(query.tags);
    absl::StrAppend(&where, " AND tags @> $", params.values().size(), "::text[]");
  }
  if (query.category) {
    absl::StrAppend(&where, " AND category = ", Bind(params, *query.category));
  }
  if (!query.literal.empty()) {
    // strpos, not LIKE: '%' and '_' are what the user typed.
    absl::StrAppend(&where, " AND strpos(lower(title || ' ' || description), lower(",
                    Bind(params, query.literal), ")) > 0");
  }
  if (query.due_after) {
    params.Add(*query.due_after);
    absl::StrAppend(&where, " AND due_date >= $", params.values().size());
  }
  if (query.due_before) {
    params.Add(*query.due_before);
    absl::StrAppend(&where, " AND due_date < $", params.values().size());
  }
  return where;
}

// The rows a query selects: "<source> WHERE <conditions>". A search takes its
// matches from the text index, whose entries are keyed by owner (migration
// 0003), and filters them after. OFFSET 0 keeps the planner from pushing
// user_id into the subquery, where it would AND the text index with a user_id
// index read in full: it cannot estimate a prefix query and guesses it
// unselective.
std::string Selection(absl::string_view user_id, const TaskQuery& query,
                      common::pg::Params& params) {
  const std::string owner = Bind(params, std::string(user_id));
  const std::string filters = Filters(owner, query, params);
  if (query.search.empty()) {
    return absl::StrCat("tasks.tasks WHERE ", filters);
  }
  return absl::StrCat("(SELECT * FROM tasks.tasks WHERE owner_search @@ tasks.owner_search_query(",
                      owner, ", ", Bind(params, query.search), ") OFFSET 0) AS matches WHERE ",
                      filters);
}

}  // namespace

absl::StatusOr<TaskQuery> ParseListQuery(const ListTasksInput& input) {
  TaskQuery query;
  const std::string status = absl::AsciiStrToLower(absl::StripAsciiWhitespace(input.status));
  if (!status.empty() && status != "all") {
    query.status = ParseTaskStatus(status);
    if (!query.status) {
      return error::InvalidField("status",
                                 "must be one of pending, in_progress, completed, cancelled, all");
    }
  }
  const std::string priority = absl::AsciiStrToLower(absl::StripAsciiWhitespace(input.priority));
  if (!priority.empty()) {
    query.priority = ParsePriority(priority);
    if (!query.priority) {
      return error::InvalidField("priority", "must be one of low, medium, high");
    }
  }
  TaskFields tag_check;
  tag_check.title = "x";
  tag_check.tags = input.tags;
  if (absl::Status status = NormalizeAndValidate(tag_check); !status.ok()) {
    return error::InvalidField("tag", status.message().substr(sizeof("tags: ") - 1));
  }
  query.tags = std::move(tag_check.tags);
  const absl::string_view category = absl::StripAsciiWhitespace(input.category);
  if (!category.empty()) {
    if (common::text::CountCharacters(category) > kMaxCategoryChars) {
      return error::InvalidField("category", "is too long");
    }
    if (common::text::HasControlCharacters(category, common::text::LineBreaks::kRefused)) {
      return error::InvalidField("category", "must not contain control characters");
    }
    query.category = std::string(category);
  }
  if (common::text::HasControlCharacters(input.q, common::text::LineBreaks::kAllowed)) {
    return error::InvalidField("q", "must not contain control characters");
  }
  if (common::text::CountCharacters(input.q) > kMaxSearchChars) {
    return error::InvalidField("q",
                               absl::StrCat("must be at most ", kMaxSearchChars, " characters"));
  }
  query.search = SearchWords(input.q);
  if (query.search.empty()) query.literal = std::string(absl::StripAsciiWhitespace(input.q));
  query.due_after = input.due_after;
  query.due_before = input.due_before;
  auto order = ParseOrderBy(input.order_by);
  if (!order.ok()) {
    return order.status();
  }
  query.sort = order->first;
  query.descending = order->second;
  if (input.page_size < 0 || input.page_size > kMaxPageSize) {
    return error::InvalidField("page_size", absl::StrCat("must be between 0 and ", kMaxPageSize));
  }
  query.page_size = input.page_size == 0 ? kDefaultPageSize : input.page_size;
  query.fingerprint = Fingerprint(query);
  if (!input.page_token.empty()) {
    auto cursor = DecodePageToken(input.page_token, query.fingerprint);
    if (!cursor.ok()) {
      return cursor.status();
    }
    query.after = *std::move(cursor);
  }
  return query;
}

std::string EncodePageToken(const TaskQuery& query, const PageCursor& last_row) {
  return absl::WebSafeBase64Escape(
      absl::StrCat("v1.", query.fingerprint, ".",
                   last_row.key ? absl::WebSafeBase64Escape(*last_row.key) : std::string("-"), ".",
                   last_row.id));
}

SqlText BuildListSql(absl::string_view user_id, const TaskQuery& query) {
  SqlText text;
  const std::string selection = Selection(user_id, query, text.params);
  const SortSpec& spec = SpecOf(query.sort);
  const char* comparison = query.descending ? "<" : ">";
  const bool nullable = query.sort == SortKey::kDueDate;
  std::string keyset;
  if (query.after) {
    const std::string id = Bind(text.params, absl::StrCat(query.after->id));
    if (!query.after->key) {
      // Only undated tasks remain, after the last one by id.
      keyset = absl::StrCat(" AND ", spec.expression, " IS NULL AND id ", comparison, " ", id,
                            "::bigint");
    } else {
      const std::string key = Bind(text.params, *query.after->key);
      keyset = absl::StrCat(" AND ((", spec.expression, ", id) ", comparison, " (", key,
                            "::", spec.cast, ", ", id, "::bigint)",
                            nullable ? absl::StrCat(" OR ", spec.expression, " IS NULL") : "", ")");
    }
  }
  const char* direction = query.descending ? " DESC" : " ASC";
  text.sql = absl::StrCat("SELECT ", kTaskColumns, ", ", spec.expression,
                          "::text AS sort_key FROM ", selection, keyset, " ORDER BY ",
                          spec.expression, direction, nullable ? " NULLS LAST" : "", ", id",
                          direction, " LIMIT ", query.page_size + 1);
  return text;
}

std::optional<SqlText> BuildCountSql(absl::string_view user_id, const TaskQuery& query) {
  const bool counters_answer = query.priority == std::nullopt && query.tags.empty() &&
                               !query.category && query.search.empty() && query.literal.empty() &&
                               !query.due_after && !query.due_before;
  if (counters_answer) {
    return std::nullopt;
  }
  SqlText text;
  text.sql = absl::StrCat("SELECT count(*) FROM ", Selection(user_id, query, text.params));
  return text;
}

}  // namespace todo::tasks
