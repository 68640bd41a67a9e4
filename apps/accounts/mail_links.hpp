#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/db/transaction.hpp"

namespace tenantry::apps::accounts {

/// What a link sent by mail lets its holder do.
enum class LinkPurpose { kVerifyEmail, kResetPassword, kInvitation };

/// A link's row: to whom it was sent and, for an invitation, into which store with which role.
struct MailLink {
  std::int64_t id = 0;
  std::string email;
  std::optional<std::int64_t> user_id;
  std::optional<std::int64_t> tenant_id;
  std::optional<std::string> role;
  std::int64_t expires_at = 0;  // seconds since the epoch
};

/// What a new link is for.
struct NewLink {
  LinkPurpose purpose;
  std::string email;
  std::optional<std::int64_t> user_id;
  std::optional<std::int64_t> tenant_id;
  std::optional<std::string> role;
  std::optional<std::int64_t> created_by;
  std::int64_t ttl_seconds = 3600;
};

/// A link just made: the token for the mail, and the row's id and expiry (ISO 8601) to show the sender.
struct CreatedLink {
  std::string token;
  std::int64_t id = 0;
  std::string expires_at;
};

/// Expiring, single-use, signed links. The token is `<purpose>.<id>.<nonce>.<HMAC>`: a forged or altered
/// token fails the HMAC check before any query, the row holds only a hash of the nonce, and use() marks the
/// row used in the caller's transaction, so a token works once even when two requests race.
class MailLinks {
 public:
  explicit MailLinks(const auth::AuthService& auth) : auth_(auth) {}

  /// Inserts the link's row in `tx`.
  Task<CreatedLink> create(db::Transaction& tx, const NewLink& link) const;
  /// The link, used up in `tx`; throws 400 `invalid-link` when forged, for another purpose, expired or used.
  Task<MailLink> use(db::Transaction& tx, LinkPurpose purpose, const std::string& token) const;
  /// The link without using it (to show an invitation before it is accepted); throws like use().
  Task<MailLink> peek(db::Transaction& tx, LinkPurpose purpose, const std::string& token) const;

 private:
  Task<MailLink> find(db::Transaction& tx, LinkPurpose purpose, const std::string& token, bool consume) const;
  const auth::AuthService& auth_;
};

}  // namespace tenantry::apps::accounts
