#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "tenantry/core/config.hpp"
#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::accounts {

/// A member's role in one store, weakest first.
enum class Role { kViewer = 0, kStaff = 1, kAdmin = 2, kOwner = 3 };
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view name);

/// Who made an authenticated request, read from its token.
struct Principal {
  std::int64_t user_id = 0;
  std::int64_t tenant_id = 0;
  Role role = Role::kViewer;
  std::string token_id;
  std::int64_t issued_at_us = 0;  // microseconds since the epoch
  std::int64_t expires_at = 0;    // seconds since the epoch
};

/// A token handed to a client, and when it expires.
struct IssuedToken {
  std::string token;
  std::int64_t expires_at = 0;
};

/// Passwords (argon2id, on a small thread pool off the I/O threads), tokens (HMAC-SHA-256 signed, valid for
/// one tenant, verified in memory with no query) and revocations (kept in memory and refreshed through
/// LISTEN/NOTIFY, so a logout in one process is refused by all within a second). Store tokens live
/// auth.token_ttl_minutes, platform-admin tokens (tenant 0) auth.admin_token_ttl_minutes.
class AuthService {
 public:
  explicit AuthService(const Config& config);
  ~AuthService();

  /// Loads the signing key (creating it once) and the revocations. Run before serving.
  Task<void> load(db::Pool& pool);
  /// Keeps revocations current until the io_context stops.
  Task<void> watch(boost::asio::io_context& io, db::Pool& pool);

  const Config& config() const noexcept { return config_; }

  Task<std::string> hash_password(std::string password);
  /// Also spends the time of a verification when `hash` is empty (unknown user), so timing reveals nothing.
  Task<bool> verify_password(std::string hash, std::string password);

  IssuedToken issue(std::int64_t user_id, std::int64_t tenant_id, Role role) const;
  /// The request's bearer token, checked: signature, expiry, this tenant, not revoked. Throws 401.
  Principal authenticate(const web::RequestContext& ctx) const;
  /// authenticate() and at least `role` here, else 403.
  Principal require(const web::RequestContext& ctx, Role role) const;
  /// A platform-admin token (issued with tenant id 0 by the admin login), else 401.
  Principal require_platform_admin(const web::RequestContext& ctx) const;

  /// Revokes one token now in this process, and in the others once `tx` commits.
  Task<void> revoke_token(db::Session& db, const Principal& who);
  /// Refuses at once, in this process, the tokens of a user issued until now: on one tenant (0: its
  /// platform-admin tokens), or on all when `tenant_id` is empty. The database's triggers record the
  /// revocation for every process when a membership, role, password or admin right changes; this only saves
  /// the wait for their NOTIFY.
  void forget_member_tokens(std::int64_t user_id, std::optional<std::int64_t> tenant_id);

  /// HMAC-SHA-256 of `text` with the signing key, base64url (for links sent by mail).
  std::string signature(std::string_view text) const;
  /// Whether `mac` is signature(text), compared in constant time.
  bool check_signature(std::string_view text, std::string_view mac) const;

 private:
  struct Revocations;
  Principal verify(const web::RequestContext& ctx) const;
  Task<void> reload(db::Pool& pool);
  bool revoked(const Principal& p) const;

  const Config& config_;
  std::string key_;
  std::atomic<std::shared_ptr<const Revocations>> revocations_;
  struct HashPool;
  std::unique_ptr<HashPool> hashing_;
};

}  // namespace tenantry::apps::accounts
