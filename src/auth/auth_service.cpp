#include "tenantry/auth/auth_service.hpp"

#include <sodium.h>

#include <chrono>
#include <stdexcept>

#include "auth/detail/unauthenticated.hpp"
#include "tenantry/auth/tokens.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/http/problem.hpp"

namespace tenantry::auth {

namespace {

using detail::unauthenticated;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AuthService::AuthService(const Config& config)
    : config_(config),
      hashing_(std::make_unique<PasswordHasher>(static_cast<std::size_t>(config.auth.hash_threads))) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

AuthService::~AuthService() = default;

Task<void> AuthService::load(db::Pool& pool) {
  if (!config_.auth.secret.empty()) {
    key_ = config_.auth.secret;
  } else {
    // Through the owner's SECURITY DEFINER function: the request pools' role cannot read the table.
    const db::Session session(pool);
    key_ = (co_await session.query("SELECT tenantry_signing_key($1)", tokens::new_key()))
               .one()
               .get<std::string>(0);
  }
  co_await revocations_.reload(pool);
}

Task<void> AuthService::watch(boost::asio::io_context& io, db::Pool& pool) {
  co_await revocations_.watch(io, pool);
}

Task<std::string> AuthService::hash_password(std::string password) {
  co_return co_await hashing_->hash(std::move(password));
}

Task<bool> AuthService::verify_password(std::string hash, std::string password) {
  co_return co_await hashing_->verify(std::move(hash), std::move(password));
}

IssuedToken AuthService::issue(UserId user_id, std::int64_t tenant_id, Role role) const {
  const std::int64_t issued = now_us();
  const std::int64_t ttl_minutes =
      tenant_id == 0 ? config_.auth.admin_token_ttl_minutes : config_.auth.token_ttl_minutes;
  const std::int64_t expires = issued / 1'000'000 + ttl_minutes * 60;
  Principal claims{.user_id = user_id,
                   .tenant_id = tenant_id,
                   .role = role,
                   .issued_at_us = issued,
                   .expires_at = expires};
  return {tokens::sign(key_, std::move(claims)), expires};
}

Principal AuthService::verify(std::optional<std::string_view> header) const {
  if (!header) unauthenticated("Send 'Authorization: Bearer <token>'; log in at /api/auth/login.");
  std::string_view value = *header;
  if (!value.starts_with("Bearer ")) unauthenticated("Only Bearer tokens are accepted.");
  value.remove_prefix(7);
  Principal who = tokens::verify(key_, value);
  if (who.expires_at <= now_us() / 1'000'000) unauthenticated("The token has expired; log in again.");
  if (revocations_.revoked(who)) unauthenticated("The token has been revoked; log in again.");
  return who;
}

Principal AuthService::authenticate(std::optional<std::string_view> authorization,
                                    const tenancy::Tenant* tenant) const {
  Principal who = verify(authorization);
  if (tenant == nullptr || who.tenant_id != tenant->id.value)
    unauthenticated("This token was issued for another store.");
  return who;
}

Principal AuthService::require_platform_admin(std::optional<std::string_view> authorization) const {
  Principal who = verify(authorization);
  if (who.tenant_id != 0) unauthenticated("This is a store token; log in at /admin/api/auth/login.");
  return who;
}

Principal AuthService::require(std::optional<std::string_view> authorization, const tenancy::Tenant* tenant,
                               Role role) const {
  Principal who = authenticate(authorization, tenant);
  if (who.role < role) {
    auto problem =
        http::Problem{.type = "permission-denied",
                      .title = "Permission denied",
                      .status = 403,
                      .detail = "This needs the " + std::string(to_string(role)) +
                                " role or higher; yours is " + std::string(to_string(who.role)) + "."};
    throw http::ProblemError(std::move(problem));
  }
  return who;
}

Task<void> AuthService::revoke_token(db::Session& db, const Principal& who) {
  co_await db.query(
      "INSERT INTO public.token_revocations (token_id, expires_at) VALUES ($1, to_timestamp($2))",
      who.token_id, who.expires_at);
  // Refused here at once; other processes follow on NOTIFY.
  revocations_.revoke_here(who.token_id);
}

void AuthService::forget_member_tokens(UserId user_id, std::optional<std::int64_t> tenant_id) {
  revocations_.forget_member_tokens(user_id, tenant_id);
}

std::string AuthService::signature(std::string_view text) const {
  return tokens::signature(key_, text);
}

bool AuthService::check_signature(std::string_view text, std::string_view mac) const {
  return tokens::check_signature(key_, text, mac);
}

}  // namespace tenantry::auth
