#include "tenantry/tenancy/tenant_resolver.hpp"

#include <gtest/gtest.h>

namespace tenantry::tenancy {
namespace {

using Kind = Resolution::Kind;

Tenant tenant(std::int64_t id, const char* schema, TenantState state, std::vector<std::string> domains = {}) {
  Tenant t{.id = TenantId{id}, .schema = db::SchemaName(schema), .name = schema, .state = state};
  for (auto& d : domains) t.domains.push_back({.domain = std::move(d), .is_primary = t.domains.empty()});
  return t;
}

/// A resolver over an in-memory catalog: acme has its own domain, globex and the others only a subdomain.
class TenantResolverTest : public ::testing::Test {
 protected:
  TenantResolverTest() : directory(db::ConnectOptions{}) {
    directory.replace(
        {tenant(1, "acme", TenantState::kActive, {"shop.acme.example", "acme.localhost"}),
         tenant(2, "globex", TenantState::kActive), tenant(3, "paused", TenantState::kSuspended),
         tenant(4, "fresh", TenantState::kProvisioning), tenant(5, "old", TenantState::kArchived),
         tenant(6, "broken", TenantState::kFailed), tenant(7, "leaving", TenantState::kDropping),
         // Nobody may own a public host; a catalog row saying so must not win.
         tenant(8, "squatter", TenantState::kActive, {"localhost"})});
  }

  Resolution resolve(std::string_view host, std::optional<std::string_view> header = std::nullopt,
                     std::string_view path = "/api/products", std::string_view remote = "192.0.2.1") {
    const TenantResolver resolver(config, directory);
    return resolver.resolve(host, header, path, remote);
  }
  std::string schema_of(const Resolution& r) const { return r.tenant ? r.tenant->schema.str() : "(none)"; }

  Config::Tenancy config;
  TenantDirectory directory;
};

TEST_F(TenantResolverTest, HostMatchesADomainIgnoringCasePortTrailingDotAndWww) {
  for (const char* host : {"shop.acme.example", "SHOP.Acme.Example", "shop.acme.example:8443",
                           "shop.acme.example.", "www.shop.acme.example"}) {
    const Resolution r = resolve(host);
    EXPECT_EQ(r.kind, Kind::kTenant) << host;
    EXPECT_EQ(schema_of(r), "acme") << host;
    EXPECT_EQ(r.resolver, "host") << host;
  }
  config.strip_www = false;
  EXPECT_EQ(resolve("www.shop.acme.example").kind, Kind::kNotFound);
}

TEST_F(TenantResolverTest, SubdomainOfTheBaseDomainForTenantsWithoutADomain) {
  const Resolution r = resolve("globex.localhost:8080");
  EXPECT_EQ(r.kind, Kind::kTenant);
  EXPECT_EQ(schema_of(r), "globex");
  EXPECT_EQ(r.resolver, "subdomain");
  EXPECT_EQ(resolve("www.globex.localhost").resolver, "subdomain");
  EXPECT_EQ(resolve("a.globex.localhost").kind, Kind::kNotFound);  // "a.globex" is no schema
  EXPECT_EQ(resolve("globexlocalhost").kind, Kind::kNotFound);
  config.base_domain = "example.net";
  EXPECT_EQ(resolve("globex.localhost").kind, Kind::kNotFound);
  EXPECT_EQ(schema_of(resolve("globex.example.net")), "globex");
}

TEST_F(TenantResolverTest, ATenantWithADomainIsNotServedOnItsSubdomainUnlessItIsTheDomain) {
  const Resolution listed = resolve("acme.localhost");  // one of acme's domains
  EXPECT_EQ(listed.resolver, "host");
  EXPECT_EQ(schema_of(listed), "acme");
  directory.replace({tenant(1, "acme", TenantState::kActive, {"shop.acme.example"})});
  EXPECT_EQ(resolve("acme.localhost").kind, Kind::kNotFound);
}

TEST_F(TenantResolverTest, TenantStatesDecideTheAnswer) {
  EXPECT_EQ(resolve("paused.localhost").kind, Kind::kSuspended);
  EXPECT_EQ(resolve("fresh.localhost").kind, Kind::kProvisioning);
  for (const char* gone : {"old.localhost", "broken.localhost", "leaving.localhost"}) {
    const Resolution r = resolve(gone);
    EXPECT_EQ(r.kind, Kind::kNotFound) << gone;
    EXPECT_EQ(r.resolver, "subdomain") << gone;  // found, and answered as if it were not
  }
}

TEST_F(TenantResolverTest, PublicHostsServeThePublicRoutesAndAreNobodysDomain) {
  for (const char* host : {"localhost", "LOCALHOST:8080", "127.0.0.1", "www.localhost"}) {
    const Resolution r = resolve(host);
    EXPECT_EQ(r.kind, Kind::kPublic) << host;
    EXPECT_EQ(r.tenant, nullptr) << host;
    EXPECT_EQ(r.resolver, "public") << host;
  }
}

TEST_F(TenantResolverTest, UnknownHostsAre404UnlessConfiguredPublic) {
  const Resolution r = resolve("nobody.example");
  EXPECT_EQ(r.kind, Kind::kNotFound);
  EXPECT_EQ(r.resolver, "");
  config.unknown_host = "public";
  EXPECT_EQ(resolve("nobody.example").kind, Kind::kPublic);
}

TEST_F(TenantResolverTest, HeaderIsIgnoredUntilEnabledAndThenBelievedOnlyFromTrustedNetworks) {
  EXPECT_EQ(resolve("localhost", "globex").kind, Kind::kPublic);  // off by default
  config.header_resolver = true;
  config.header_trusted_networks = {"10.0.0.0/8", "::1"};
  const Resolution trusted = resolve("localhost", "globex", "/api", "10.1.2.3");
  EXPECT_EQ(trusted.kind, Kind::kTenant);
  EXPECT_EQ(schema_of(trusted), "globex");
  EXPECT_EQ(trusted.resolver, "header");
  EXPECT_EQ(schema_of(resolve("shop.acme.example", "globex", "/api", "::1")), "globex");  // before host
  EXPECT_EQ(schema_of(resolve("shop.acme.example", "globex", "/api", "192.0.2.1")), "acme");
}

TEST_F(TenantResolverTest, AnUnknownHeaderTenantIsNotFoundWithoutFallingBack) {
  config.header_resolver = true;
  config.header_trusted_networks = {"10.0.0.0/8"};
  const Resolution r = resolve("shop.acme.example", "nobody", "/api", "10.0.0.1");
  EXPECT_EQ(r.kind, Kind::kNotFound);
  EXPECT_EQ(r.resolver, "header");
}

TEST_F(TenantResolverTest, TheHeaderResolverWithoutTrustedNetworksIsAConfigError) {
  config.header_resolver = true;
  EXPECT_THROW(resolve("localhost", "globex"), ConfigError);
  config.header_trusted_networks = {"not-a-network"};
  EXPECT_THROW(resolve("localhost", "globex"), ConfigError);
}

TEST_F(TenantResolverTest, PathPrefixOnPublicHostsOnlyWhenEnabled) {
  EXPECT_EQ(resolve("localhost", std::nullopt, "/t/globex/api/products").kind, Kind::kPublic);  // off
  config.path_resolver = true;
  const Resolution r = resolve("localhost", std::nullopt, "/t/globex/api/products");
  EXPECT_EQ(r.kind, Kind::kTenant);
  EXPECT_EQ(schema_of(r), "globex");
  EXPECT_EQ(r.resolver, "path");
  EXPECT_EQ(r.path_prefix, std::string_view("/t/globex").size());
  EXPECT_EQ(resolve("localhost", std::nullopt, "/t/globex").path_prefix,
            std::string_view("/t/globex").size());
  // On a tenant's own host the path cannot reach another tenant.
  const Resolution own = resolve("shop.acme.example", std::nullopt, "/t/globex/api/products");
  EXPECT_EQ(schema_of(own), "acme");
  EXPECT_EQ(own.path_prefix, 0u);
  const Resolution unknown = resolve("localhost", std::nullopt, "/t/nobody/api");
  EXPECT_EQ(unknown.kind, Kind::kNotFound);
  EXPECT_EQ(unknown.resolver, "path");
}

TEST_F(TenantResolverTest, TheConfiguredOrderDecides) {
  config.header_resolver = true;
  config.header_trusted_networks = {"192.0.2.0/24"};
  config.resolvers = {"host", "header"};
  EXPECT_EQ(schema_of(resolve("shop.acme.example", "globex")), "acme");
  config.resolvers = {"header", "host"};
  EXPECT_EQ(schema_of(resolve("shop.acme.example", "globex")), "globex");
  config.resolvers = {"host"};
  EXPECT_EQ(resolve("globex.localhost").kind, Kind::kNotFound);  // no subdomain resolver
}

TEST_F(TenantResolverTest, TheSnapshotKeepsTheTenantAliveAcrossAReload) {
  const Resolution r = resolve("globex.localhost");
  directory.replace({});
  ASSERT_NE(r.tenant, nullptr);
  EXPECT_EQ(r.tenant->schema.str(), "globex");
  EXPECT_EQ(resolve("globex.localhost").kind, Kind::kNotFound);
}

TEST(NormaliseHost, LowerCasesAndDropsPortAndTrailingDot) {
  EXPECT_EQ(TenantResolver::normalise_host("Shop.Example.COM.:8443"), "shop.example.com");
  EXPECT_EQ(TenantResolver::normalise_host("[::1]:8080"), "[::1]");
  EXPECT_EQ(TenantResolver::normalise_host("[::1]"), "[::1]");
  EXPECT_EQ(TenantResolver::normalise_host(""), "");
}

}  // namespace
}  // namespace tenantry::tenancy
