#pragma once

// The tasks schema's migrations (migrations/*.sql), compiled into the binary
// by todo_embed_migrations.

#include <vector>

#include "common/pg/migrator.h"

namespace todo::tasks {

inline constexpr char kSchema[] = "tasks";
const std::vector<common::pg::Migration>& TasksMigrations();

}  // namespace todo::tasks
