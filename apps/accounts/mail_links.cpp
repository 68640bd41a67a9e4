#include "apps/accounts/mail_links.hpp"

#include "apps/accounts/account_problems.hpp"

#include <sodium.h>

#include <array>
#include <charconv>

#include "tenantry/web/schema.hpp"

namespace tenantry::apps::accounts {

namespace {

constexpr std::array<std::string_view, 3> kPurposes{"verify-email", "reset-password", "invitation"};

std::string_view name_of(LinkPurpose purpose) {
  return kPurposes[static_cast<std::size_t>(purpose)];
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

std::string nonce_hash(std::string_view nonce) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(nonce.data()), nonce.size());
  return to_hex(digest, sizeof digest);
}

[[noreturn]] void invalid_link() {
  throw http::BadRequest(kInvalidLink, "This link is invalid, expired or already used; ask for a new one.");
}

/// The token's parts, once its HMAC is checked.
struct Parsed {
  std::int64_t id = 0;
  std::string nonce;
};

std::optional<Parsed> parse(const auth::AuthService& auth, LinkPurpose purpose, std::string_view token) {
  // <purpose>.<id>.<nonce>.<mac>: the signed text is everything before the last dot.
  const auto last = token.rfind('.');
  if (last == std::string_view::npos || token.size() > 256) return std::nullopt;
  const std::string_view signed_text = token.substr(0, last);
  if (!auth.check_signature(signed_text, token.substr(last + 1))) return std::nullopt;
  const std::string prefix = std::string(name_of(purpose)) + ".";
  if (!signed_text.starts_with(prefix)) return std::nullopt;
  std::string_view rest = signed_text.substr(prefix.size());
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  Parsed parsed;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + dot, parsed.id);
  if (ec != std::errc() || end != rest.data() + dot) return std::nullopt;
  parsed.nonce = std::string(rest.substr(dot + 1));
  return parsed;
}

}  // namespace

Task<CreatedLink> MailLinks::create(db::Transaction& tx, const NewLink& link) const {
  unsigned char random[24];
  randombytes_buf(random, sizeof random);
  const std::string nonce = to_hex(random, sizeof random);
  auto row = co_await tx.query(
      "INSERT INTO public.auth_links (purpose, nonce_hash, email, user_id, tenant_id, role, created_by, "
      "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8)) "
      "RETURNING id, expires_at",
      name_of(link.purpose), nonce_hash(nonce), link.email, link.user_id, link.tenant_id, link.role,
      link.created_by, link.ttl_seconds);
  const std::int64_t id = row.one().get<std::int64_t>(0);
  const std::string text = std::string(name_of(link.purpose)) + "." + std::to_string(id) + "." + nonce;
  co_return CreatedLink{.token = text + "." + auth_.signature(text),
                        .id = id,
                        .expires_at = row.one().get<db::Rfc3339>(1).text};
}

Task<MailLink> MailLinks::find(db::Transaction& tx, LinkPurpose purpose, const std::string& token,
                               bool consume) const {
  const auto parsed = parse(auth_, purpose, token);
  if (!parsed) invalid_link();
  const std::string hash = nonce_hash(parsed->nonce);
  // FOR UPDATE: of two requests with the same token, the second waits and then finds it used.
  auto rows = co_await tx.query(
      "SELECT id, email, user_id, tenant_id, role, extract(epoch FROM expires_at)::bigint FROM "
      "public.auth_links "
      "WHERE id = $1 AND purpose = $2 AND nonce_hash = $3 AND used_at IS NULL AND expires_at > now() "
      "FOR UPDATE",
      parsed->id, name_of(purpose), hash);
  if (rows.empty()) invalid_link();
  const auto row = rows.one();
  if (consume) co_await tx.query("UPDATE public.auth_links SET used_at = now() WHERE id = $1", parsed->id);
  co_return MailLink{.id = row.get<std::int64_t>(0),
                     .email = row.get<std::string>(1),
                     .user_id = row.get<std::optional<std::int64_t>>(2),
                     .tenant_id = row.get<std::optional<std::int64_t>>(3),
                     .role = row.get<std::optional<std::string>>(4),
                     .expires_at = row.get<std::int64_t>(5)};
}

Task<MailLink> MailLinks::use(db::Transaction& tx, LinkPurpose purpose, const std::string& token) const {
  co_return co_await find(tx, purpose, token, true);
}

Task<MailLink> MailLinks::peek(db::Transaction& tx, LinkPurpose purpose, const std::string& token) const {
  co_return co_await find(tx, purpose, token, false);
}

}  // namespace tenantry::apps::accounts
