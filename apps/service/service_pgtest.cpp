// The tickets API over HTTP: creation, validation of references, patches, roles, lists, isolation (the status
// workflow and notes: workflow_pgtest.cpp).
#include <array>
#include <set>

#include "apps/service/service_test_case.hpp"

namespace tenantry::apps::service {
namespace {

TEST_F(ServiceTest, CreationOpensAReceivedTicketWithACreatedEvent) {
  auto r = post("/api/tickets", ticket(), "staff");
  ASSERT_EQ(r.status, 201) << r.body;
  auto body = json(r);
  EXPECT_GT(body["id"].as_int64(), 0);
  EXPECT_EQ(body["status"], "received");
  EXPECT_EQ(body["customer_name"], "Ada Lovelace");
  EXPECT_EQ(body["customer_email"], "");
  EXPECT_EQ(body["device"], "Pixel 7");
  EXPECT_EQ(body["problem"], "Cracked screen");
  EXPECT_TRUE(body["product_id"].is_null());
  EXPECT_TRUE(body["assigned_to"].is_null());
  EXPECT_TRUE(body["closed_at"].is_null());
  EXPECT_EQ(body["created_at"], body["updated_at"]);
  const auto& events = body["events"].as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("kind"), "created");
  EXPECT_EQ(events[0].at("to_status"), "received");
  EXPECT_TRUE(events[0].at("from_status").is_null());
  EXPECT_EQ(events[0].at("user_id"), user_id("staff@store.test"));

  auto got = get(path(body["id"].as_int64()), "viewer");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(json(got), body);
}

TEST_F(ServiceTest, CreationChecksTheProductAndTheAssigneeInThisStore) {
  sql("INSERT INTO products (sku, name, price_cents) VALUES ('SCR-1', 'Screen', 100)");
  const auto product = std::stoll(sql("SELECT id FROM products"));
  const auto staff = user_id("staff@store.test");
  auto body = ticket();
  body["customer_email"] = "Ada@Example.com";
  body["product_id"] = product;
  body["assigned_to"] = staff;
  auto r = post("/api/tickets", body, "staff");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json(r)["product_id"], product);
  EXPECT_EQ(json(r)["assigned_to"], staff);
  EXPECT_EQ(json(r)["customer_email"], "ada@example.com");

  // A product id that exists only in the other store, and a user who is a member of the other store only.
  sql("INSERT INTO products (sku, name, price_cents) VALUES ('A', 'A', 1), ('B', 'B', 1)", kOtherStore);
  auto strangers = ticket();
  strangers["product_id"] = std::stoll(sql("SELECT max(id) FROM products", kOtherStore));
  strangers["assigned_to"] = user_id("owner@other.test");
  auto refused = post("/api/tickets", strangers, "staff");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), (std::set<std::string>{"product_id", "assigned_to"}));

  auto nobody = ticket();
  nobody["assigned_to"] = 999999;
  EXPECT_EQ(error_fields(post("/api/tickets", nobody, "staff")), (std::set<std::string>{"assigned_to"}));
  // Any member can be assigned, whatever their role.
  nobody["assigned_to"] = user_id("viewer@store.test");
  EXPECT_EQ(post("/api/tickets", nobody, "staff").status, 201);
  EXPECT_EQ(sql("SELECT count(*) FROM tickets"), "2");
}

TEST_F(ServiceTest, InvalidBodiesListEveryBadField) {
  auto missing = post("/api/tickets", boost::json::object{}, "staff");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(error_fields(missing), (std::set<std::string>{"customer_name", "device", "problem"}));

  auto bad = post("/api/tickets",
                  {{"customer_name", ""},
                   {"customer_email", "not-an-email"},
                   {"device", std::string(201, 'd')},
                   {"problem", std::string(5001, 'p')},
                   {"product_id", "one"},
                   {"assigned_to", 0},
                   {"status", "ready"}},
                  "staff");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(str(json(bad)["type"]), problem("validation-error"));
  // status is read-only (it changes through /transition): ignored, as a GET's body sent back would have it.
  EXPECT_EQ(error_fields(bad), (std::set<std::string>{"customer_name", "customer_email", "device", "problem",
                                                      "product_id", "assigned_to"}));
  // Shape errors and reference errors come together.
  auto both = ticket();
  both["device"] = "";
  both["product_id"] = 424242;
  EXPECT_EQ(error_fields(post("/api/tickets", both, "staff")),
            (std::set<std::string>{"device", "product_id"}));
  EXPECT_EQ(sql("SELECT count(*) FROM tickets"), "0");
}

TEST_F(ServiceTest, UnknownOrNonNumericTicketsAreNotFound) {
  const std::vector<std::string> targets{path(999999), "/api/tickets/abc", "/api/tickets/-3"};
  for (const auto& target : targets) {
    auto r = get(target, "viewer");
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(str(json(r)["type"]), problem("not-found")) << target;
  }
  EXPECT_EQ(patch(path(999999), {{"device", "x"}}, "staff").status, 404);
  EXPECT_EQ(transition(999999, "diagnosing").status, 404);
  EXPECT_EQ(post(path(999999, "/notes"), {{"text", "x"}}, "staff").status, 404);
  EXPECT_EQ(post("/api/tickets/abc/notes", {{"text", "x"}}, "staff").status, 404);
  EXPECT_EQ(post("/api/tickets/abc/transition", {{"to", "ready"}}, "staff").status, 404);
}

TEST_F(ServiceTest, PatchChangesFieldsAndRecordsAssignments) {
  const auto id = open();
  sql("UPDATE tickets SET created_at = '2020-01-01', updated_at = '2020-01-01'");
  const std::string old_time = "2020-01-01T00:00:00.000Z";
  auto same = patch(path(id), {{"device", "Pixel 7"}, {"assigned_to", nullptr}}, "staff");
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(str(json(same)["updated_at"]), old_time);
  EXPECT_EQ(json(same)["events"].as_array().size(), 1u);

  sql("INSERT INTO products (sku, name, price_cents) VALUES ('BAT-1', 'Battery', 100)");
  const auto product = std::stoll(sql("SELECT id FROM products"));
  const auto staff = user_id("staff@store.test");
  auto changed = patch(path(id),
                       {{"customer_name", "Grace Hopper"},
                        {"customer_email", "grace@example.com"},
                        {"device", "Pixel 8"},
                        {"problem", "Battery drains"},
                        {"product_id", product},
                        {"assigned_to", staff}},
                       "admin");
  ASSERT_EQ(changed.status, 200) << changed.body;
  auto body = json(changed);
  EXPECT_EQ(body["customer_name"], "Grace Hopper");
  EXPECT_EQ(body["customer_email"], "grace@example.com");
  EXPECT_EQ(body["device"], "Pixel 8");
  EXPECT_EQ(body["problem"], "Battery drains");
  EXPECT_EQ(body["product_id"], product);
  EXPECT_EQ(body["assigned_to"], staff);
  EXPECT_EQ(body["status"], "received");
  EXPECT_NE(str(body["updated_at"]), old_time);
  EXPECT_EQ(str(body["created_at"]), old_time);
  auto events = body["events"].as_array();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].at("kind"), "assigned");
  EXPECT_EQ(events[1].at("assigned_to"), staff);
  EXPECT_EQ(events[1].at("user_id"), user_id("admin@store.test"));

  // The same assignee again is no event; null unassigns (an event) and clears the product and e-mail.
  EXPECT_EQ(json(patch(path(id), {{"assigned_to", staff}}, "staff"))["events"].as_array().size(), 2u);
  auto cleared = json(patch(
      path(id), {{"assigned_to", nullptr}, {"product_id", nullptr}, {"customer_email", nullptr}}, "staff"));
  EXPECT_TRUE(cleared["assigned_to"].is_null());
  EXPECT_TRUE(cleared["product_id"].is_null());
  EXPECT_EQ(cleared["customer_email"], "");
  ASSERT_EQ(cleared["events"].as_array().size(), 3u);
  EXPECT_EQ(cleared["events"].at(2).at("kind"), "assigned");
  EXPECT_TRUE(cleared["events"].at(2).at("assigned_to").is_null());

  auto refused =
      patch(path(id), {{"status", "ready"}, {"assigned_to", 999999}, {"customer_name", ""}}, "staff");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), (std::set<std::string>{"assigned_to", "customer_name"}));
  EXPECT_EQ(error_fields(patch(path(id), {{"product_id", 999999}}, "staff")),
            (std::set<std::string>{"product_id"}));
  EXPECT_EQ(json(get(path(id)))["status"], "received");
}

TEST_F(ServiceTest, ViewersReadStaffAndUpWriteAnonymousIsRefused) {
  for (const std::string role : {"owner", "admin", "staff", "viewer"}) {
    const bool writer = role != "viewer";
    const auto id = open();
    auto created = post("/api/tickets", ticket(role), role);
    EXPECT_EQ(created.status, writer ? 201 : 403) << role;
    if (!writer) {
      EXPECT_EQ(str(json(created)["type"]), problem("permission-denied"));
    }
    EXPECT_EQ(patch(path(id), {{"device", "iPad " + role}}, role).status, writer ? 200 : 403) << role;
    EXPECT_EQ(transition(id, "diagnosing", role).status, writer ? 200 : 403) << role;
    EXPECT_EQ(post(path(id, "/notes"), {{"text", "hi"}}, role).status, writer ? 201 : 403) << role;
    EXPECT_EQ(get(path(id), role).status, 200) << role;
    EXPECT_EQ(get("/api/tickets", role).status, 200) << role;
  }
  EXPECT_EQ(sql("SELECT count(*) FROM tickets WHERE customer_name = 'viewer'"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM tickets WHERE status = 'received'"), "4");  // the viewer's + 3 created

  const auto id = open();
  for (const auto& r : {get("/api/tickets", ""), get(path(id), ""), post("/api/tickets", ticket(), ""),
                        patch(path(id), {{"device", "x"}}, ""), transition(id, "diagnosing", ""),
                        post(path(id, "/notes"), {{"text", "x"}}, "")}) {
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(str(json(r)["type"]), problem("not-authenticated"));
  }
  EXPECT_EQ(json(get(path(id)))["status"], "received");
}

TEST_F(ServiceTest, ListsPageFilterAndOrder) {
  const auto staff = user_id("staff@store.test");
  const auto admin = user_id("admin@store.test");
  sql("INSERT INTO products (sku, name, price_cents) VALUES ('SCR-1', 'Screen', 100)");
  const auto product = std::stoll(sql("SELECT id FROM products"));
  sql("INSERT INTO tickets (customer_name, customer_email, device, problem, status, assigned_to, product_id, "
      "created_at, updated_at, closed_at) VALUES "
      "('Bob', 'bob@example.com', 'iPhone 12', 'p', 'repairing', " +
      std::to_string(staff) + ", " + std::to_string(product) +
      ", '2024-01-02', '2024-01-09', NULL), "
      "('alice', 'alice@example.com', 'ThinkPad', 'p', 'received', NULL, NULL, '2024-01-04', '2024-01-05', "
      "NULL), "
      "('Carol', '', 'iPhone 13', 'p', 'delivered', " +
      std::to_string(admin) +
      ", NULL, '2024-01-01', '2024-01-06', '2024-01-06'), "
      "('Dan', 'dan@iphone.example', 'Galaxy', 'p', 'cancelled', NULL, NULL, '2024-01-03', '2024-01-07', "
      "'2024-01-07')");
  const auto first = std::stoll(sql("SELECT min(id) FROM tickets"));
  const Ids all{first, first + 1, first + 2, first + 3};
  const auto [bob, alice, carol, dan] = std::array{all[0], all[1], all[2], all[3]};

  auto page = json(get("/api/tickets?limit=3", "viewer"));
  EXPECT_EQ(page["count"], 4);
  EXPECT_EQ(page["next"], "http://store.localhost/api/tickets?limit=3&offset=3");
  EXPECT_TRUE(page["previous"].is_null());
  EXPECT_FALSE(page["results"].at(0).as_object().contains("events"));
  auto rest = json(get("/api/tickets?limit=3&offset=3", "viewer"));
  EXPECT_TRUE(rest["next"].is_null());
  EXPECT_EQ(rest["previous"], "http://store.localhost/api/tickets?limit=3");
  EXPECT_EQ(rest["results"].as_array().size(), 1u);

  EXPECT_EQ(ids(""), all);
  EXPECT_EQ(ids("?status=received"), (Ids{alice}));
  EXPECT_EQ(ids("?status=delivered"), (Ids{carol}));
  EXPECT_EQ(ids("?status=ready"), (Ids{}));
  EXPECT_EQ(ids("?open=true"), (Ids{bob, alice}));
  EXPECT_EQ(ids("?open=false"), (Ids{carol, dan}));
  EXPECT_EQ(ids("?assigned_to=" + std::to_string(staff)), (Ids{bob}));
  EXPECT_EQ(ids("?assigned_to=" + std::to_string(admin)), (Ids{carol}));
  EXPECT_EQ(ids("?product_id=" + std::to_string(product)), (Ids{bob}));
  EXPECT_EQ(ids("?q=ALICE"), (Ids{alice}));             // name
  EXPECT_EQ(ids("?q=bob%40example"), (Ids{bob}));       // e-mail
  EXPECT_EQ(ids("?q=iphone"), (Ids{bob, carol, dan}));  // device, and Dan's e-mail
  EXPECT_EQ(ids("?q=iphone&open=true"), (Ids{bob}));

  EXPECT_EQ(ids("?ordering=-id"), (Ids{dan, carol, alice, bob}));
  EXPECT_EQ(ids("?ordering=created_at"), (Ids{carol, bob, dan, alice}));
  EXPECT_EQ(ids("?ordering=-created_at"), (Ids{alice, dan, bob, carol}));
  EXPECT_EQ(ids("?ordering=updated_at"), (Ids{alice, carol, dan, bob}));
  EXPECT_EQ(ids("?ordering=-updated_at"), (Ids{bob, dan, carol, alice}));
  EXPECT_EQ(ids("?ordering=customer_name"), (Ids{alice, bob, carol, dan}));  // case-insensitive
  EXPECT_EQ(ids("?ordering=-customer_name"), (Ids{dan, carol, bob, alice}));
  EXPECT_EQ(ids("?ordering=status"), (Ids{alice, bob, carol, dan}));  // in workflow order
  EXPECT_EQ(ids("?ordering=-status"), (Ids{dan, carol, bob, alice}));

  auto bad = get("/api/tickets?status=broken&assigned_to=me&open=perhaps&ordering=problem", "viewer");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_fields(bad), (std::set<std::string>{"status", "assigned_to", "open", "ordering"}));
  EXPECT_EQ(error_fields(get("/api/tickets?ordering=-customer_email", "viewer")),
            (std::set<std::string>{"ordering"}));
}

TEST_F(ServiceTest, StoresAreIsolated) {
  const auto id = open();
  EXPECT_EQ(get(path(id), "owner", kOtherStore).status, 404);
  EXPECT_EQ(patch(path(id), {{"device", "x"}}, "owner", kOtherStore).status, 404);
  EXPECT_EQ(transition(id, "diagnosing", "owner").status, 200);
  EXPECT_EQ(post(path(id, "/transition"), {{"to", "cancelled"}}, "owner", kOtherStore).status, 404);
  EXPECT_EQ(post(path(id, "/notes"), {{"text", "x"}}, "owner", kOtherStore).status, 404);
  EXPECT_EQ(json(get("/api/tickets", "owner", kOtherStore))["count"], 0);
  const std::string store_token = "Authorization: Bearer " + token("staff");
  EXPECT_EQ(request("GET", "/api/tickets", {"Host: " + host(kOtherStore), store_token}).status, 401);
  // A member of this store only cannot be assigned in the other.
  auto other = ticket();
  other["assigned_to"] = user_id("staff@store.test");
  EXPECT_EQ(error_fields(post("/api/tickets", other, "owner", kOtherStore)),
            (std::set<std::string>{"assigned_to"}));
  EXPECT_EQ(json(get(path(id)))["status"], "diagnosing");
}

TEST_F(ServiceTest, DeletingAProductKeepsItsTickets) {
  sql("INSERT INTO products (sku, name, price_cents) VALUES ('SCR-1', 'Screen', 100)");
  const auto product = std::stoll(sql("SELECT id FROM products"));
  auto body = ticket();
  body["product_id"] = product;
  const auto id = open(body);
  EXPECT_EQ(del("/api/products/" + std::to_string(product), "staff").status, 204);
  auto after = json(get(path(id)));
  EXPECT_TRUE(after["product_id"].is_null());
  EXPECT_EQ(after["status"], "received");
}

}  // namespace
}  // namespace tenantry::apps::service
