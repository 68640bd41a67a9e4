#pragma once

#include <string>
#include <string_view>

#include "tenantry/auth/principal.hpp"

namespace tenantry::auth::tokens {

/// A token for `claims` (its token id is made up here; the other fields are taken as they are), signed with
/// HMAC-SHA-256 under `key`: `tt1.<base64url payload>.<base64url mac>`. The payload's layout is in
/// tokens.cpp.
std::string sign(const std::string& key, Principal claims);
/// The claims of `token` (without "Bearer "), when its layout is right and `key` signed it; throws 401
/// otherwise. Expiry and revocation are the caller's to check.
Principal verify(const std::string& key, std::string_view token);

/// A new random signing key (32 bytes, hex).
std::string new_key();

/// HMAC-SHA-256 of `text` under `key`, base64url (for links sent by mail).
std::string signature(const std::string& key, std::string_view text);
/// Whether `mac` is signature(key, text), compared in constant time.
bool check_signature(const std::string& key, std::string_view text, std::string_view mac);

}  // namespace tenantry::auth::tokens
