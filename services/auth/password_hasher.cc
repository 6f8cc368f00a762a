#include "services/auth/password_hasher.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <vector>

#include "absl/strings/str_cat.h"

namespace todo::auth {

// Holds one of the max_concurrent places for the duration of a hash.
class PasswordHasher::Slot {
 public:
  explicit Slot(PasswordHasher& hasher) : hasher_(hasher) {
    absl::MutexLock lock(&hasher_.mutex_);
    hasher_.mutex_.Await(absl::Condition(
        +[](PasswordHasher* h) ABSL_EXCLUSIVE_LOCKS_REQUIRED(h->mutex_) {
          return h->running_ < h->params_.max_concurrent;
        },
        &hasher_));
    ++hasher_.running_;
  }
  ~Slot() {
    absl::MutexLock lock(&hasher_.mutex_);
    --hasher_.running_;
  }

 private:
  PasswordHasher& hasher_;
};

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params) {
  // Any password will do: nobody can sign in against the dummy.
  absl::StatusOr<std::string> dummy = Hash("no account has this password");
  dummy_hash_ = dummy.ok() ? *dummy : "";
}

absl::StatusOr<std::string> PasswordHasher::Hash(absl::string_view password) {
  unsigned char salt[16];
  if (RAND_bytes(salt, sizeof(salt)) != 1) {
    return absl::InternalError("no randomness for a salt");
  }
  constexpr size_t kHashBytes = 32;
  const size_t length = argon2_encodedlen(params_.time_cost, params_.memory_kib,
                                          params_.parallelism, sizeof(salt), kHashBytes, Argon2_id);
  std::vector<char> encoded(length);
  const Slot slot(*this);
  const int rc = argon2id_hash_encoded(params_.time_cost, params_.memory_kib, params_.parallelism,
                                       password.data(), password.size(), salt, sizeof(salt),
                                       kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return absl::InternalError(absl::StrCat("argon2: ", argon2_error_message(rc)));
  }
  return std::string(encoded.data());
}

bool PasswordHasher::Verify(absl::string_view encoded_hash, absl::string_view password) {
  const std::string encoded(encoded_hash);
  const Slot slot(*this);
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool PasswordHasher::VerifyUnknownAccount(absl::string_view password) {
  Verify(dummy_hash_, password);
  return false;
}

}  // namespace todo::auth
