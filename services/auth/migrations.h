#pragma once

// The auth schema's migrations (migrations/*.sql), compiled into the binary.

#include <vector>

#include "common/pg/migrator.h"

namespace todo::auth {

inline constexpr char kSchema[] = "auth";
const std::vector<common::pg::Migration>& AuthMigrations();

}  // namespace todo::auth
