#include "apps/admin/tenant_owner.hpp"

namespace tenantry::apps::admin {

TenantOwner::TenantOwner(const accounts::Accounts& accounts, const Config& config, std::string email,
                         std::optional<std::int64_t> invited_by)
    : accounts_(accounts), config_(config), email_(std::move(email)), invited_by_(invited_by) {}

tenancy::ActivationHook TenantOwner::hook(std::string store_name) {
  return [this, store_name = std::move(store_name)](db::Transaction& tx, tenancy::TenantId tenant) {
    return assign(tx, tenant, store_name);
  };
}

Task<void> TenantOwner::assign(db::Transaction& tx, tenancy::TenantId tenant, const std::string& store_name) {
  // A disabled account is no owner either: it is invited like a stranger (and cannot log in until enabled).
  auto verified = co_await tx.query(
      "SELECT id FROM public.users WHERE email = $1 AND email_verified_at IS NOT NULL AND NOT is_disabled",
      email_);
  if (!verified.empty()) {
    member_id_ = verified.one().get<std::int64_t>(0);
    co_await tx.query("INSERT INTO public.memberships (user_id, tenant_id, role) VALUES ($1, $2, 'owner')",
                      *member_id_, tenant);
    co_return;
  }
  const accounts::Invitation invitation{.email = email_,
                                        .role = "owner",
                                        .tenant_id = tenant.value,
                                        .store_name = store_name,
                                        .invited_by = invited_by_};
  invitation_ = co_await accounts::invitation_mail(tx, accounts_, config_, invitation);
}

void TenantOwner::deliver() {
  if (invitation_) accounts_.mailer->send(invitation_->message);
}

boost::json::object TenantOwner::to_json() const {
  boost::json::object out{{"email", email_}, {"status", member_id_ ? "member" : "invited"}};
  if (member_id_) out["user_id"] = *member_id_;
  if (invitation_) {
    out["invitation_id"] = invitation_->link.id;
    out["expires_at"] = invitation_->link.expires_at;
  }
  return out;
}

std::string TenantOwner::describe() const {
  if (member_id_) return "owner: " + email_ + " (an existing verified account)";
  if (invitation_)
    return "owner: " + email_ + " invited by mail (the invitation expires " + invitation_->link.expires_at +
           ")";
  return "owner: " + email_ + " (not assigned)";
}

}  // namespace tenantry::apps::admin
