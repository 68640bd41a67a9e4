#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tenantry/auth/password_hasher.hpp"
#include "tenantry/auth/principal.hpp"
#include "tenantry/auth/revocations.hpp"
#include "tenantry/core/config.hpp"
#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant.hpp"

namespace tenantry::auth {

/// The facade over passwords (PasswordHasher: argon2id, on a small thread pool off the I/O threads), tokens
/// (tokens.hpp: HMAC-SHA-256 signed, valid for one tenant, verified in memory with no query) and revocations
/// (Revocations: kept in memory and refreshed through
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

  IssuedToken issue(UserId user_id, std::int64_t tenant_id, Role role) const;
  /// The bearer token of `authorization` (the request's header), checked: signature, expiry, issued for
  /// `tenant` (null: none resolved), not revoked. Throws 401.
  Principal authenticate(std::optional<std::string_view> authorization, const tenancy::Tenant* tenant) const;
  /// authenticate() and at least `role` here, else 403.
  Principal require(std::optional<std::string_view> authorization, const tenancy::Tenant* tenant,
                    Role role) const;
  /// A platform-admin token (issued with tenant id 0 by the admin login), else 401.
  Principal require_platform_admin(std::optional<std::string_view> authorization) const;

  // The same for a handler's context (web::RequestContext, which sits above auth in the module chain):
  // its request's Authorization header and its tenant.
  template <typename Context>
  Principal authenticate(const Context& ctx) const {
    return authenticate(ctx.request.header("Authorization"), ctx.tenant);
  }
  template <typename Context>
  Principal require(const Context& ctx, Role role) const {
    return require(ctx.request.header("Authorization"), ctx.tenant, role);
  }
  template <typename Context>
  Principal require_platform_admin(const Context& ctx) const {
    return require_platform_admin(ctx.request.header("Authorization"));
  }

  /// Revokes one token now in this process, and in the others once `db`'s transaction commits.
  Task<void> revoke_token(db::Session& db, const Principal& who);
  /// Refuses at once, in this process, the tokens of a user issued until now: on one tenant (0: its
  /// platform-admin tokens), or on all when `tenant_id` is empty. The database's triggers record the
  /// revocation for every process when a membership, role, password or admin right changes; this only saves
  /// the wait for their NOTIFY.
  void forget_member_tokens(UserId user_id, std::optional<std::int64_t> tenant_id);

  /// HMAC-SHA-256 of `text` with the signing key, base64url (for links sent by mail).
  std::string signature(std::string_view text) const;
  /// Whether `mac` is signature(text), compared in constant time.
  bool check_signature(std::string_view text, std::string_view mac) const;

 private:
  Principal verify(std::optional<std::string_view> authorization) const;

  const Config& config_;
  std::string key_;
  Revocations revocations_;
  std::unique_ptr<PasswordHasher> hashing_;
};

}  // namespace tenantry::auth
