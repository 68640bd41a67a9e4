// `tenantry tenant ...` and `tenantry domain ...`: the tenant lifecycle.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

#include "apps/admin/tenant_owner.hpp"
#include "cli/cli_audit.hpp"
#include "cli/cli_context.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"
#include "tenantry/tenancy/tenant_json.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "tenantry/web/schema.hpp"

namespace tenantry::cli {

namespace {

using db::SchemaName;
using tenancy::DomainName;

std::string short_time(db::Timestamp t) {
  return db::format_timestamp(t).substr(0, 16);
}

void print_tenant(const tenancy::Tenant& t) {
  std::cout << "schema:   " << t.schema.str() << "\n"
            << "name:     " << t.name << "\n"
            << "id:       " << t.id.value << "\n"
            << "state:    " << to_string(t.state) << (t.state_reason ? " (" + *t.state_reason + ")" : "")
            << "\n"
            << "plan:     " << t.plan << "\n";
  if (t.maintenance)
    std::cout << "maintenance: since " << db::format_timestamp(t.maintenance->since) << ", Retry-After "
              << t.maintenance->retry_after_seconds << " s"
              << (t.maintenance->message ? " (" + *t.maintenance->message + ")" : "") << "\n";
  std::cout << "created:  " << db::format_timestamp(t.created_at) << "\n"
            << "domains:  ";
  if (t.domains.empty()) std::cout << "(none)";
  for (const auto& d : t.domains)
    std::cout << (&d == &t.domains.front() ? "" : ", ") << d.domain << (d.is_primary ? " (primary)" : "");
  std::cout << "\n";
}

/// Registers `name` with one positional SLUG argument and an action taking the validated schema name.
CLI::App* slug_command(CLI::App* parent, CliContext& ctx, const char* name, const char* help,
                       std::function<int(CliContext&, const SchemaName&)> run) {
  auto* cmd = parent->add_subcommand(name, help);
  auto slug = std::make_shared<std::string>();
  cmd->add_option("slug", *slug, "The tenant's slug (its schema name)")->required();
  cmd->callback(
      [&ctx, slug, run] { ctx.action = [&ctx, slug, run] { return run(ctx, SchemaName(*slug)); }; });
  return cmd;
}

// Audit entries of the lifecycle commands, written in each action's own transaction.
boost::json::object creation_detail(const tenancy::NewTenant& request) {
  boost::json::array domains;
  for (const auto& d : request.domains) domains.emplace_back(d.str());
  return {{"name", request.name}, {"plan", request.plan}, {"domains", std::move(domains)}};
}

tenancy::ActivationHook audit_create(const tenancy::NewTenant& request) {
  return audit_activation(cli_entry("tenant.create", request.schema.str(), creation_detail(request)));
}

tenancy::TransactionHook audit_state(const char* action, const SchemaName& s) {
  return audit_hook(cli_entry(action, s.str()));
}

/// `first`, then `second`, in the same activation transaction.
tenancy::ActivationHook both(tenancy::ActivationHook first, tenancy::ActivationHook second) {
  return [first = std::move(first), second = std::move(second)](db::Transaction& tx,
                                                                tenancy::TenantId id) -> Task<void> {
    co_await first(tx, id);
    co_await second(tx, id);
  };
}

struct CreateOptions {
  std::string slug, name, plan = "free";
  std::vector<std::string> domains;
  std::optional<std::string> owner;
};

/// A plan that is not configured is a usage error naming the ones that are.
void require_plan(const Config& config, const std::string& plan) {
  if (config.plans.count(plan)) return;
  std::string known;
  for (const auto& [name, limits] : config.plans) known += (known.empty() ? "" : ", ") + name;
  throw ValidationError("plan", "unknown plan '" + plan + "' (configured plans: " + known + ")");
}

int create_tenant(CliContext& ctx, const CreateOptions& o) {
  const Config& config = ctx.config();
  require_plan(config, o.plan);
  tenancy::NewTenant request{SchemaName(o.slug), o.name, {}, o.plan};
  for (const auto& d : o.domains) request.domains.emplace_back(d);
  // The domain a signup gets, so that a tenant made here is reachable the same way.
  if (request.domains.empty())
    request.domains.push_back(tenancy::default_domain(request.schema, config.tenancy.base_domain));
  std::optional<std::string> owner_email;
  if (o.owner) {
    owner_email = web::normalize_email(*o.owner);
    if (!owner_email) throw ValidationError("owner", "--owner: not an e-mail address: " + *o.owner);
  }
  // Built only for an owner: the mailer's thread and the password hasher are not needed otherwise.
  std::unique_ptr<apps::accounts::Accounts> accounts;
  std::optional<apps::admin::TenantOwner> owner;
  tenancy::ActivationHook on_activate = audit_create(request);
  if (owner_email) {
    accounts = std::make_unique<apps::accounts::Accounts>(
        apps::accounts::Accounts{std::make_shared<auth::AuthService>(config),
                                 std::make_shared<mail::Mailer>(config), ctx.migrations().tenant_plan()});
    owner.emplace(*accounts, config, *owner_email, std::nullopt);
    on_activate = both(std::move(on_activate), owner->hook(request.name));
  }
  tenancy::TenantProvisioner provisioner(ctx.pool(), ctx.migrations().tenant_plan(), config.tenancy);
  const auto start = std::chrono::steady_clock::now();
  auto t = ctx.run(provisioner.create(request, on_activate));
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (owner) owner->deliver();  // the mailer's destructor waits until it is handed over
  if (ctx.json) {
    auto body = tenancy::to_json(t);
    if (owner) body["owner"] = owner->to_json();
    print_json(body);
    return 0;
  }
  std::cout << "created tenant " << t.schema.str() << " (id " << t.id.value << ") in " << static_cast<int>(ms)
            << " ms\n";
  if (owner) std::cout << owner->describe() << "\n";
  return 0;
}

}  // namespace

void add_tenant_commands(CLI::App& app, CliContext& ctx) {
  auto* tenant = app.add_subcommand("tenant", "Create, list and manage tenants");
  tenant->require_subcommand(1);

  {
    auto* cmd = tenant->add_subcommand("create", "Create a tenant: schema + migrations, atomically");
    auto o = std::make_shared<CreateOptions>();
    cmd->add_option("slug", o->slug, "Schema name / slug: lower-case letters, digits, _")->required();
    cmd->add_option("--name", o->name, "Display name")->required();
    cmd->add_option("--domain", o->domains,
                    "A hostname (repeatable; the first is primary; default <slug>.<tenancy.base_domain>)");
    cmd->add_option("--plan", o->plan, "Plan (one of the configured plans)")->capture_default_str();
    cmd->add_option("--owner", o->owner,
                    "E-mail of the owner: a verified account becomes owner at once, anyone else is invited");
    add_json_flag(cmd, ctx);
    cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return create_tenant(ctx, *o); }; });
  }
  {
    auto* cmd = tenant->add_subcommand("list", "List tenants");
    add_json_flag(cmd, ctx);
    cmd->callback([&ctx] {
      ctx.action = [&ctx] {
        auto all = ctx.run(tenancy::TenantCatalog(ctx.pool()).list());
        if (ctx.json) {
          boost::json::array out;
          for (const auto& t : all) out.push_back(tenancy::to_json(t));
          std::cout << boost::json::serialize(out) << "\n";
          return 0;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& t : all)
          rows.push_back({std::to_string(t.id.value), t.schema.str(), t.name,
                          std::string(to_string(t.state)) + (t.maintenance ? " (maintenance)" : ""), t.plan,
                          t.primary_domain().value_or("-"), short_time(t.created_at)});
        print_table({"ID", "SLUG", "NAME", "STATE", "PLAN", "PRIMARY DOMAIN", "CREATED (UTC)"}, rows);
        if (all.empty()) std::cout << "(no tenants: create one with `tenantry tenant create`)\n";
        return 0;
      };
    });
  }
  {
    auto* cmd = tenant->add_subcommand("show", "Show one tenant");
    auto slug = std::make_shared<std::string>();
    cmd->add_option("slug", *slug, "The tenant's slug")->required();
    add_json_flag(cmd, ctx);
    cmd->callback([&ctx, slug] {
      ctx.action = [&ctx, slug] {
        auto t = ctx.run(tenancy::TenantCatalog(ctx.pool()).get(SchemaName(*slug)));
        if (ctx.json)
          std::cout << boost::json::serialize(tenancy::to_json(t)) << "\n";
        else
          print_tenant(t);
        return 0;
      };
    });
  }
  {
    auto reason = std::make_shared<std::optional<std::string>>();
    auto* cmd = slug_command(
        tenant, ctx, "suspend", "Suspend a tenant: its requests get 403; data kept",
        [reason](CliContext& c, const SchemaName& s) {
          c.run(tenancy::TenantCatalog(c.pool()).suspend(s, *reason, audit_state("tenant.suspend", s)));
          std::cout << "suspended " << s.str() << "\n";
          return 0;
        });
    cmd->add_option("--reason", *reason, "Why (shown to admins)");
  }
  {
    auto off = std::make_shared<bool>(false);
    auto retry_after = std::make_shared<int>(300);
    auto message = std::make_shared<std::optional<std::string>>();
    auto* cmd = slug_command(
        tenant, ctx, "maintenance",
        "Put a tenant in maintenance (its API answers 503 with Retry-After; platform admins get through), or "
        "end it with --off",
        [off, retry_after, message](CliContext& c, const SchemaName& s) {
          tenancy::TenantCatalog catalog(c.pool());
          if (*off) {
            c.run(catalog.end_maintenance(s, audit_state("tenant.maintenance.end", s)));
            std::cout << "maintenance ended for " << s.str() << "\n";
            return 0;
          }
          boost::json::object window{{"retry_after", *retry_after}};
          if (*message) window["message"] = **message;
          c.run(catalog.start_maintenance(
              s, *retry_after, *message, audit_hook(cli_entry("tenant.maintenance.start", s.str(), window))));
          std::cout << s.str() << " is in maintenance (Retry-After: " << *retry_after << ")\n";
          return 0;
        });
    cmd->add_flag("--off", *off, "End the maintenance");
    cmd->add_option("--retry-after", *retry_after, "Seconds clients are told to wait (Retry-After)")
        ->check(CLI::Range(1, 86400));
    cmd->add_option("--message", *message, "Shown to the store's clients in the 503");
  }
  slug_command(tenant, ctx, "resume", "Make a suspended or archived tenant active again",
               [](CliContext& c, const SchemaName& s) {
                 c.run(tenancy::TenantCatalog(c.pool()).resume(s, audit_state("tenant.resume", s)));
                 std::cout << "resumed " << s.str() << "\n";
                 return 0;
               });
  slug_command(tenant, ctx, "archive", "Archive a tenant: no longer served, data kept",
               [](CliContext& c, const SchemaName& s) {
                 c.run(tenancy::TenantCatalog(c.pool()).archive(s, audit_state("tenant.archive", s)));
                 std::cout << "archived " << s.str() << "\n";
                 return 0;
               });
  {
    auto yes = std::make_shared<bool>(false);
    auto* cmd = slug_command(
        tenant, ctx, "drop", "Drop a tenant: its schema, data and catalog row",
        [yes](CliContext& c, const SchemaName& s) {
          if (!*yes) {
            if (!::isatty(STDIN_FILENO))
              throw CommandError("refusing to drop '" + s.str() + "' without --yes (no terminal to ask)");
            std::cout << "Drop tenant '" << s.str()
                      << "' and ALL its data? Type the slug to confirm: " << std::flush;
            std::string answer;
            std::getline(std::cin, answer);
            if (answer != s.str()) {
              std::cout << "not dropped\n";
              return 1;
            }
          }
          tenancy::TenantProvisioner p(c.pool(), c.migrations().tenant_plan());
          c.run(p.drop(s, audit_state("tenant.drop", s)));
          std::cout << "dropped " << s.str() << "\n";
          return 0;
        });
    cmd->add_flag("--yes,-y", *yes, "Do not ask for confirmation");
  }
  {
    auto* cmd = tenant->add_subcommand("rename", "Rename a tenant's slug and schema");
    auto from = std::make_shared<std::string>(), to = std::make_shared<std::string>();
    cmd->add_option("old", *from, "Current slug")->required();
    cmd->add_option("new", *to, "New slug")->required();
    cmd->callback([&ctx, from, to] {
      ctx.action = [&ctx, from, to] {
        tenancy::TenantProvisioner p(ctx.pool(), ctx.migrations().tenant_plan());
        auto audit = audit_hook(cli_entry("tenant.rename", *from, {{"to", *to}}));
        ctx.run(p.rename(SchemaName(*from), SchemaName(*to), audit));
        std::cout << "renamed " << *from << " to " << *to << "\n";
        return 0;
      };
    });
  }
  {
    auto* cmd = tenant->add_subcommand("clone", "Create a tenant with the structure and data of another");
    auto src = std::make_shared<std::string>(), dst = std::make_shared<std::string>();
    auto name = std::make_shared<std::optional<std::string>>();
    cmd->add_option("source", *src, "Slug to copy")->required();
    cmd->add_option("new", *dst, "Slug of the copy")->required();
    cmd->add_option("--name", *name, "Display name of the copy");
    cmd->callback([&ctx, src, dst, name] {
      ctx.action = [&ctx, src, dst, name] {
        tenancy::TenantProvisioner p(ctx.pool(), ctx.migrations().tenant_plan());
        auto audit = audit_activation(cli_entry("tenant.clone", *dst, {{"source", *src}}));
        auto t = ctx.run(p.clone(SchemaName(*src), SchemaName(*dst), *name, audit));
        std::cout << "cloned " << *src << " into " << t.schema.str() << " (id " << t.id.value << ")\n";
        return 0;
      };
    });
  }
}

void add_domain_commands(CLI::App& app, CliContext& ctx) {
  auto* domain = app.add_subcommand("domain", "Manage tenants' hostnames");
  domain->require_subcommand(1);
  {
    auto* cmd = domain->add_subcommand("add", "Add a hostname to a tenant (its first becomes primary)");
    auto slug = std::make_shared<std::string>(), host = std::make_shared<std::string>();
    auto primary = std::make_shared<bool>(false);
    cmd->add_option("slug", *slug, "The tenant's slug")->required();
    cmd->add_option("domain", *host, "The hostname")->required();
    cmd->add_flag("--primary", *primary, "Make it the primary domain");
    cmd->callback([&ctx, slug, host, primary] {
      ctx.action = [&ctx, slug, host, primary] {
        const DomainName d(*host);
        tenancy::TenantCatalog catalog(ctx.pool(), ctx.config().tenancy);
        ctx.run(catalog.add_domain(SchemaName(*slug), d, *primary));
        std::cout << "added " << d.str() << " to " << *slug << "\n";
        return 0;
      };
    });
  }
  auto one_domain = [&](const char* name, const char* help, auto run) {
    auto* cmd = domain->add_subcommand(name, help);
    auto host = std::make_shared<std::string>();
    cmd->add_option("domain", *host, "The hostname")->required();
    cmd->callback(
        [&ctx, host, run] { ctx.action = [&ctx, host, run] { return run(ctx, DomainName(*host)); }; });
  };
  one_domain("remove", "Remove a hostname (removing the primary promotes the oldest other)",
             [](CliContext& c, const DomainName& d) {
               c.run(tenancy::TenantCatalog(c.pool()).remove_domain(d));
               std::cout << "removed " << d.str() << "\n";
               return 0;
             });
  one_domain("set-primary", "Make a hostname its tenant's primary", [](CliContext& c, const DomainName& d) {
    c.run(tenancy::TenantCatalog(c.pool()).set_primary(d));
    std::cout << d.str() << " is now primary\n";
    return 0;
  });
}

}  // namespace tenantry::cli
