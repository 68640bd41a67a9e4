#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <stdexcept>

#include "apps/service/service_app.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/web/json_input.hpp"
#include "tenantry/web/list_query.hpp"

namespace tenantry::apps::service {

namespace {

using auth::AuthService;
using auth::Principal;
using auth::Role;
using http::Response;
using web::JsonInput;
using web::ListQuery;
using web::OrderingField;
using web::RequestContext;

/// A ticket's status, in workflow order (the order `?ordering=status` sorts by).
enum class TicketStatus { kReceived, kDiagnosing, kWaitingParts, kRepairing, kReady, kDelivered, kCancelled };

/// Their names in the API and the database, indexed by TicketStatus.
const std::vector<std::string_view> kStatuses{"received", "diagnosing", "waiting_parts", "repairing",
                                              "ready",    "delivered",  "cancelled"};

/// Only for names already checked against kStatuses (JSON input, the database's check constraint).
TicketStatus parse_status(std::string_view name) {
  const auto at = std::find(kStatuses.begin(), kStatuses.end(), name);
  if (at == kStatuses.end()) throw std::invalid_argument("unknown ticket status '" + std::string(name) + "'");
  return static_cast<TicketStatus>(at - kStatuses.begin());
}

/// The status workflow. A ticket moves one step forward along
///
///   received → diagnosing → waiting_parts → repairing → ready → delivered
///
/// or skips waiting_parts (diagnosing → repairing, no parts needed), and any open ticket (neither delivered
/// nor cancelled) may be cancelled. Nothing else is allowed (409 invalid-transition): no going back, no
/// skipping other steps, no leaving delivered or cancelled. Reaching delivered or cancelled closes the ticket
/// (closed_at).
///
///   from \ to      diagnosing waiting_parts repairing ready delivered cancelled
///   received           ✓                                                 ✓
///   diagnosing                     ✓           ✓                         ✓
///   waiting_parts                              ✓                         ✓
///   repairing                                        ✓                   ✓
///   ready                                                  ✓             ✓
struct Transition {
  TicketStatus from, to;
};
constexpr std::array<Transition, 6> kSteps{{{TicketStatus::kReceived, TicketStatus::kDiagnosing},
                                            {TicketStatus::kDiagnosing, TicketStatus::kWaitingParts},
                                            {TicketStatus::kDiagnosing, TicketStatus::kRepairing},
                                            {TicketStatus::kWaitingParts, TicketStatus::kRepairing},
                                            {TicketStatus::kRepairing, TicketStatus::kReady},
                                            {TicketStatus::kReady, TicketStatus::kDelivered}}};

bool is_closed(TicketStatus status) {
  return status == TicketStatus::kDelivered || status == TicketStatus::kCancelled;
}

bool allowed(TicketStatus from, TicketStatus to) {
  if (to == TicketStatus::kCancelled) return !is_closed(from);
  for (const auto& step : kSteps)
    if (step.from == from && step.to == to) return true;
  return false;
}

constexpr const char* kTicketColumns =
    "id, customer_name, customer_email, device, product_id, problem, status, assigned_to, created_at, "
    "updated_at, closed_at";
constexpr const char* kEventColumns =
    "id, kind, from_status, to_status, note, assigned_to, user_id, created_at";

const std::vector<OrderingField> kOrderings{
    {"id", "id"},
    {"created_at", "created_at"},
    {"updated_at", "updated_at"},
    {"customer_name", "lower(customer_name)"},
    {"status",
     "array_position(ARRAY['received', 'diagnosing', 'waiting_parts', 'repairing', 'ready', 'delivered', "
     "'cancelled'], status)"}};

template <typename T>
boost::json::value nullable(const std::optional<T>& v) {
  if (!v) return nullptr;
  return boost::json::value(*v);
}

boost::json::value nullable_time(const std::optional<db::Rfc3339>& t) {
  if (!t) return nullptr;
  return boost::json::value(t->text);
}

/// A ticket row (selected as kTicketColumns) as the API shows it, without its events.
boost::json::object ticket_json(const db::Row& row) {
  return {{"id", row.get<std::int64_t>(0)},
          {"customer_name", row.get<std::string>(1)},
          {"customer_email", row.get<std::string>(2)},
          {"device", row.get<std::string>(3)},
          {"product_id", nullable(row.get<std::optional<std::int64_t>>(4))},
          {"problem", row.get<std::string>(5)},
          {"status", row.get<std::string>(6)},
          {"assigned_to", nullable(row.get<std::optional<std::int64_t>>(7))},
          {"created_at", row.get<db::Rfc3339>(8).text},
          {"updated_at", row.get<db::Rfc3339>(9).text},
          {"closed_at", nullable_time(row.get<std::optional<db::Rfc3339>>(10))}};
}

/// An event row (selected as kEventColumns) as the API shows it.
boost::json::object event_json(const db::Row& row) {
  return {{"id", row.get<std::int64_t>(0)},
          {"kind", row.get<std::string>(1)},
          {"from_status", nullable(row.get<std::optional<std::string>>(2))},
          {"to_status", nullable(row.get<std::optional<std::string>>(3))},
          {"note", nullable(row.get<std::optional<std::string>>(4))},
          {"assigned_to", nullable(row.get<std::optional<std::int64_t>>(5))},
          {"user_id", row.get<std::int64_t>(6)},
          {"created_at", row.get<db::Rfc3339>(7).text}};
}

constexpr http::ProblemType<409> kInvalidTransition{"invalid-transition", "Invalid transition"};

constexpr web::ConstraintProblem kConstraintProblems[] = {
    // A product deleted between check_references and the write.
    web::invalid_field("tickets_product_id_fkey", "product_id", "No product with this id in this store."),
};

[[noreturn]] void ticket_not_found(TicketId id) {
  throw http::NotFound("No ticket with id " + id.to_string() + ".");
}

TicketId ticket_id(const RequestContext& ctx) {
  return TicketId{*ctx.params.get_int("id")};
}

/// A ticket's writable fields as sent. The set_ flags tell an explicit null (unset it) from an absent field.
struct TicketFields {
  std::optional<std::string> customer_name, customer_email, device, problem;
  bool set_product = false;
  std::optional<std::int64_t> product_id;
  bool set_assignee = false;
  std::optional<std::int64_t> assigned_to;
};

/// Validates the shape of a ticket body (references are checked by check_references). For a creation the
/// customer's name, the device and the problem are required; the e-mail defaults to "" (walk-in customers).
TicketFields read_ticket(JsonInput& in, bool create) {
  // What a GET shows beside the writable fields; the status changes only through /transition.
  in.only({"customer_name", "customer_email", "device", "product_id", "problem", "assigned_to"},
          {"id", "status", "created_at", "updated_at", "closed_at", "events"});
  TicketFields f;
  f.customer_name = in.string("customer_name", {.required = create, .min = 1, .max = 200});
  // null, "" (what a GET shows of a ticket without one) or, on creation, no e-mail at all means none.
  if (in.is_null("customer_email") || in.is_empty_string("customer_email") ||
      (create && !in.has("customer_email"))) {
    f.customer_email = "";
  } else {
    f.customer_email = in.email("customer_email");
  }
  f.device = in.string("device", {.required = create, .min = 1, .max = 200});
  f.problem = in.string("problem", {.required = create, .min = 1, .max = 5000});
  f.set_product = in.has("product_id");
  f.product_id = in.integer("product_id", {.min = 1, .nullable = true});
  f.set_assignee = in.has("assigned_to");
  f.assigned_to = in.integer("assigned_to", {.min = 1, .nullable = true});
  return f;
}

/// Adds field errors to `in` when product_id is no product of this store or assigned_to no member of it.
Task<void> check_references(RequestContext& ctx, JsonInput& in, const TicketFields& f) {
  if (!f.product_id && !f.assigned_to) co_return;
  auto found = co_await ctx.db.query(
      "SELECT $1::bigint IS NULL OR EXISTS (SELECT 1 FROM products WHERE id = $1), "
      "$2::bigint IS NULL OR EXISTS (SELECT 1 FROM public.memberships WHERE tenant_id = $3 AND user_id = $2)",
      f.product_id, f.assigned_to, ctx.tenant->id);
  if (!found.one().get<bool>(0)) in.error("product_id", "No product with this id in this store.");
  if (!found.one().get<bool>(1)) in.error("assigned_to", "No member of this store has this user id.");
}

/// 409 naming both statuses.
[[noreturn]] void invalid_transition(const std::string& from, const std::string& to) {
  throw http::Conflict(kInvalidTransition, "A ticket cannot go from " + from + " to " + to + ".",
                       {{"from", from}, {"to", to}});
}

/// One ticket with its events, oldest first; 404 when there is no such ticket.
Task<boost::json::object> ticket_detail(const db::Session& db, TicketId id) {
  static const std::string ticket_sql =
      std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE id = $1";
  static const std::string events_sql =
      std::string("SELECT ") + kEventColumns + " FROM ticket_events WHERE ticket_id = $1 ORDER BY id";
  auto rows = co_await db.query(ticket_sql, id);
  if (rows.empty()) ticket_not_found(id);
  boost::json::object ticket = ticket_json(rows.one());
  auto events = co_await db.query(events_sql, id);
  boost::json::array list;
  for (auto event : events) list.push_back(event_json(event));
  ticket["events"] = std::move(list);
  co_return ticket;
}

Task<Response> list_tickets(RequestContext& ctx, const AuthService& auth) {
  auth.require(ctx, Role::kViewer);
  ListQuery q(ctx.request);
  if (auto status = q.choice("status", kStatuses)) q.where("status = $?", *status);
  if (auto open = q.boolean("open")) q.where("(status NOT IN ('delivered', 'cancelled')) = $?", *open);
  if (auto user = q.integer("assigned_to")) q.where("assigned_to = $?", *user);
  if (auto product = q.integer("product_id")) q.where("product_id = $?", *product);
  if (auto text = q.search())
    q.where(
        "strpos(lower(customer_name), lower($?)) > 0 OR strpos(lower(customer_email), lower($?)) > 0 OR "
        "strpos(lower(device), lower($?)) > 0",
        *text);
  q.order(kOrderings, "id");
  q.finish();

  co_return co_await q.respond(ctx.db, "tickets", kTicketColumns, ticket_json);
}

Task<Response> create_ticket(RequestContext& ctx, const AuthService& auth) {
  const Principal who = auth.require(ctx, Role::kStaff);
  JsonInput in(ctx.request);
  const TicketFields f = read_ticket(in, true);
  co_await check_references(ctx, in, f);
  in.finish();
  // The ticket and its 'created' event in one statement, hence atomically without a transaction. A product
  // deleted since check_references is tickets_product_id_fkey: answered from kConstraintProblems.
  auto rows = co_await ctx.db.query(
      "WITH t AS (INSERT INTO tickets (customer_name, customer_email, device, product_id, problem, "
      "assigned_to) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, status), e AS (INSERT INTO ticket_events "
      "(ticket_id, kind, to_status, user_id) SELECT id, 'created', status, $7 FROM t) SELECT id FROM t",
      f.customer_name, f.customer_email, f.device, f.product_id, f.problem, f.assigned_to, who.user_id);
  const TicketId id{rows.one().get<std::int64_t>(0)};
  auto body = co_await ticket_detail(ctx.db, id);
  co_return Response::json(201, body);
}

Task<Response> get_ticket(RequestContext& ctx, const AuthService& auth) {
  auth.require(ctx, Role::kViewer);
  const TicketId id = ticket_id(ctx);
  auto body = co_await ticket_detail(ctx.db, id);
  co_return Response::json(200, body);
}

/// Changes the fields given (not the status: see transition). A change of assignee is recorded as an
/// 'assigned' event; updated_at moves only when a value changes.
Task<Response> update_ticket(RequestContext& ctx, const AuthService& auth) {
  const Principal who = auth.require(ctx, Role::kStaff);
  const TicketId id = ticket_id(ctx);
  JsonInput in(ctx.request);
  const TicketFields f = read_ticket(in, false);
  co_await check_references(ctx, in, f);
  in.finish();
  // A product deleted since check_references is tickets_product_id_fkey: answered from kConstraintProblems
  // (an abandoned transaction is rolled back at once by the pool).
  db::Transaction tx = co_await ctx.db.begin();
  auto current = co_await tx.query("SELECT assigned_to FROM tickets WHERE id = $1 FOR UPDATE", id);
  if (current.empty()) ticket_not_found(id);
  const auto assignee_before = current.one().get<std::optional<std::int64_t>>(0);
  // $6 and $8 say whether product_id and assigned_to were sent (a null unsets them).
  co_await tx.query(
      "UPDATE tickets SET customer_name = COALESCE($2::text, customer_name), "
      "customer_email = COALESCE($3::text, customer_email), device = COALESCE($4::text, device), "
      "problem = COALESCE($5::text, problem), "
      "product_id = CASE WHEN $6::boolean THEN $7::bigint ELSE product_id END, "
      "assigned_to = CASE WHEN $8::boolean THEN $9::bigint ELSE assigned_to END, "
      "updated_at = CASE WHEN (COALESCE($2::text, customer_name), COALESCE($3::text, customer_email), "
      "COALESCE($4::text, device), COALESCE($5::text, problem), "
      "CASE WHEN $6::boolean THEN $7::bigint ELSE product_id END, "
      "CASE WHEN $8::boolean THEN $9::bigint ELSE assigned_to END) "
      "IS DISTINCT FROM (customer_name, customer_email, device, problem, product_id, assigned_to) "
      "THEN now() ELSE updated_at END "
      "WHERE id = $1",
      id, f.customer_name, f.customer_email, f.device, f.problem, f.set_product, f.product_id, f.set_assignee,
      f.assigned_to);
  if (f.set_assignee && f.assigned_to != assignee_before)
    co_await tx.query(
        "INSERT INTO ticket_events (ticket_id, kind, assigned_to, user_id) VALUES ($1, 'assigned', $2, $3)",
        id, f.assigned_to, who.user_id);
  co_await tx.commit();
  auto body = co_await ticket_detail(ctx.db, id);
  co_return Response::json(200, body);
}

Task<Response> transition_ticket(RequestContext& ctx, const AuthService& auth) {
  const Principal who = auth.require(ctx, Role::kStaff);
  const TicketId id = ticket_id(ctx);
  JsonInput in(ctx.request);
  in.only({"to", "note"});
  auto to = in.choice("to", kStatuses, {.required = true});
  auto note = in.string("note", {.max = 5000});
  in.finish();
  db::Transaction tx = co_await ctx.db.begin();
  // The row lock makes concurrent transitions of one ticket take turns, each seeing the other's result.
  auto current = co_await tx.query("SELECT status FROM tickets WHERE id = $1 FOR UPDATE", id);
  if (current.empty()) ticket_not_found(id);
  const auto from = current.one().get<std::string>(0);
  const TicketStatus target = parse_status(*to);
  if (!allowed(parse_status(from), target)) invalid_transition(from, *to);
  co_await tx.query(
      "UPDATE tickets SET status = $2, updated_at = now(), "
      "closed_at = CASE WHEN $3::boolean THEN now() END WHERE id = $1",
      id, *to, is_closed(target));
  co_await tx.query(
      "INSERT INTO ticket_events (ticket_id, kind, from_status, to_status, note, user_id) "
      "VALUES ($1, 'status', $2, $3, $4, $5)",
      id, from, *to, note, who.user_id);
  co_await tx.commit();
  auto body = co_await ticket_detail(ctx.db, id);
  co_return Response::json(200, body);
}

Task<Response> add_note(RequestContext& ctx, const AuthService& auth) {
  const Principal who = auth.require(ctx, Role::kStaff);
  const TicketId id = ticket_id(ctx);
  JsonInput in(ctx.request);
  in.only({"text"});
  auto text = in.string("text", {.required = true, .min = 1, .max = 5000});
  in.finish();
  // Notes are allowed on closed tickets too (e.g. a warranty call after delivery).
  static const std::string sql = std::string(
                                     "INSERT INTO ticket_events (ticket_id, kind, note, user_id) SELECT "
                                     "id, 'note', $2, $3 FROM tickets WHERE id = $1 RETURNING ") +
                                 kEventColumns;
  auto rows = co_await ctx.db.query(sql, id, *text, who.user_id);
  if (rows.empty()) ticket_not_found(id);
  co_return Response::json(201, event_json(rows.one()));
}

}  // namespace

std::span<const web::ConstraintProblem> constraint_problems() {
  return kConstraintProblems;
}

void register_routes(web::Routes& routes, std::shared_ptr<AuthService> auth) {
  auto& t = routes.tenant_routes;
  t.add("GET", "/api/tickets", [auth](RequestContext& ctx) { return list_tickets(ctx, *auth); },
        {.summary =
             "List tickets (filters status, open, assigned_to, product_id, search or q; ordering; pages)",
         .tags = {"service"}});
  t.add("POST", "/api/tickets", [auth](RequestContext& ctx) { return create_ticket(ctx, *auth); },
        {.summary = "Open a repair ticket", .tags = {"service"}});
  t.add("GET", "/api/tickets/{id:int}", [auth](RequestContext& ctx) { return get_ticket(ctx, *auth); },
        {.summary = "Get a ticket with its events", .tags = {"service"}});
  t.add("PATCH", "/api/tickets/{id:int}", [auth](RequestContext& ctx) { return update_ticket(ctx, *auth); },
        {.summary = "Change a ticket's customer, device, problem, product or assignee", .tags = {"service"}});
  t.add("POST", "/api/tickets/{id:int}/transition",
        [auth](RequestContext& ctx) { return transition_ticket(ctx, *auth); },
        {.summary = "Move a ticket to another status", .tags = {"service"}});
  t.add("POST", "/api/tickets/{id:int}/notes", [auth](RequestContext& ctx) { return add_note(ctx, *auth); },
        {.summary = "Add a note to a ticket", .tags = {"service"}});
}

}  // namespace tenantry::apps::service
