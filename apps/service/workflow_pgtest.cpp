// The tickets' status workflow over HTTP: the whole path, shortcuts, cancellation, refused transitions,
// notes.
#include "apps/service/service_test_case.hpp"

namespace tenantry::apps::service {
namespace {

TEST_F(ServiceTest, ATicketWalksTheWholeWorkflowToDelivery) {
  const auto id = open();
  std::string from = "received";
  for (const auto& to : kPath) {
    auto r = transition(id, to);
    ASSERT_EQ(r.status, 200) << from << " -> " << to << ": " << r.body;
    auto body = json(r);
    EXPECT_EQ(str(body["status"]), to);
    EXPECT_EQ(body["closed_at"].is_null(), to != "delivered") << to;
    const auto& last = body["events"].as_array().back();
    EXPECT_EQ(last.at("kind"), "status");
    EXPECT_EQ(str(last.at("from_status")), from);
    EXPECT_EQ(str(last.at("to_status")), to);
    EXPECT_EQ(last.at("user_id"), user_id("staff@store.test"));
    from = to;
  }
  auto done = json(get(path(id), "viewer"));
  EXPECT_EQ(done["events"].as_array().size(), 1 + kPath.size());
  EXPECT_FALSE(done["closed_at"].is_null());
  EXPECT_EQ(sql("SELECT closed_at IS NOT NULL AND closed_at >= created_at FROM tickets"), "t");
  // Delivered is final.
  for (const std::string to : {"cancelled", "ready", "received", "delivered"}) {
    auto r = transition(id, to);
    EXPECT_EQ(r.status, 409) << to;
    EXPECT_EQ(json(r)["from"], "delivered");
  }
}

TEST_F(ServiceTest, DiagnosingMaySkipWaitingForParts) {
  const auto id = open();
  advance(id, "diagnosing");
  auto r = post(path(id, "/transition"), {{"to", "repairing"}, {"note", "Spare in stock"}}, "staff");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r)["status"], "repairing");
  EXPECT_EQ(json(r)["events"].as_array().back().at("note"), "Spare in stock");
}

TEST_F(ServiceTest, AnyOpenTicketCanBeCancelledAndCancelledIsFinal) {
  const std::vector<std::string> open_states{"received", "diagnosing", "waiting_parts", "repairing", "ready"};
  for (const auto& state : open_states) {
    const auto id = open();
    advance(id, state);
    auto r = transition(id, "cancelled");
    ASSERT_EQ(r.status, 200) << state << ": " << r.body;
    auto body = json(r);
    EXPECT_EQ(body["status"], "cancelled");
    EXPECT_FALSE(body["closed_at"].is_null()) << state;
    EXPECT_EQ(str(body["events"].as_array().back().at("from_status")), state);
    for (const std::string to : {"received", "diagnosing", "cancelled", "delivered"})
      EXPECT_EQ(transition(id, to).status, 409) << "cancelled -> " << to;
  }
  EXPECT_EQ(sql("SELECT count(*) FROM tickets WHERE status = 'cancelled' AND closed_at IS NOT NULL"), "5");
}

TEST_F(ServiceTest, ForbiddenTransitionsAreConflictsNamingFromAndTo) {
  const std::vector<std::pair<std::string, std::string>> forbidden{
      {"received", "received"},       {"received", "waiting_parts"},   {"received", "repairing"},
      {"received", "ready"},          {"received", "delivered"},       {"diagnosing", "received"},
      {"diagnosing", "ready"},        {"waiting_parts", "diagnosing"}, {"waiting_parts", "ready"},
      {"repairing", "waiting_parts"}, {"repairing", "delivered"},      {"ready", "repairing"}};
  for (const auto& [from, to] : forbidden) {
    const auto id = open();
    advance(id, from);
    auto r = transition(id, to);
    EXPECT_EQ(r.status, 409) << from << " -> " << to;
    auto body = json(r);
    EXPECT_EQ(str(body["type"]), problem("invalid-transition"));
    EXPECT_EQ(str(body["from"]), from);
    EXPECT_EQ(str(body["to"]), to);
    auto after = json(get(path(id)));
    EXPECT_EQ(str(after["status"]), from);
    EXPECT_TRUE(after["closed_at"].is_null());
  }

  const auto id = open();
  auto unknown = transition(id, "fixed");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error_fields(unknown), (std::set<std::string>{"to"}));
  EXPECT_EQ(error_fields(post(path(id, "/transition"), boost::json::object{}, "staff")),
            (std::set<std::string>{"to"}));
  EXPECT_EQ(error_fields(post(path(id, "/transition"), {{"to", "diagnosing"}, {"by", "me"}}, "staff")),
            (std::set<std::string>{"by"}));
  EXPECT_EQ(json(get(path(id)))["events"].as_array().size(), 1u);
}

TEST_F(ServiceTest, NotesAreEventsOnOpenAndClosedTickets) {
  const auto id = open();
  auto r = post(path(id, "/notes"), {{"text", "Customer called"}}, "staff");
  ASSERT_EQ(r.status, 201) << r.body;
  auto note = json(r);
  EXPECT_EQ(note["kind"], "note");
  EXPECT_EQ(note["note"], "Customer called");
  EXPECT_EQ(note["user_id"], user_id("staff@store.test"));
  EXPECT_TRUE(note["from_status"].is_null());

  advance(id, "diagnosing");
  EXPECT_EQ(transition(id, "cancelled").status, 200);
  EXPECT_EQ(post(path(id, "/notes"), {{"text", "Refund issued"}}, "admin").status, 201);
  auto events = json(get(path(id)))["events"].as_array();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[1].at("id"), note["id"]);
  EXPECT_EQ(events[4].at("note"), "Refund issued");

  EXPECT_EQ(error_fields(post(path(id, "/notes"), {{"text", ""}}, "staff")), (std::set<std::string>{"text"}));
  EXPECT_EQ(error_fields(post(path(id, "/notes"), boost::json::object{}, "staff")),
            (std::set<std::string>{"text"}));
  EXPECT_EQ(
      error_fields(post(path(id, "/notes"), {{"text", std::string(5001, 'x')}, {"kind", "status"}}, "staff")),
      (std::set<std::string>{"text", "kind"}));
}

}  // namespace
}  // namespace tenantry::apps::service
