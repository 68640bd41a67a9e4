#include <boost/json.hpp>

#include "apps/accounts/plans.hpp"
#include "apps/catalog/catalog_app.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/web/json_input.hpp"
#include "tenantry/web/list_query.hpp"

namespace tenantry::apps::catalog {

namespace {

using auth::AuthService;
using auth::Role;
using http::Response;
using web::JsonInput;
using web::RequestContext;

// Amounts stay below 2^53 so that JavaScript clients read them exactly. (A bound is also needed for
// JsonInput::integer to apply `.min = 0` at all.)
constexpr std::int64_t kMaxAmount = 1'000'000'000'000'000;

#define TENANTRY_PRODUCT_COLUMNS \
  "id, sku, name, description, category, price_cents, stock, created_at, updated_at"
constexpr const char* kColumns = TENANTRY_PRODUCT_COLUMNS;
// A literal, so that the hot path builds no string per request.
constexpr const char* kSelectById = "SELECT " TENANTRY_PRODUCT_COLUMNS " FROM products WHERE id = $1";
#undef TENANTRY_PRODUCT_COLUMNS

const std::vector<web::OrderingField> kOrderings{{"id", "id"},       {"sku", "sku"},
                                                 {"name", "name"},   {"price_cents", "price_cents"},
                                                 {"stock", "stock"}, {"created_at", "created_at"}};

/// A product row (selected as kColumns) as the API shows it.
boost::json::object product_json(const db::Row& row) {
  return {{"id", row.get<std::int64_t>(0)},
          {"sku", row.get<std::string>(1)},
          {"name", row.get<std::string>(2)},
          {"description", row.get<std::string>(3)},
          {"category", row.get<std::string>(4)},
          {"price_cents", row.get<std::int64_t>(5)},
          {"stock", row.get<std::int64_t>(6)},
          {"created_at", row.get<db::Rfc3339>(7).text},
          {"updated_at", row.get<db::Rfc3339>(8).text}};
}

/// The writable fields of a product as sent; absent fields are empty (PATCH keeps their values).
struct ProductFields {
  std::optional<std::string> sku, name, description, category;
  std::optional<std::int64_t> price_cents, stock;
};

enum class Write { kCreate, kReplace, kPatch };

/// Validates a product body: everything required for PUT, sku/name/price_cents for POST (the rest has
/// defaults, filled in here), nothing for PATCH. Unknown fields are errors.
ProductFields read_product(const http::Request& request, Write write) {
  JsonInput in(request);
  in.only({"sku", "name", "description", "category", "price_cents", "stock"},
          {"id", "created_at", "updated_at"});
  const bool all = write == Write::kReplace;
  const bool core = all || write == Write::kCreate;
  ProductFields p;
  p.sku = in.string("sku", {.required = core, .min = 1, .max = 64});
  p.name = in.string("name", {.required = core, .min = 1, .max = 200});
  p.description = in.string("description", {.required = all, .max = 5000});
  p.category = in.string("category", {.required = all, .max = 100});
  p.price_cents = in.integer("price_cents", {.required = core, .min = 0, .max = kMaxAmount});
  p.stock = in.integer("stock", {.required = all, .min = 0, .max = kMaxAmount});
  in.finish();
  if (write == Write::kCreate) {
    if (!p.description) p.description = "";
    if (!p.category) p.category = "";
    if (!p.stock) p.stock = 0;
  }
  return p;
}

constexpr http::ProblemType<409> kDuplicateSku{"duplicate-sku", "Duplicate SKU"};

constexpr web::ConstraintProblem kConstraintProblems[] = {
    web::answer_as("products_sku_key", kDuplicateSku, "A product with SKU '{value}' exists in this store."),
};

[[noreturn]] void product_not_found(ProductId id) {
  throw http::NotFound("No product with id " + id.to_string() + ".");
}

ProductId product_id(const RequestContext& ctx) {
  return ProductId{*ctx.params.get_int("id")};
}

Task<Response> list_products(RequestContext& ctx, const AuthService& auth) {
  auth.require(ctx, Role::kViewer);
  web::ListQuery q(ctx.request);
  if (auto text = q.search())
    q.where("strpos(lower(name), lower($?)) > 0 OR strpos(lower(sku), lower($?)) > 0", *text);
  if (auto category = q.text("category")) q.where("category = $?", *category);
  if (auto min = q.integer("min_price")) q.where("price_cents >= $?", *min);
  if (auto max = q.integer("max_price")) q.where("price_cents <= $?", *max);
  if (auto in_stock = q.boolean("in_stock")) q.where("(stock > 0) = $?", *in_stock);
  q.order(kOrderings, "id");
  q.finish();

  co_return co_await q.respond(ctx.db, "products", kColumns, product_json);
}

Task<Response> create_product(RequestContext& ctx, const AuthService& auth) {
  auth.require(ctx, Role::kStaff);
  const ProductFields p = read_product(ctx.request, Write::kCreate);
  const auto plan = ctx.config.plans.find(ctx.tenant->plan);
  if (plan == ctx.config.plans.end())
    accounts::check_plan_limit(ctx.config, *ctx.tenant, accounts::PlanLimit::kProducts, 0);
  const std::optional<std::int64_t> max = plan->second.max_products;
  // One round trip. The statements of a pipelined batch run in one implicit transaction: with a limit, the
  // store's plan-limit lock makes product creations of one store take turns until the insert is done, and the
  // insert happens only while the count is below the limit, so concurrent requests cannot pass it together.
  std::vector<db::Statement> batch;
  if (max)
    batch.push_back({"SELECT pg_advisory_xact_lock($1::int, hashtext($2))",
                     db::ParamList(accounts::kPlanLimitLockClass, ctx.tenant->schema)});
  batch.push_back(
      {std::string("INSERT INTO products (sku, name, description, category, price_cents, stock) "
                   "SELECT $1, $2, $3, $4, $5, $6 "
                   "WHERE $7::bigint IS NULL OR (SELECT count(*) FROM products) < $7 RETURNING ") +
           kColumns,
       db::ParamList(p.sku, p.name, p.description, p.category, p.price_cents, p.stock, max)});
  // A taken SKU is products_sku_key: answered from kConstraintProblems.
  const std::vector<db::Result> results = co_await ctx.db.execute_batch(std::move(batch));
  if (results.back().empty())  // the count was at the limit
    accounts::check_plan_limit(ctx.config, *ctx.tenant, accounts::PlanLimit::kProducts, *max);
  co_return Response::json(201, product_json(results.back().one()));
}

// The hot path: one statement, no transaction.
Task<Response> get_product(RequestContext& ctx, const AuthService& auth) {
  auth.require(ctx, Role::kViewer);
  const ProductId id = product_id(ctx);
  auto rows = co_await ctx.db.query(kSelectById, id);
  if (rows.empty()) product_not_found(id);
  co_return Response::json(200, product_json(rows.one()));
}

/// PUT (every field given) and PATCH (the fields given). updated_at moves only when a value changes.
Task<Response> update_product(RequestContext& ctx, const AuthService& auth, Write write) {
  auth.require(ctx, Role::kStaff);
  const ProductId id = product_id(ctx);
  const ProductFields p = read_product(ctx.request, write);
  static const std::string sql =
      std::string(
          "UPDATE products SET sku = COALESCE($2::text, sku), name = COALESCE($3::text, name), "
          "description = COALESCE($4::text, description), category = COALESCE($5::text, category), "
          "price_cents = COALESCE($6::bigint, price_cents), stock = COALESCE($7::bigint, stock), "
          "updated_at = CASE WHEN (COALESCE($2::text, sku), COALESCE($3::text, name), "
          "COALESCE($4::text, description), COALESCE($5::text, category), "
          "COALESCE($6::bigint, price_cents), COALESCE($7::bigint, stock)) IS DISTINCT FROM "
          "(sku, name, description, category, price_cents, stock) THEN now() ELSE updated_at END "
          "WHERE id = $1 RETURNING ") +
      kColumns;
  // A taken SKU is products_sku_key: answered from kConstraintProblems.
  auto rows =
      co_await ctx.db.query(sql, id, p.sku, p.name, p.description, p.category, p.price_cents, p.stock);
  if (rows.empty()) product_not_found(id);
  co_return Response::json(200, product_json(rows.one()));
}

Task<Response> delete_product(RequestContext& ctx, const AuthService& auth) {
  auth.require(ctx, Role::kStaff);
  const ProductId id = product_id(ctx);
  // Tickets that name the product keep their history: their product_id becomes NULL (ON DELETE SET NULL).
  auto result = co_await ctx.db.query("DELETE FROM products WHERE id = $1", id);
  if (result.affected_rows() == 0) product_not_found(id);
  co_return Response::empty(204);
}

}  // namespace

std::span<const web::ConstraintProblem> constraint_problems() {
  return kConstraintProblems;
}

void register_routes(web::Routes& routes, std::shared_ptr<AuthService> auth) {
  auto& t = routes.tenant_routes;
  t.add("GET", "/api/products", [auth](RequestContext& ctx) { return list_products(ctx, *auth); },
        {.summary =
             "List products (filters search or q, category, min_price, max_price, in_stock; ordering; pages)",
         .tags = {"catalog"}});
  t.add("POST", "/api/products", [auth](RequestContext& ctx) { return create_product(ctx, *auth); },
        {.summary = "Create a product", .tags = {"catalog"}});
  t.add("GET", "/api/products/{id:int}", [auth](RequestContext& ctx) { return get_product(ctx, *auth); },
        {.summary = "Get a product", .tags = {"catalog"}});
  t.add("PUT", "/api/products/{id:int}",
        [auth](RequestContext& ctx) { return update_product(ctx, *auth, Write::kReplace); },
        {.summary = "Replace a product's fields", .tags = {"catalog"}});
  t.add("PATCH", "/api/products/{id:int}",
        [auth](RequestContext& ctx) { return update_product(ctx, *auth, Write::kPatch); },
        {.summary = "Change some of a product's fields", .tags = {"catalog"}});
  t.add("DELETE", "/api/products/{id:int}",
        [auth](RequestContext& ctx) { return delete_product(ctx, *auth); },
        {.summary = "Delete a product", .tags = {"catalog"}});
}

}  // namespace tenantry::apps::catalog
