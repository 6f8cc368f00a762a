#pragma once

// Rules for user-visible text that every service applies alike: how long it
// is in characters, and which control characters it may hold. Input is
// UTF-8 already (protobuf refuses anything else in string fields).

#include <cstddef>

#include "absl/strings/string_view.h"

namespace todo::common::text {

// Characters (code points) in UTF-8 text.
size_t CountCharacters(absl::string_view utf8);

enum class LineBreaks { kRefused, kAllowed };

// True if `text` holds NUL or another C0 control character, or DEL. With
// LineBreaks::kAllowed, tab, line feed and carriage return are fine (a
// description may have paragraphs; a title, tag or name may not). NUL is
// always refused: Postgres text cannot hold it.
bool HasControlCharacters(absl::string_view text, LineBreaks line_breaks);

}  // namespace todo::common::text
