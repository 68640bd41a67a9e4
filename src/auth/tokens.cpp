#include "tenantry/auth/tokens.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "auth/detail/unauthenticated.hpp"

namespace tenantry::auth::tokens {

namespace {

constexpr std::string_view kTokenPrefix = "tt1.";

// The signed payload, big-endian: token id, user, tenant, issue time (µs), expiry (s), role.
constexpr std::size_t kTokenIdOffset = 0, kTokenIdSize = 16;
constexpr std::size_t kUserOffset = kTokenIdOffset + kTokenIdSize;
constexpr std::size_t kTenantOffset = kUserOffset + 8;
constexpr std::size_t kIssuedOffset = kTenantOffset + 8;
constexpr std::size_t kExpiresOffset = kIssuedOffset + 8;
constexpr std::size_t kRoleOffset = kExpiresOffset + 8;
constexpr std::size_t kPayloadSize = kRoleOffset + 1;
static_assert(kPayloadSize == 49, "the token layout is part of the wire format: tokens in use must verify");

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

}  // namespace

std::string sign(const std::string& key, Principal claims) {
  unsigned char payload[kPayloadSize];
  randombytes_buf(payload + kTokenIdOffset, kTokenIdSize);
  put64(payload + kUserOffset, claims.user_id.value);
  put64(payload + kTenantOffset, claims.tenant_id);
  put64(payload + kIssuedOffset, claims.issued_at_us);
  put64(payload + kExpiresOffset, claims.expires_at);
  payload[kRoleOffset] = static_cast<unsigned char>(claims.role);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  hmac(key, std::string_view(reinterpret_cast<const char*>(payload), sizeof payload), mac);
  return std::string(kTokenPrefix) + base64url(payload, sizeof payload) + "." + base64url(mac, sizeof mac);
}

Principal verify(const std::string& key, std::string_view value) {
  using detail::unauthenticated;
  if (!value.starts_with(kTokenPrefix)) unauthenticated("Malformed token.");
  value.remove_prefix(kTokenPrefix.size());
  const auto dot = value.find('.');
  auto payload = unbase64url(value.substr(0, dot), kPayloadSize);
  auto mac = dot == std::string_view::npos ? std::nullopt
                                           : unbase64url(value.substr(dot + 1), crypto_auth_hmacsha256_BYTES);
  if (!payload || !mac) unauthenticated("Malformed token.");
  unsigned char expected[crypto_auth_hmacsha256_BYTES];
  hmac(key, *payload, expected);
  if (sodium_memcmp(expected, mac->data(), sizeof expected) != 0) unauthenticated("Invalid token.");
  const auto* p = reinterpret_cast<const unsigned char*>(payload->data());
  return Principal{UserId{get64(p + kUserOffset)},
                   get64(p + kTenantOffset),
                   static_cast<Role>(std::min<int>(p[kRoleOffset], static_cast<int>(Role::kOwner))),
                   hex(p + kTokenIdOffset, kTokenIdSize),
                   get64(p + kIssuedOffset),
                   get64(p + kExpiresOffset)};
}

std::string new_key() {
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  return hex(random, sizeof random);
}

std::string signature(const std::string& key, std::string_view text) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  hmac(key, text, mac);
  return base64url(mac, sizeof mac);
}

bool check_signature(const std::string& key, std::string_view text, std::string_view mac) {
  const auto given = unbase64url(mac, crypto_auth_hmacsha256_BYTES);
  if (!given) return false;
  unsigned char expected[crypto_auth_hmacsha256_BYTES];
  hmac(key, text, expected);
  return sodium_memcmp(expected, given->data(), sizeof expected) == 0;
}

}  // namespace tenantry::auth::tokens
