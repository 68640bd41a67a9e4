#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <stdexcept>

#include "apps/service/service_app.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/web/list_query.hpp"

namespace tenantry::apps::service {

namespace {

using auth::Principal;
using auth::Role;
using http::Response;
using web::ListQuery;
using web::OrderingField;
using web::RequestContext;

/// A ticket's status, in workflow order (the order `?ordering=status` sorts by).
enum class TicketStatus { kReceived, kDiagnosing, kWaitingParts, kRepairing, kReady, kDelivered, kCancelled };

/// Their names in the API and the database, indexed by TicketStatus.
const std::vector<std::string> kStatuses{"received", "diagnosing", "waiting_parts", "repairing",
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

/// A ticket without its events (in lists), as ticket_json shows it and clients write it.
const web::Schema& ticket_schema() {
  using web::Presence;
  using web::Schema;
  static const Schema schema =
      Schema::object(
          {{"id", Schema::integer(1), Presence::kReadOnly},
           {"customer_name", Schema::line(1, 200).example("Ada Lovelace")},
           {"customer_email", Schema::email_or_empty().nullable().describe("\"\" or null: none (walk-in)."),
            Presence::kDefaulted},
           {"device", Schema::line(1, 200).example("iPhone 15")},
           {"product_id", Schema::integer(1).nullable().describe("A product of this store."),
            Presence::kDefaulted},
           {"problem", Schema::string(1, 5000).example("Cracked screen")},
           {"status", Schema::choice(kStatuses).describe("Changes through /transition only."),
            Presence::kReadOnly},
           {"assigned_to", Schema::integer(1).nullable().describe("The user id of a member of this store."),
            Presence::kDefaulted},
           {"created_at", Schema::timestamp(), Presence::kReadOnly},
           {"updated_at", Schema::timestamp(), Presence::kReadOnly},
           {"closed_at", Schema::timestamp().nullable().describe("When it was delivered or cancelled."),
            Presence::kReadOnly}})
          .describe("A repair ticket.")
          .named("Ticket");
  return schema;
}

const web::Schema& event_schema() {
  using web::Schema;
  static const Schema schema =
      Schema::object({{"id", Schema::integer(1)},
                      {"kind", Schema::choice({"created", "status", "assigned", "note"})},
                      {"from_status", Schema::choice(kStatuses).nullable()},
                      {"to_status", Schema::choice(kStatuses).nullable()},
                      {"note", Schema::string().nullable()},
                      {"assigned_to", Schema::integer(1).nullable()},
                      {"user_id", Schema::integer(1).describe("Who did it.")},
                      {"created_at", Schema::timestamp()}})
          .describe("One step of a ticket's history.")
          .named("TicketEvent");
  return schema;
}

/// A ticket with its events, oldest first (single-ticket answers).
const web::Schema& ticket_detail_schema() {
  static const web::Schema schema =
      ticket_schema()
          .extend({{"events", web::Schema::array(event_schema()), web::Presence::kReadOnly}})
          .describe("A repair ticket with its history.")
          .named("TicketDetail");
  return schema;
}

/// A ticket's writable fields as sent. The set_ flags tell an explicit null (unset it) from an absent field.
struct TicketFields {
  std::optional<std::string> customer_name, customer_email, device, problem;
  bool set_product = false;
  std::optional<std::int64_t> product_id;
  bool set_assignee = false;
  std::optional<std::int64_t> assigned_to;
};

/// A ticket body as validated against ticket_detail_schema's writes (references are checked by
/// check_references). A creation without an e-mail, and an e-mail of null or "" (what a GET shows of a
/// ticket without one), mean none.
TicketFields read_ticket(const web::Input& in, bool create) {
  TicketFields f;
  f.customer_name = in.string("customer_name");
  f.customer_email = in.string("customer_email");
  if (in.is_null("customer_email") || (create && !f.customer_email)) f.customer_email = "";
  f.device = in.string("device");
  f.problem = in.string("problem");
  f.set_product = in.has("product_id");
  f.product_id = in.integer("product_id");
  f.set_assignee = in.has("assigned_to");
  f.assigned_to = in.integer("assigned_to");
  return f;
}

bool has_error(const std::vector<http::FieldError>& errors, std::string_view field) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const http::FieldError& e) { return e.field == field; });
}

/// Operation::check of ticket bodies: product_id must be a product of this store, assigned_to a member of it.
Task<void> check_references(RequestContext& ctx, std::vector<http::FieldError>& errors) {
  std::optional<std::int64_t> product, assignee;
  if (!has_error(errors, "product_id")) product = ctx.body.integer("product_id");
  if (!has_error(errors, "assigned_to")) assignee = ctx.body.integer("assigned_to");
  if (!product && !assignee) co_return;
  auto found = co_await ctx.db.query(
      "SELECT $1::bigint IS NULL OR EXISTS (SELECT 1 FROM products WHERE id = $1), "
      "$2::bigint IS NULL OR EXISTS (SELECT 1 FROM public.memberships WHERE tenant_id = $3 AND user_id = $2)",
      product, assignee, ctx.tenant->id);
  if (!found.one().get<bool>(0)) errors.push_back({"product_id", "No product with this id in this store."});
  if (!found.one().get<bool>(1))
    errors.push_back({"assigned_to", "No member of this store has this user id."});
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

Task<Response> list_tickets(RequestContext& ctx) {
  ListQuery q(ctx.request, ctx.query);
  if (auto status = q.text("status")) q.where("status = $?", *status);
  if (auto open = q.boolean("open")) q.where("(status NOT IN ('delivered', 'cancelled')) = $?", *open);
  if (auto user = q.integer("assigned_to")) q.where("assigned_to = $?", *user);
  if (auto product = q.integer("product_id")) q.where("product_id = $?", *product);
  if (auto text = q.search())
    q.where(
        "strpos(lower(customer_name), lower($?)) > 0 OR strpos(lower(customer_email), lower($?)) > 0 OR "
        "strpos(lower(device), lower($?)) > 0",
        *text);
  q.order(kOrderings, "id");

  co_return co_await q.respond(ctx.db, "tickets", kTicketColumns, ticket_json);
}

Task<Response> create_ticket(RequestContext& ctx) {
  const Principal& who = ctx.who();
  const TicketFields f = read_ticket(ctx.body, true);
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

Task<Response> get_ticket(RequestContext& ctx) {
  const TicketId id = ticket_id(ctx);
  auto body = co_await ticket_detail(ctx.db, id);
  co_return Response::json(200, body);
}

/// Changes the fields given (not the status: see transition). A change of assignee is recorded as an
/// 'assigned' event; updated_at moves only when a value changes.
Task<Response> update_ticket(RequestContext& ctx) {
  const Principal& who = ctx.who();
  const TicketId id = ticket_id(ctx);
  const TicketFields f = read_ticket(ctx.body, false);
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

Task<Response> transition_ticket(RequestContext& ctx) {
  const Principal& who = ctx.who();
  const TicketId id = ticket_id(ctx);
  const auto to = ctx.body.string("to");
  const auto note = ctx.body.string("note");
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

Task<Response> add_note(RequestContext& ctx) {
  const Principal& who = ctx.who();
  const TicketId id = ticket_id(ctx);
  const auto text = ctx.body.string("text");
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

void register_routes(web::Routes& routes) {
  using web::Access;
  using web::Schema;
  using web::Write;
  const Schema& detail = ticket_detail_schema();
  const std::vector<web::Parameter> id{{"id", Schema::integer(0).example(1), "The ticket's id."}};
  const auto staff = Access::at_least(Role::kStaff);
  auto& t = routes.tenant_routes;
  t.describe_tag("service", "Repair tickets and their workflow, from received to delivered.");
  t.add(
      "GET", "/api/tickets", list_tickets,
      {.summary = "List tickets",
       .description =
           "Filtered, ordered and paginated; `search` (or `q`) matches customer, e-mail or device.",
       .tags = {"service"},
       .operation_id = "listTickets",
       .access = Access::at_least(Role::kViewer),
       .query = {{"status", Schema::choice(kStatuses), "Exactly this status."},
                 {"open", Schema::boolean(), "Only open tickets (true) or closed ones (false)."},
                 {"assigned_to", Schema::integer(1), "Assigned to this user id."},
                 {"product_id", Schema::integer(1), "For this product."},
                 {"search", Schema::string(0, 200), "Text in the customer's name or e-mail, or the device."},
                 {"q", Schema::string(0, 200), "The same as search."},
                 web::ordering_parameter(kOrderings)},
       .page_of = ticket_schema()});
  t.add("POST", "/api/tickets", create_ticket,
        {.summary = "Open a repair ticket",
         .tags = {"service"},
         .operation_id = "createTicket",
         .access = staff,
         .body = detail.for_write(Write::kCreate, "TicketCreate"),
         .check = check_references,
         .replies = {{201, detail, "The ticket opened, with its 'created' event"}}});
  t.add("GET", "/api/tickets/{id:int}", get_ticket,
        {.summary = "Get a ticket with its events",
         .tags = {"service"},
         .operation_id = "getTicket",
         .access = Access::at_least(Role::kViewer),
         .path = id,
         .replies = {{200, detail}}});
  t.add("PATCH", "/api/tickets/{id:int}", update_ticket,
        {.summary = "Change a ticket's customer, device, problem, product or assignee",
         .tags = {"service"},
         .operation_id = "updateTicket",
         .access = staff,
         .path = id,
         .body = detail.for_write(Write::kPatch, "TicketPatch"),
         .check = check_references,
         .replies = {{200, detail}}});
  t.add("POST", "/api/tickets/{id:int}/transition", transition_ticket,
        {.summary = "Move a ticket to another status",
         .description = "received → diagnosing → (waiting_parts →) repairing → ready → delivered; any open "
                        "ticket may be cancelled.",
         .tags = {"service"},
         .operation_id = "transitionTicket",
         .access = staff,
         .path = id,
         .body = Schema::object({{"to", Schema::choice(kStatuses)},
                                 {"note", Schema::string(0, 5000), web::Presence::kOptional}})
                     .named("TicketTransition"),
         .replies = {{200, detail}},
         .problems = {kInvalidTransition}});
  t.add("POST", "/api/tickets/{id:int}/notes", add_note,
        {.summary = "Add a note to a ticket",
         .tags = {"service"},
         .operation_id = "addTicketNote",
         .access = staff,
         .path = id,
         .body = Schema::object({{"text", Schema::string(1, 5000)}}).named("TicketNote"),
         .replies = {{201, event_schema(), "The note's event"}}});
}

}  // namespace tenantry::apps::service
