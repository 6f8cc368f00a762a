#pragma once

// The chat schema's migrations (migrations/*.sql), compiled into the binary
// by todo_embed_migrations.

#include <vector>

#include "common/pg/migrator.h"

namespace todo::chat {

inline constexpr char kSchema[] = "chat";
const std::vector<common::pg::Migration>& ChatMigrations();

}  // namespace todo::chat
