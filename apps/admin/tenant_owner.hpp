#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "apps/accounts/account_flows.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"

namespace tenantry::apps::admin {

/// The owner of a tenant that an operator creates (`tenantry tenant create --owner`, POST /admin/api/tenants
/// with "owner"): a verified account with that e-mail becomes its owner in the tenant's own transaction;
/// anyone else (no account, or one whose address is unverified) gets an owner invitation, made in that
/// transaction too and mailed once it committed, so that nobody becomes an owner of a store by someone else
/// typing their address.
class TenantOwner {
 public:
  /// `email` is normalised (web::normalize_email); `invited_by` is the platform admin, none for the CLI.
  TenantOwner(const accounts::Accounts& accounts, const Config& config, std::string email,
              std::optional<std::int64_t> invited_by);

  /// For TenantProvisioner::create. Keeps a reference to this object: it must outlive the creation.
  tenancy::ActivationHook hook(std::string store_name);
  /// After the tenant committed: mails the invitation, if one was made.
  void deliver();
  /// {"email", "status": "member" | "invited", "user_id"} or {..., "invitation_id", "expires_at"}.
  boost::json::object to_json() const;
  /// "owner: a@b.c (member)" or "owner: a@b.c invited (the invitation expires ...)".
  std::string describe() const;

 private:
  Task<void> assign(db::Transaction& tx, tenancy::TenantId tenant, const std::string& store_name);

  const accounts::Accounts& accounts_;
  const Config& config_;
  std::string email_;
  std::optional<std::int64_t> invited_by_;
  std::optional<std::int64_t> member_id_;
  std::optional<accounts::LinkMail> invitation_;
};

}  // namespace tenantry::apps::admin
