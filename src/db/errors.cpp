#include "tenantry/db/errors.hpp"

#include "tenantry/db/params.hpp"

#include <string_view>

namespace tenantry::db {

void throw_nul_in_parameter(std::size_t index) {
  throw InvalidParameter("parameter $" + std::to_string(index) +
                         " holds a NUL character, which PostgreSQL text cannot store");
}

ServerError::ServerError(Fields fields) : Error(fields.message), fields_(std::move(fields)) {}

namespace {

using Thrower = void (*)(ServerError::Fields&&);

/// One row of detail/sqlstates.def: a code and how to throw its class.
struct SqlState {
  std::string_view code;
  Thrower raise;
};

template <typename E>
[[noreturn]] void raise(ServerError::Fields&& fields) {
  throw E(std::move(fields));
}

constexpr SqlState kSqlStates[] = {
#define TENANTRY_SQLSTATE(Name, Base, Code) {Code, &raise<Name>},
#include "tenantry/db/detail/sqlstates.def"
#undef TENANTRY_SQLSTATE
};

Thrower find(std::string_view code) {
  for (const SqlState& s : kSqlStates)
    if (s.code == code) return s.raise;
  return nullptr;
}

}  // namespace

void throw_server_error(ServerError::Fields f) {
  const std::string_view code = f.sqlstate;
  Thrower raise = code.size() == 5 ? find(code) : nullptr;
  if (raise == nullptr && code.size() >= 2) raise = find(code.substr(0, 2));
  if (raise == nullptr) raise = &db::raise<ServerError>;  // no row for the code or its class
  raise(std::move(f));                                    // every Thrower throws
  __builtin_unreachable();
}

bool is_database_unavailable(const Error& error) noexcept {
  if (dynamic_cast<const ConnectionError*>(&error)) return true;
  const auto* server = dynamic_cast<const ServerError*>(&error);
  if (server == nullptr) return false;
  const std::string& code = server->sqlstate();
  return code.starts_with("08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300";
}

}  // namespace tenantry::db
