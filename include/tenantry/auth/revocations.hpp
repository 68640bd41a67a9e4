#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tenantry/auth/principal.hpp"
#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"

namespace boost::asio {
class io_context;
}

namespace tenantry::auth {

/// The token revocations in force: single tokens (logout) and "not before" times of a user on one tenant or
/// everywhere (role, password or membership changes). Kept in memory, read without a lock on every request,
/// and reloaded from token_revocations on each NOTIFY tenantry_auth, so a logout in one process is refused
/// by all within a second.
class Revocations {
 public:
  Revocations();
  ~Revocations();

  /// Loads the revocations now.
  Task<void> reload(db::Pool& pool);
  /// Keeps them current until the io_context stops: LISTEN on a connection of its own, reload on each
  /// notification, reconnect after an outage.
  Task<void> watch(boost::asio::io_context& io, db::Pool& pool);

  bool revoked(const Principal& p) const;
  /// Refuses `token_id` in this process at once (the database row tells the others).
  void revoke_here(const std::string& token_id);
  /// Refuses at once, in this process, the tokens of a user issued until now: on one tenant, or on all when
  /// `tenant_id` is empty.
  void forget_member_tokens(UserId user_id, std::optional<std::int64_t> tenant_id);

 private:
  struct State;
  std::atomic<std::shared_ptr<const State>> state_;
};

}  // namespace tenantry::auth
