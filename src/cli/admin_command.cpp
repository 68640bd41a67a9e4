// `tenantry admin create-user EMAIL`: the first platform admin (and any later one).
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "apps/accounts/accounts_app.hpp"
#include "cli/cli_audit.hpp"
#include "cli/cli_context.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/web/schema.hpp"

namespace tenantry::cli {

namespace {

std::string read_hidden(const char* prompt) {
  std::cerr << prompt << std::flush;
  termios before{};
  tcgetattr(STDIN_FILENO, &before);
  termios hidden = before;
  hidden.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &hidden);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &before);
  std::cerr << "\n";
  return line;
}

Task<void> make_admin(db::Pool& pool, auth::AuthService& auth, std::string email, std::string password,
                      std::string name) {
  const db::Session session(pool);
  const std::string hash = co_await auth.hash_password(std::move(password));
  db::Transaction tx = co_await session.begin();
  auto user = co_await tx.query(
      "INSERT INTO users (email, password_hash, display_name, is_platform_admin, email_verified_at) "
      "VALUES ($1, $2, $3, true, now()) "
      "ON CONFLICT (lower(email)) DO UPDATE SET password_hash = EXCLUDED.password_hash, is_platform_admin = "
      "true, updated_at = now() RETURNING id",
      email, hash, name);
  // In the same transaction: no platform admin appears without its entry.
  const auto entry =
      cli_entry("admin.create-user", "", {{"email", email}, {"user_id", user.one().get<std::int64_t>(0)}});
  co_await apps::admin::record(tx, entry);
  co_await tx.commit();
}

/// Sets `column` (is_disabled or is_platform_admin, never from input) of the account; the users_revoke_tokens
/// trigger revokes the tokens that the change takes the right of, on every server process.
Task<bool> set_flag(db::Pool& pool, std::string email, std::string column, bool value) {
  const db::Session session(pool);
  const std::string sql =
      "UPDATE users SET " + column + " = $2, updated_at = now() WHERE email = $1 RETURNING id";
  auto changed = co_await session.query(sql, email, value);
  co_return !changed.empty();
}

void add_flag_command(CLI::App& admin, CliContext& ctx, const std::string& name, const std::string& help,
                      const std::string& column, bool value, const std::string& done) {
  auto* command = admin.add_subcommand(name, help);
  auto email = std::make_shared<std::string>();
  command->add_option("email", *email, "E-mail address")
      ->required()
      ->check(CLI::Validator(
          [](std::string& text) {
            return web::normalize_email(text) ? std::string() : "not an e-mail address: " + text;
          },
          "EMAIL"));
  add_json_flag(command, ctx);
  command->callback([&ctx, email, column, value, done] {
    ctx.action = [&ctx, email, column, value, done] {
      const auto normalized = web::normalize_email(*email);
      if (!ctx.run(set_flag(ctx.pool(), *normalized, column, value)))
        throw CommandError("no account has the e-mail " + *normalized);
      // The column without its "is_": {"email", "disabled": true} or {"email", "platform_admin": false}.
      if (ctx.json)
        print_json(boost::json::object{{"email", *normalized}, {column.substr(3), value}});
      else
        std::cout << *normalized << " " << done << "\n";
      return 0;
    };
  });
}

}  // namespace

void add_admin_command(CLI::App& app, CliContext& ctx) {
  auto* admin = app.add_subcommand("admin", "Platform administration");
  admin->require_subcommand(1);
  auto* create =
      admin->add_subcommand("create-user", "Create a platform admin (or make an existing user one)");
  struct Options {
    std::string email, name;
    bool password_stdin = false;
  };
  auto o = std::make_shared<Options>();
  create->add_option("email", o->email, "E-mail address")->required();
  create->add_option("--name", o->name, "Display name");
  create->add_flag("--password-stdin", o->password_stdin, "Read the password from standard input");
  add_json_flag(create, ctx);
  create->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      // The same normal form as every login and lookup compares.
      const auto normalized = web::normalize_email(o->email);
      if (!normalized) throw CLI::ValidationError("email", "not an e-mail address: " + o->email);
      const std::string& email = *normalized;
      std::string password;
      if (o->password_stdin) {
        std::getline(std::cin, password);
      } else if (::isatty(STDIN_FILENO)) {
        password = read_hidden("Password: ");
        if (read_hidden("Again: ") != password) throw CommandError("the passwords differ");
      } else {
        throw CommandError("no terminal to ask for the password: use --password-stdin");
      }
      if (password.size() < 10) throw CommandError("the password must have at least 10 characters");
      auth::AuthService auth(ctx.config());
      ctx.run(make_admin(ctx.pool(), auth, email, std::move(password), o->name));
      if (ctx.json)
        print_json(boost::json::object{{"email", email}, {"platform_admin", true}});
      else
        std::cout << email << " is a platform admin\n";
      return 0;
    };
  });
  add_flag_command(*admin, ctx, "disable-user", "Disable an account (its tokens are revoked at once)",
                   "is_disabled", true, "is disabled; its tokens are revoked");
  add_flag_command(*admin, ctx, "enable-user", "Enable a disabled account", "is_disabled", false,
                   "is enabled");
  add_flag_command(*admin, ctx, "revoke-admin",
                   "Take the platform-admin right (its admin tokens are revoked)", "is_platform_admin", false,
                   "is no platform admin; its admin tokens are revoked");
}

}  // namespace tenantry::cli
