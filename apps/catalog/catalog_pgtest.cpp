// The products API over HTTP: CRUD, validation, roles, pages, filters, ordering, plan limits, isolation.
#include <algorithm>
#include <set>
#include <thread>

#include "tenant_test_case.hpp"
#include "tenantry/http/problem.hpp"

namespace tenantry::apps::catalog {
namespace {

using testing::error_fields;
using testing::HttpResponse;
using testing::json;
using testing::str;

class CatalogTest : public testing::TenantTestCase {
 protected:
  static boost::json::object product(const std::string& sku, std::int64_t price = 1000) {
    return {{"sku", sku}, {"name", "Product " + sku}, {"price_cents", price}};
  }
  /// Every field, as PUT requires.
  static boost::json::object replacement(const std::string& sku) {
    return {{"sku", sku},     {"name", "x"},      {"description", ""},
            {"category", ""}, {"price_cents", 1}, {"stock", 0}};
  }
  static std::string path(std::int64_t id) { return "/api/products/" + std::to_string(id); }

  /// Creates a product as the owner and returns its id.
  std::int64_t create(const std::string& sku, const std::string& store = kStore) {
    auto r = post("/api/products", product(sku), "owner", store);
    EXPECT_EQ(r.status, 201) << r.body;
    return json(r)["id"].as_int64();
  }

  /// Five products whose orderings all differ (names and SKUs start with distinct capitals, so any collation
  /// sorts them alike), two of them out of stock, with known creation times.
  void seed() {
    sql("INSERT INTO products (sku, name, category, price_cents, stock, created_at) VALUES "
        "('CAB-1', 'USB Cable', 'accessories', 500, 10, '2024-01-03'), "
        "('SCR-2', 'Phone Screen', 'screens', 9000, 0, '2024-01-01'), "
        "('BAT-3', 'Laptop Battery', 'batteries', 4500, 3, '2024-01-05'), "
        "('CHG-4', 'Charger', 'accessories', 1500, 0, '2024-01-02'), "
        "('KBD-5', 'Keyboard', 'keyboards', 3000, 7, '2024-01-04')");
  }

  /// The SKUs of a list response, in order.
  std::vector<std::string> skus(const std::string& query) {
    auto r = get("/api/products" + query, "viewer");
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::string> out;
    if (r.status != 200) return out;
    const auto body = json(r);
    for (const auto& p : body.at("results").as_array()) out.emplace_back(p.at("sku").as_string());
    return out;
  }
};

using Skus = std::vector<std::string>;

std::string problem_type(const HttpResponse& r) {
  auto body = json(r);
  auto* type = body.if_contains("type");
  return type && type->is_string() ? std::string(type->as_string()) : "";
}

std::string problem(const char* slug) {
  return std::string(http::kProblemTypeBase) + slug;
}

TEST_F(CatalogTest, CreateFillsDefaultsAndGetReturnsTheSameProduct) {
  auto r = post("/api/products", product("SCR-1", 8900), "staff");
  ASSERT_EQ(r.status, 201) << r.body;
  auto body = json(r);
  EXPECT_GT(body["id"].as_int64(), 0);
  EXPECT_EQ(body["sku"], "SCR-1");
  EXPECT_EQ(body["name"], "Product SCR-1");
  EXPECT_EQ(body["description"], "");
  EXPECT_EQ(body["category"], "");
  EXPECT_EQ(body["price_cents"], 8900);
  EXPECT_EQ(body["stock"], 0);
  EXPECT_EQ(body["created_at"], body["updated_at"]);
  EXPECT_EQ(body["created_at"].as_string().size(), std::string("2024-01-01T00:00:00.000Z").size());
  auto got = get(path(body["id"].as_int64()), "viewer");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(json(got), body);

  auto full = post("/api/products", {{"sku", "KBD-1"},
                                     {"name", "Clavier é"},
                                     {"description", "AZERTY"},
                                     {"category", "keyboards"},
                                     {"price_cents", 0},
                                     {"stock", 4}});
  ASSERT_EQ(full.status, 201) << full.body;
  EXPECT_EQ(json(full)["name"], "Clavier é");
  EXPECT_EQ(json(full)["stock"], 4);
  EXPECT_EQ(json(full)["category"], "keyboards");
}

TEST_F(CatalogTest, InvalidBodiesListEveryBadField) {
  auto missing = post("/api/products", boost::json::object{});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(problem_type(missing), problem("validation-error"));
  EXPECT_EQ(error_fields(missing), (std::set<std::string>{"sku", "name", "price_cents"}));

  auto bad = post("/api/products", {{"sku", ""},
                                    {"name", std::string(201, 'n')},
                                    {"description", std::string(5001, 'd')},
                                    {"category", std::string(101, 'c')},
                                    {"price_cents", -1},
                                    {"stock", -1},
                                    {"colour", "red"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_fields(bad), (std::set<std::string>{"sku", "name", "description", "category", "price_cents",
                                                      "stock", "colour"}));

  auto types =
      post("/api/products", {{"sku", 12}, {"name", nullptr}, {"price_cents", "100"}, {"stock", 1.5}});
  EXPECT_EQ(types.status, 400);
  EXPECT_EQ(error_fields(types), (std::set<std::string>{"sku", "name", "price_cents", "stock"}));

  auto too_long_sku = post("/api/products", product(std::string(65, 's')));
  EXPECT_EQ(error_fields(too_long_sku), (std::set<std::string>{"sku"}));
  // Limits count characters, not bytes: 64 two-byte characters are a valid SKU.
  std::string wide;
  for (int i = 0; i < 64; ++i) wide += "é";
  EXPECT_EQ(post("/api/products", product(wide)).status, 201);

  auto not_json = request(
      "POST", "/api/products",
      {"Host: " + host(), "Authorization: Bearer " + token("owner"), "Content-Type: application/json"},
      "{not json");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(problem_type(not_json), problem("invalid-json"));
  EXPECT_EQ(sql("SELECT count(*) FROM products"), "1");
}

TEST_F(CatalogTest, PutReplacesEveryFieldAndRequiresThemAll) {
  const auto id = create("OLD-1");
  auto partial = put(path(id), {{"sku", "NEW-1"}, {"name", "New"}, {"price_cents", 5}}, "staff");
  EXPECT_EQ(partial.status, 400);
  EXPECT_EQ(error_fields(partial), (std::set<std::string>{"description", "category", "stock"}));

  const boost::json::object full{
      {"sku", "NEW-1"},       {"name", "New name"},   {"description", "Refurbished"},
      {"category", "phones"}, {"price_cents", 12345}, {"stock", 9}};
  auto r = put(path(id), full, "staff");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = json(r);
  for (const auto& [key, value] : full) EXPECT_EQ(body[key], value) << key;
  EXPECT_EQ(body["id"], id);
  EXPECT_EQ(json(get(path(id)))["sku"], "NEW-1");
}

TEST_F(CatalogTest, PatchChangesOnlyTheGivenFieldsAndUpdatedAtOnlyOnChange) {
  const auto id = create("PAT-1");
  sql("UPDATE products SET created_at = '2020-01-01', updated_at = '2020-01-01'");
  const std::string old_time = "2020-01-01T00:00:00.000Z";

  auto same = patch(path(id), {{"sku", "PAT-1"}, {"price_cents", 1000}}, "staff");
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(str(json(same)["updated_at"]), old_time);
  EXPECT_EQ(patch(path(id), boost::json::object{}, "staff").status, 200);
  EXPECT_EQ(str(json(get(path(id)))["updated_at"]), old_time);

  auto changed = patch(path(id), {{"stock", 3}, {"description", "Boxed"}}, "staff");
  ASSERT_EQ(changed.status, 200) << changed.body;
  auto body = json(changed);
  EXPECT_EQ(body["stock"], 3);
  EXPECT_EQ(body["description"], "Boxed");
  EXPECT_EQ(body["sku"], "PAT-1");
  EXPECT_EQ(body["name"], "Product PAT-1");
  EXPECT_EQ(body["price_cents"], 1000);
  EXPECT_EQ(str(body["created_at"]), old_time);
  EXPECT_NE(str(body["updated_at"]), old_time);

  auto bad = patch(path(id), {{"price_cents", -5}, {"name", ""}, {"id", 7}}, "staff");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_fields(bad), (std::set<std::string>{"price_cents", "name"}));  // id: read-only, ignored
  auto nulls = patch(path(id), {{"category", nullptr}}, "staff");
  EXPECT_EQ(error_fields(nulls), (std::set<std::string>{"category"}));
}

TEST_F(CatalogTest, DuplicateSkusAreConflicts) {
  const auto a = create("DUP-A");
  const auto b = create("DUP-B");
  auto again = post("/api/products", product("DUP-A"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(problem_type(again), problem("duplicate-sku"));
  EXPECT_EQ(patch(path(b), {{"sku", "DUP-A"}}).status, 409);
  EXPECT_EQ(put(path(b), replacement("DUP-A")).status, 409);
  EXPECT_EQ(patch(path(a), {{"sku", "DUP-A"}}).status, 200);
  // SKUs are case-sensitive: another case is another SKU.
  EXPECT_EQ(post("/api/products", product("dup-a")).status, 201);
  EXPECT_EQ(sql("SELECT count(*) FROM products"), "3");
}

TEST_F(CatalogTest, UnknownOrNonNumericIdsAreNotFound) {
  const auto id = create("DEL-1");
  const std::vector<std::string> targets{path(999999), "/api/products/abc", "/api/products/-1",
                                         "/api/products/1.5"};
  for (const auto& target : targets) {
    auto r = get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(problem_type(r), problem("not-found")) << target;
  }
  EXPECT_EQ(put(path(999999), replacement("X")).status, 404);
  EXPECT_EQ(patch(path(999999), {{"stock", 1}}).status, 404);
  EXPECT_EQ(del(path(999999)).status, 404);
  EXPECT_EQ(patch("/api/products/abc", {{"stock", 1}}).status, 404);

  auto deleted = del(path(id), "staff");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  EXPECT_EQ(get(path(id)).status, 404);
  EXPECT_EQ(del(path(id)).status, 404);
}

TEST_F(CatalogTest, ViewersReadStaffAndUpWriteAnonymousIsRefused) {
  const boost::json::object full{{"sku", "PUT"},   {"name", "Put"},    {"description", ""},
                                 {"category", ""}, {"price_cents", 1}, {"stock", 1}};
  for (const std::string role : {"owner", "admin", "staff", "viewer"}) {
    const bool writer = role != "viewer";
    const auto id = create("ROLE-" + role);
    auto created = post("/api/products", product("NEW-" + role), role);
    EXPECT_EQ(created.status, writer ? 201 : 403) << role;
    if (!writer) {
      EXPECT_EQ(problem_type(created), problem("permission-denied"));
    }
    auto replaced = full;
    replaced["sku"] = "PUT-" + role;
    EXPECT_EQ(put(path(id), replaced, role).status, writer ? 200 : 403) << role;
    EXPECT_EQ(patch(path(id), {{"stock", 2}}, role).status, writer ? 200 : 403) << role;
    EXPECT_EQ(get(path(id), role).status, 200) << role;
    EXPECT_EQ(get("/api/products", role).status, 200) << role;
    EXPECT_EQ(del(path(id), role).status, writer ? 204 : 403) << role;
  }
  EXPECT_EQ(sql("SELECT count(*) FROM products WHERE sku = 'ROLE-viewer' AND stock = 0"), "1");

  const auto id = create("ANON");
  EXPECT_EQ(get("/api/products", "").status, 401);
  EXPECT_EQ(get(path(id), "").status, 401);
  EXPECT_EQ(post("/api/products", product("ANON-2"), "").status, 401);
  EXPECT_EQ(put(path(id), full, "").status, 401);
  EXPECT_EQ(patch(path(id), {{"stock", 2}}, "").status, 401);
  auto anonymous_delete = del(path(id), "");
  EXPECT_EQ(anonymous_delete.status, 401);
  EXPECT_EQ(problem_type(anonymous_delete), problem("not-authenticated"));
  EXPECT_EQ(get(path(id)).status, 200);
}

TEST_F(CatalogTest, PagesLinkLikeDjangoRestFramework) {
  seed();
  auto first = json(get("/api/products?limit=2", "viewer"));
  EXPECT_EQ(first["count"], 5);
  EXPECT_EQ(first["results"].as_array().size(), 2u);
  EXPECT_EQ(first["next"], "http://store.localhost/api/products?limit=2&offset=2");
  EXPECT_TRUE(first["previous"].is_null());

  auto middle = json(get("/api/products?limit=2&offset=2", "viewer"));
  EXPECT_EQ(middle["next"], "http://store.localhost/api/products?limit=2&offset=4");
  EXPECT_EQ(middle["previous"], "http://store.localhost/api/products?limit=2");
  EXPECT_EQ(middle["results"].at(0).at("sku"), "BAT-3");

  auto last = json(get("/api/products?limit=2&offset=4", "viewer"));
  EXPECT_EQ(last["results"].as_array().size(), 1u);
  EXPECT_TRUE(last["next"].is_null());
  EXPECT_EQ(last["previous"], "http://store.localhost/api/products?limit=2&offset=2");

  auto beyond = json(get("/api/products?offset=50", "viewer"));
  EXPECT_EQ(beyond["count"], 5);
  EXPECT_TRUE(beyond["results"].as_array().empty());

  // Filters and ordering stay in the links; the count is of the filtered products.
  auto filtered = json(get("/api/products?category=accessories&ordering=-id&limit=1", "viewer"));
  EXPECT_EQ(filtered["count"], 2);
  EXPECT_EQ(filtered["results"].at(0).at("sku"), "CHG-4");
  EXPECT_EQ(filtered["next"],
            "http://store.localhost/api/products?category=accessories&ordering=-id&limit=1&offset=1");

  auto all = json(get("/api/products", "viewer"));
  EXPECT_EQ(all["results"].as_array().size(), 5u);
  EXPECT_TRUE(all["next"].is_null());

  auto bad = get("/api/products?limit=0&offset=-1", "viewer");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_fields(bad), (std::set<std::string>{"limit", "offset"}));
  EXPECT_EQ(get("/api/products?limit=101", "viewer").status, 400);
  EXPECT_EQ(error_fields(get("/api/products?offset=x", "viewer")), (std::set<std::string>{"offset"}));
}

TEST_F(CatalogTest, EveryFilterNarrowsTheList) {
  seed();
  EXPECT_EQ(skus("?q=cab"), (Skus{"CAB-1"}));     // SKU and name, either case
  EXPECT_EQ(skus("?q=kbd"), (Skus{"KBD-5"}));     // SKU only
  EXPECT_EQ(skus("?q=SCREEN"), (Skus{"SCR-2"}));  // name only
  EXPECT_EQ(skus("?q=a"), (Skus{"CAB-1", "BAT-3", "CHG-4", "KBD-5"}));
  EXPECT_EQ(skus("?q=%25"), (Skus{}));  // a literal '%', not a wildcard
  EXPECT_EQ(skus("?category=accessories"), (Skus{"CAB-1", "CHG-4"}));
  EXPECT_EQ(skus("?category=access"), (Skus{}));  // exact
  EXPECT_EQ(skus("?min_price=1500"), (Skus{"SCR-2", "BAT-3", "CHG-4", "KBD-5"}));
  EXPECT_EQ(skus("?max_price=1500"), (Skus{"CAB-1", "CHG-4"}));
  EXPECT_EQ(skus("?min_price=1500&max_price=4500"), (Skus{"BAT-3", "CHG-4", "KBD-5"}));
  EXPECT_EQ(skus("?in_stock=true"), (Skus{"CAB-1", "BAT-3", "KBD-5"}));
  EXPECT_EQ(skus("?in_stock=1"), (Skus{"CAB-1", "BAT-3", "KBD-5"}));
  EXPECT_EQ(skus("?in_stock=false"), (Skus{"SCR-2", "CHG-4"}));
  EXPECT_EQ(skus("?in_stock=0"), (Skus{"SCR-2", "CHG-4"}));
  EXPECT_EQ(skus("?category=accessories&in_stock=true&q=usb&max_price=500"), (Skus{"CAB-1"}));

  auto bad = get("/api/products?min_price=abc&max_price=1.5&in_stock=maybe&limit=x", "viewer");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(problem_type(bad), problem("validation-error"));
  EXPECT_EQ(error_fields(bad), (std::set<std::string>{"min_price", "max_price", "in_stock", "limit"}));
  EXPECT_EQ(error_fields(get("/api/products?min_price=", "viewer")), (std::set<std::string>{"min_price"}));
}

TEST_F(CatalogTest, EveryWhitelistedOrderingAndNothingElse) {
  seed();
  EXPECT_EQ(skus(""), (Skus{"CAB-1", "SCR-2", "BAT-3", "CHG-4", "KBD-5"}));
  EXPECT_EQ(skus("?ordering=id"), (Skus{"CAB-1", "SCR-2", "BAT-3", "CHG-4", "KBD-5"}));
  EXPECT_EQ(skus("?ordering=-id"), (Skus{"KBD-5", "CHG-4", "BAT-3", "SCR-2", "CAB-1"}));
  EXPECT_EQ(skus("?ordering=sku"), (Skus{"BAT-3", "CAB-1", "CHG-4", "KBD-5", "SCR-2"}));
  EXPECT_EQ(skus("?ordering=-sku"), (Skus{"SCR-2", "KBD-5", "CHG-4", "CAB-1", "BAT-3"}));
  EXPECT_EQ(skus("?ordering=name"), (Skus{"CHG-4", "KBD-5", "BAT-3", "SCR-2", "CAB-1"}));
  EXPECT_EQ(skus("?ordering=-name"), (Skus{"CAB-1", "SCR-2", "BAT-3", "KBD-5", "CHG-4"}));
  EXPECT_EQ(skus("?ordering=price_cents"), (Skus{"CAB-1", "CHG-4", "KBD-5", "BAT-3", "SCR-2"}));
  EXPECT_EQ(skus("?ordering=-price_cents"), (Skus{"SCR-2", "BAT-3", "KBD-5", "CHG-4", "CAB-1"}));
  // Equal stocks fall back to id, so that pages never overlap.
  EXPECT_EQ(skus("?ordering=stock"), (Skus{"SCR-2", "CHG-4", "BAT-3", "KBD-5", "CAB-1"}));
  EXPECT_EQ(skus("?ordering=-stock"), (Skus{"CAB-1", "KBD-5", "BAT-3", "SCR-2", "CHG-4"}));
  EXPECT_EQ(skus("?ordering=stock,name"), (Skus{"CHG-4", "SCR-2", "BAT-3", "KBD-5", "CAB-1"}));
  EXPECT_EQ(skus("?ordering=created_at"), (Skus{"SCR-2", "CHG-4", "CAB-1", "KBD-5", "BAT-3"}));
  EXPECT_EQ(skus("?ordering=-created_at"), (Skus{"BAT-3", "KBD-5", "CAB-1", "CHG-4", "SCR-2"}));

  for (const std::string bad :
       {"description", "-", "name,", "price", "name;DROP%20TABLE%20products", "--id"}) {
    auto r = get("/api/products?ordering=" + bad, "viewer");
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(error_fields(r), (std::set<std::string>{"ordering"})) << bad;
  }
  EXPECT_EQ(sql("SELECT count(*) FROM products"), "5");
}

TEST_F(CatalogTest, ThePlanLimitsProducts) {
  config.plans["free"].max_products = 3;
  for (int i = 0; i < 3; ++i) create("LIM-" + std::to_string(i));
  auto fourth = post("/api/products", product("LIM-3"), "staff");
  EXPECT_EQ(fourth.status, 403);
  auto body = json(fourth);
  EXPECT_EQ(str(body["type"]), problem("plan-limit-reached"));
  EXPECT_EQ(body["limit"], "max_products");
  EXPECT_EQ(body["max"], 3);
  EXPECT_EQ(sql("SELECT count(*) FROM products"), "3");
  // Room again after a deletion; other stores have their own count.
  EXPECT_EQ(del(path(json(get("/api/products?limit=1"))["results"].at(0).at("id").as_int64())).status, 204);
  EXPECT_EQ(post("/api/products", product("LIM-3")).status, 201);
  EXPECT_EQ(post("/api/products", product("LIM-4")).status, 403);
  EXPECT_EQ(post("/api/products", product("LIM-4"), "owner", kOtherStore).status, 201);
}

TEST_F(CatalogTest, ConcurrentCreationsCannotPassThePlanLimit) {
  config.plans["free"].max_products = 3;
  const std::string bearer = "Authorization: Bearer " + token("staff");
  const auto server = port();
  constexpr int kClients = 8;
  std::vector<int> statuses(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i)
    threads.emplace_back([&, i] {
      testing::HttpClient client(server);
      const auto body = boost::json::serialize(product("RACE-" + std::to_string(i)));
      statuses[i] = client
                        .request("POST", "/api/products",
                                 {"Host: " + host(), bearer, "Content-Type: application/json"}, body)
                        .status;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), 3);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 403), kClients - 3);
  EXPECT_EQ(sql("SELECT count(*) FROM products"), "3");
}

TEST_F(CatalogTest, StoresAreIsolated) {
  const auto id = create("SAME-SKU");
  EXPECT_EQ(post("/api/products", product("SAME-SKU"), "owner", kOtherStore).status, 201);
  const auto only_here = create("ONLY-HERE");
  EXPECT_EQ(get(path(only_here), "owner", kOtherStore).status, 404);
  EXPECT_EQ(patch(path(only_here), {{"stock", 5}}, "owner", kOtherStore).status, 404);
  EXPECT_EQ(del(path(only_here), "owner", kOtherStore).status, 404);
  EXPECT_EQ(get(path(only_here)).status, 200);

  auto other_list = json(get("/api/products", "owner", kOtherStore));
  EXPECT_EQ(other_list["count"], 1);
  EXPECT_EQ(other_list["results"].at(0).at("sku"), "SAME-SKU");
  EXPECT_EQ(json(get("/api/products"))["count"], 2);

  // A token of one store is refused by the other, even for reading.
  const std::string store_token = "Authorization: Bearer " + token("owner");
  EXPECT_EQ(request("GET", "/api/products", {"Host: " + host(kOtherStore), store_token}).status, 401);
  EXPECT_EQ(request("GET", path(id), {"Host: " + host(kOtherStore), store_token}).status, 401);
  EXPECT_EQ(request("POST", "/api/products",
                    {"Host: " + host(kOtherStore), store_token, "Content-Type: application/json"},
                    boost::json::serialize(product("SNEAK")))
                .status,
            401);
  EXPECT_EQ(sql("SELECT count(*) FROM products", kOtherStore), "1");
}

}  // namespace
}  // namespace tenantry::apps::catalog
