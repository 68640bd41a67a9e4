#include "tenantry/auth/revocations.hpp"

#include <boost/asio/io_context.hpp>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "tenantry/db/listener.hpp"
#include "tenantry/db/session.hpp"

namespace tenantry::auth {

namespace {
std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

/// The revocations in force, as loaded from the database.
struct Revocations::State {
  std::unordered_set<std::string> tokens;
  std::map<std::pair<UserId, std::int64_t>, std::int64_t> member_not_before;  // (user, tenant) → µs
  std::unordered_map<UserId, std::int64_t> user_not_before;
};

Revocations::Revocations() : state_(std::make_shared<const State>()) {}
Revocations::~Revocations() = default;

Task<void> Revocations::reload(db::Pool& pool) {
  auto rows = co_await pool.session().query(
      "SELECT token_id, user_id, tenant_id, (extract(epoch FROM not_before) * 1000000)::bigint "
      "FROM token_revocations WHERE expires_at > now()");
  auto next = std::make_shared<State>();
  for (auto row : rows) {
    if (auto token = row.get<std::optional<std::string>>(0)) {
      next->tokens.insert(*token);
      continue;
    }
    const UserId user{row.get<std::int64_t>(1)};
    const auto not_before = row.get<std::int64_t>(3);
    if (auto tenant = row.get<std::optional<std::int64_t>>(2)) {
      auto& slot = next->member_not_before[{user, *tenant}];
      slot = std::max(slot, not_before);
    } else {
      auto& slot = next->user_not_before[user];
      slot = std::max(slot, not_before);
    }
  }
  state_.store(std::move(next));
}

Task<void> Revocations::watch(boost::asio::io_context& io, db::Pool& pool) {
  // Revocations reload on a connection of their own, not through the request pool: a saturated pool must
  // not keep a revoked token valid.
  db::Pool reloads(io, db::PoolConfig{.connect = pool.config().connect, .max_size = 1});
  const db::ListenLoop loop{
      .channel = "tenantry_auth",
      .name = "revocation listener",
      .on_connected = [this, &reloads] { return reload(reloads); },
      .on_notify = [this, &reloads](const db::Notification&) { return reload(reloads); }};
  co_await db::listen(io, pool.config().connect, loop);  // for the io_context's life
}

bool Revocations::revoked(const Principal& p) const {
  const auto r = state_.load();
  if (r->tokens.count(p.token_id)) return true;
  if (auto it = r->member_not_before.find({p.user_id, p.tenant_id});
      it != r->member_not_before.end() && p.issued_at_us < it->second)
    return true;
  if (auto it = r->user_not_before.find(p.user_id);
      it != r->user_not_before.end() && p.issued_at_us < it->second)
    return true;
  return false;
}

void Revocations::revoke_here(const std::string& token_id) {
  auto next = std::make_shared<State>(*state_.load());
  next->tokens.insert(token_id);
  state_.store(std::move(next));
}

void Revocations::forget_member_tokens(UserId user_id, std::optional<std::int64_t> tenant_id) {
  auto next = std::make_shared<State>(*state_.load());
  if (tenant_id)
    next->member_not_before[{user_id, *tenant_id}] = now_us();
  else
    next->user_not_before[user_id] = now_us();
  state_.store(std::move(next));
}

}  // namespace tenantry::auth
