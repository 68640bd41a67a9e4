#include "apps/accounts/auth_service.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <map>
#include <set>

#include "tenantry/db/errors.hpp"
#include "tenantry/db/listener.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/web/json_input.hpp"

namespace tenantry::apps::accounts {

namespace {

constexpr std::array<std::string_view, 4> kRoles{"viewer", "staff", "admin", "owner"};
constexpr std::string_view kTokenPrefix = "tt1.";

// The signed payload: token id, user, tenant, issue time, expiry, role.
struct Payload {
  unsigned char token_id[16];
  std::int64_t user_id, tenant_id, issued_at_us, expires_at;
  std::uint8_t role;
};
constexpr std::size_t kPayloadSize = 16 + 8 * 4 + 1;

void put64(unsigned char* out, std::int64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<unsigned char>(v & 0xff);
}
std::int64_t get64(const unsigned char* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return static_cast<std::int64_t>(v);
}

std::string base64url(const unsigned char* data, std::size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> unbase64url(std::string_view text, std::size_t expected) {
  std::string out(expected, '\0');
  std::size_t size = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        nullptr, &size, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      size != expected)
    return std::nullopt;
  return out;
}

std::string hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

void hmac(const std::string& key, std::string_view text, unsigned char (&out)[crypto_auth_hmacsha256_BYTES]) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  crypto_auth_hmacsha256_final(&state, out);
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void unauthenticated(std::string detail) {
  auto problem = http::Problem{
      .type = "not-authenticated", .title = "Not authenticated", .status = 401, .detail = std::move(detail)};
  throw http::ProblemError(std::move(problem));
}

}  // namespace

std::string_view to_string(Role role) {
  return kRoles[static_cast<int>(role)];
}

std::optional<Role> parse_role(std::string_view name) {
  for (std::size_t i = 0; i < kRoles.size(); ++i)
    if (kRoles[i] == name) return static_cast<Role>(i);
  return std::nullopt;
}

/// The revocations in force, as loaded from the database.
struct AuthService::Revocations {
  std::unordered_set<std::string> tokens;
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> member_not_before;  // (user, tenant) → µs
  std::unordered_map<std::int64_t, std::int64_t> user_not_before;
};

struct AuthService::HashPool {
  explicit HashPool(std::size_t threads) : pool(threads) {}
  boost::asio::thread_pool pool;
};

AuthService::AuthService(const Config& config)
    : config_(config),
      revocations_(std::make_shared<const Revocations>()),
      hashing_(std::make_unique<HashPool>(static_cast<std::size_t>(config.auth.hash_threads))) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

AuthService::~AuthService() {
  hashing_->pool.join();
}

Task<void> AuthService::load(db::Pool& pool) {
  if (!config_.auth.secret.empty()) {
    key_ = config_.auth.secret;
  } else {
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    const db::Session session(pool);
    co_await session.query("INSERT INTO auth_keys (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                           hex(random, sizeof random));
    key_ = (co_await session.query("SELECT secret FROM auth_keys WHERE id = 1")).one().get<std::string>(0);
  }
  co_await reload(pool);
}

Task<void> AuthService::reload(db::Pool& pool) {
  auto rows = co_await db::Session(pool).query(
      "SELECT token_id, user_id, tenant_id, (extract(epoch FROM not_before) * 1000000)::bigint "
      "FROM token_revocations WHERE expires_at > now()");
  auto next = std::make_shared<Revocations>();
  for (auto row : rows) {
    if (auto token = row.get<std::optional<std::string>>(0)) {
      next->tokens.insert(*token);
      continue;
    }
    const auto user = row.get<std::int64_t>(1);
    const auto not_before = row.get<std::int64_t>(3);
    if (auto tenant = row.get<std::optional<std::int64_t>>(2)) {
      auto& slot = next->member_not_before[{user, *tenant}];
      slot = std::max(slot, not_before);
    } else {
      auto& slot = next->user_not_before[user];
      slot = std::max(slot, not_before);
    }
  }
  revocations_.store(std::move(next));
}

Task<void> AuthService::watch(boost::asio::io_context& io, db::Pool& pool) {
  boost::asio::steady_timer pause(io);
  // Revocations reload on a connection of their own, not through the request pool: a saturated pool must
  // not keep a revoked token valid.
  db::Pool reloads(io, db::PoolConfig{.connect = pool.config().connect, .max_size = 1});
  bool lost = false;  // said once per outage, not every half second
  for (;;) {
    try {
      auto listener = co_await db::Listener::connect(io, pool.config().connect);
      co_await listener->listen("tenantry_auth");
      co_await reload(reloads);
      if (lost) spdlog::info("revocation listener: reconnected");
      lost = false;
      for (;;) {
        co_await listener->next();
        co_await reload(reloads);
      }
    } catch (const db::Error& e) {
      if (!lost) spdlog::warn("revocation listener: {}; reconnecting", e.what());
      lost = true;
    }
    if (lost) {
      pause.expires_after(std::chrono::milliseconds(500));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
  }
}

namespace {

/// Runs `work` on `pool` and resumes the awaiting coroutine on its own executor. Only a plain function
/// crosses threads: coroutine frames created on one thread and resumed on another corrupted the heap.
template <typename R, typename F>
Task<R> run_on(boost::asio::thread_pool& pool, F work) {
  auto home = co_await boost::asio::this_coro::executor;
  // A named initiation, not a temporary inside co_await (see above).
  auto initiation = [&pool, home](auto handler, F work) {
    boost::asio::post(pool, [handler = std::move(handler), work = std::move(work), home]() mutable {
      std::exception_ptr failure;
      R result{};
      try {
        result = work();
      } catch (...) {
        failure = std::current_exception();
      }
      boost::asio::post(home, [handler = std::move(handler), failure, result = std::move(result)]() mutable {
        std::move(handler)(failure, std::move(result));
      });
    });
  };
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                 void(std::exception_ptr, R)>(
      initiation, boost::asio::use_awaitable, std::move(work));
}

std::string hash_now(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

}  // namespace

// The work lambdas are named locals: GCC 12 bitwise-copies closure temporaries of a co_await expression.
Task<std::string> AuthService::hash_password(std::string password) {
  auto work = [password = std::move(password)] { return hash_now(password); };
  co_return co_await run_on<std::string>(hashing_->pool, std::move(work));
}

Task<bool> AuthService::verify_password(std::string hash, std::string password) {
  auto work = [hash = std::move(hash), password = std::move(password)] {
    if (hash.empty()) {
      hash_now(password);  // unknown account: spend the same effort as a verification, then fail
      return false;
    }
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  };
  co_return co_await run_on<bool>(hashing_->pool, std::move(work));
}

IssuedToken AuthService::issue(std::int64_t user_id, std::int64_t tenant_id, Role role) const {
  unsigned char payload[kPayloadSize];
  randombytes_buf(payload, 16);
  const std::int64_t issued = now_us();
  const std::int64_t ttl_minutes =
      tenant_id == 0 ? config_.auth.admin_token_ttl_minutes : config_.auth.token_ttl_minutes;
  const std::int64_t expires = issued / 1'000'000 + ttl_minutes * 60;
  put64(payload + 16, user_id);
  put64(payload + 24, tenant_id);
  put64(payload + 32, issued);
  put64(payload + 40, expires);
  payload[48] = static_cast<unsigned char>(role);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  hmac(key_, std::string_view(reinterpret_cast<const char*>(payload), sizeof payload), mac);
  return {std::string(kTokenPrefix) + base64url(payload, sizeof payload) + "." + base64url(mac, sizeof mac),
          expires};
}

Principal AuthService::verify(const web::RequestContext& ctx) const {
  auto header = ctx.request.header("Authorization");
  if (!header) unauthenticated("Send 'Authorization: Bearer <token>'; log in at /api/auth/login.");
  std::string_view value = *header;
  if (!value.starts_with("Bearer ")) unauthenticated("Only Bearer tokens are accepted.");
  value.remove_prefix(7);
  if (!value.starts_with(kTokenPrefix)) unauthenticated("Malformed token.");
  value.remove_prefix(kTokenPrefix.size());
  const auto dot = value.find('.');
  auto payload = unbase64url(value.substr(0, dot), kPayloadSize);
  auto mac = dot == std::string_view::npos ? std::nullopt
                                           : unbase64url(value.substr(dot + 1), crypto_auth_hmacsha256_BYTES);
  if (!payload || !mac) unauthenticated("Malformed token.");
  unsigned char expected[crypto_auth_hmacsha256_BYTES];
  hmac(key_, *payload, expected);
  if (sodium_memcmp(expected, mac->data(), sizeof expected) != 0) unauthenticated("Invalid token.");
  const auto* p = reinterpret_cast<const unsigned char*>(payload->data());
  Principal who{get64(p + 16), get64(p + 24), static_cast<Role>(std::min<int>(p[48], 3)),
                hex(p, 16),    get64(p + 32), get64(p + 40)};
  if (who.expires_at <= now_us() / 1'000'000) unauthenticated("The token has expired; log in again.");
  if (revoked(who)) unauthenticated("The token has been revoked; log in again.");
  return who;
}

Principal AuthService::authenticate(const web::RequestContext& ctx) const {
  Principal who = verify(ctx);
  if (ctx.tenant == nullptr || who.tenant_id != ctx.tenant->id.value)
    unauthenticated("This token was issued for another store.");
  return who;
}

Principal AuthService::require_platform_admin(const web::RequestContext& ctx) const {
  Principal who = verify(ctx);
  if (who.tenant_id != 0) unauthenticated("This is a store token; log in at /admin/api/auth/login.");
  return who;
}

Principal AuthService::require(const web::RequestContext& ctx, Role role) const {
  Principal who = authenticate(ctx);
  if (who.role < role)
    web::fail(403, "permission-denied", "Permission denied",
              "This needs the " + std::string(to_string(role)) + " role or higher; yours is " +
                  std::string(to_string(who.role)) + ".");
  return who;
}

bool AuthService::revoked(const Principal& p) const {
  const auto r = revocations_.load();
  if (r->tokens.count(p.token_id)) return true;
  if (auto it = r->member_not_before.find({p.user_id, p.tenant_id});
      it != r->member_not_before.end() && p.issued_at_us < it->second)
    return true;
  if (auto it = r->user_not_before.find(p.user_id);
      it != r->user_not_before.end() && p.issued_at_us < it->second)
    return true;
  return false;
}

Task<void> AuthService::revoke_token(db::Session& db, const Principal& who) {
  co_await db.query(
      "INSERT INTO public.token_revocations (token_id, expires_at) VALUES ($1, to_timestamp($2))",
      who.token_id, who.expires_at);
  // Refused here at once; other processes follow on NOTIFY.
  auto next = std::make_shared<Revocations>(*revocations_.load());
  next->tokens.insert(who.token_id);
  revocations_.store(std::move(next));
}

void AuthService::forget_member_tokens(std::int64_t user_id, std::optional<std::int64_t> tenant_id) {
  auto next = std::make_shared<Revocations>(*revocations_.load());
  if (tenant_id)
    next->member_not_before[{user_id, *tenant_id}] = now_us();
  else
    next->user_not_before[user_id] = now_us();
  revocations_.store(std::move(next));
}

std::string AuthService::signature(std::string_view text) const {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  hmac(key_, text, mac);
  return base64url(mac, sizeof mac);
}

bool AuthService::check_signature(std::string_view text, std::string_view mac) const {
  const auto given = unbase64url(mac, crypto_auth_hmacsha256_BYTES);
  if (!given) return false;
  unsigned char expected[crypto_auth_hmacsha256_BYTES];
  hmac(key_, text, expected);
  return sodium_memcmp(expected, given->data(), sizeof expected) == 0;
}

}  // namespace tenantry::apps::accounts
