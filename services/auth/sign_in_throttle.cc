#include "services/auth/sign_in_throttle.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/pg/transaction.h"
#include "common/status/client_status.h"
#include "common/status/status_macros.h"

namespace todo::auth {
namespace {

using common::pg::Params;
using common::pg::Result;
using common::pg::Statement;

constexpr Statement kEnsureRows{
    "auth_throttle_ensure",
    "INSERT INTO auth.sign_in_throttle (key, attempts, blocked_until, updated_at) "
    "SELECT unnest($1::text[]), 0, $2, $2 ON CONFLICT (key) DO NOTHING"};
// Ordered by key, so that two attempts sharing keys lock them in one order.
constexpr Statement kLockRows{
    "auth_throttle_lock",
    "SELECT key, attempts, blocked_until, updated_at FROM auth.sign_in_throttle "
    "WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE"};
constexpr Statement kReserve{
    "auth_throttle_reserve",
    "UPDATE auth.sign_in_throttle AS t SET attempts = u.attempts, blocked_until = u.blocked_until, "
    "updated_at = $4 FROM unnest($1::text[], $2::int[], $3::timestamptz[]) "
    "AS u(key, attempts, blocked_until) WHERE t.key = u.key"};
constexpr Statement kForget{"auth_throttle_forget",
                            "DELETE FROM auth.sign_in_throttle WHERE key = ANY($1::text[])"};
// A sign-in that succeeded gives its address back the attempt it took: the
// address key counts guessing, not an office of people signing in.
constexpr Statement kRefund{
    "auth_throttle_refund",
    "UPDATE auth.sign_in_throttle SET attempts = greatest(attempts - 1, 0) WHERE key = $1"};
// Rows of keys quiet for a whole window say nothing any more. Rows another
// attempt holds are skipped, so this never waits or deadlocks.
constexpr Statement kExpire{
    "auth_throttle_expire",
    "DELETE FROM auth.sign_in_throttle WHERE key IN (SELECT key FROM auth.sign_in_throttle "
    "WHERE updated_at < $1 LIMIT 100 FOR UPDATE SKIP LOCKED)"};

}  // namespace

absl::Duration DelayAfter(const ThrottlePolicy& policy, int attempts) {
  if (attempts < policy.free_attempts) return absl::ZeroDuration();
  absl::Duration delay = policy.first_delay;
  for (int extra = policy.free_attempts; extra < attempts && delay < policy.max_delay; ++extra) {
    delay *= 2;
  }
  return std::min(delay, policy.max_delay);
}

SignInThrottle::SignInThrottle(common::pg::ConnectionPool* pool, const common::time::Clock* clock,
                               SignInThrottleOptions options)
    : pool_(pool), clock_(clock), options_(options) {}

std::vector<SignInThrottle::Key> SignInThrottle::KeysOf(absl::string_view email_lower,
                                                        absl::string_view client_address) const {
  std::vector<Key> keys = {{absl::StrCat("email:", email_lower), &options_.email}};
  if (!client_address.empty()) {
    keys.push_back({absl::StrCat("pair:", email_lower, " ", client_address), &options_.pair});
    keys.push_back({absl::StrCat("address:", client_address), &options_.address});
  }
  return keys;
}

absl::Time SignInThrottle::KnownBlockedUntil(const std::vector<Key>& keys) {
  absl::Time until = absl::InfinitePast();
  absl::MutexLock lock(&mu_);
  for (const Key& key : keys) {
    if (auto found = blocked_.find(key.name); found != blocked_.end()) {
      until = std::max(until, found->second);
    }
  }
  return until;
}

void SignInThrottle::RememberBlocked(const std::string& key, absl::Time until) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  constexpr size_t kMaxRemembered = 100'000;
  if (blocked_.size() >= kMaxRemembered) {
    absl::erase_if(blocked_, [now](const auto& entry) { return entry.second <= now; });
    if (blocked_.size() >= kMaxRemembered) blocked_.clear();  // Postgres still knows
  }
  absl::Time& known = blocked_[key];
  known = std::max(known, until);
}

absl::StatusOr<int> SignInThrottle::Reserve(absl::string_view email_lower,
                                            absl::string_view client_address) {
  const absl::Time now = clock_->Now();
  const std::vector<Key> keys = KeysOf(email_lower, client_address);
  const auto refuse = [now](absl::Time until) {
    return common::WithRetryDelay(
        absl::ResourceExhaustedError("too many sign-in attempts; try again later"), until - now);
  };
  if (const absl::Time known = KnownBlockedUntil(keys); known > now) {
    return refuse(known);
  }
  std::vector<std::string> names;
  for (const Key& key : keys) names.push_back(key.name);

  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(common::pg::Transaction tx, common::pg::Transaction::Begin(*conn));
  RETURN_IF_ERROR(tx.Execute(kEnsureRows, Params().AddTextArray(names).Add(now)).status());
  ASSIGN_OR_RETURN(Result rows, tx.Execute(kLockRows, Params().AddTextArray(names)));

  absl::Time retry_at = absl::InfinitePast();
  int address_attempts = 0;
  std::vector<std::string> reserved_names;
  std::vector<int64_t> attempts;
  std::vector<std::string> blocked_until;
  for (int row = 0; row < rows.rows(); ++row) {
    const std::string name(rows.GetText(row, 0));
    const auto key =
        std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == name; });
    if (key == keys.end()) continue;
    ASSIGN_OR_RETURN(const int64_t previous, rows.GetInt64(row, 1));
    ASSIGN_OR_RETURN(const absl::Time blocked, rows.GetTime(row, 2));
    ASSIGN_OR_RETURN(const absl::Time updated, rows.GetTime(row, 3));
    if (blocked > now) {
      retry_at = std::max(retry_at, blocked);
      RememberBlocked(name, blocked);
      continue;
    }
    const int counted = updated <= now - options_.window ? 0 : static_cast<int>(previous);
    if (key->policy == &options_.address) address_attempts = counted;
    reserved_names.push_back(name);
    attempts.push_back(counted + 1);
    // Without a delay the key stays as it was: nothing to wait for.
    const absl::Duration delay = DelayAfter(*key->policy, counted + 1);
    blocked_until.push_back(
        common::pg::FormatTimestamp(delay > absl::ZeroDuration() ? now + delay : blocked));
    if (delay > absl::ZeroDuration()) RememberBlocked(name, now + delay);
  }
  if (retry_at > now) {
    // Refused: nothing is reserved (the transaction rolls back).
    return common::WithRetryDelay(
        absl::ResourceExhaustedError("too many sign-in attempts; try again later"), retry_at - now);
  }
  RETURN_IF_ERROR(tx.Execute(kReserve, Params()
                                           .AddTextArray(reserved_names)
                                           .AddIntArray(attempts)
                                           .AddTextArray(blocked_until)
                                           .Add(now))
                      .status());
  RETURN_IF_ERROR(tx.Commit());
  RETURN_IF_ERROR(conn->Execute(kExpire, Params().Add(now - options_.window)).status());
  return address_attempts;
}

absl::Status SignInThrottle::Forget(absl::string_view email_lower,
                                    absl::string_view client_address) {
  std::vector<std::string> names = {absl::StrCat("email:", email_lower)};
  if (!client_address.empty()) {
    names.push_back(absl::StrCat("pair:", email_lower, " ", client_address));
  }
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& name : names) blocked_.erase(name);
  }
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  RETURN_IF_ERROR(conn->Execute(kForget, Params().AddTextArray(names)).status());
  if (client_address.empty()) return absl::OkStatus();
  return conn->Execute(kRefund, Params().Add(absl::StrCat("address:", client_address))).status();
}

}  // namespace todo::auth
