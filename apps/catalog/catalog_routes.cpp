#include <boost/json.hpp>

#include "apps/accounts/account_problems.hpp"
#include "apps/accounts/plans.hpp"
#include "apps/catalog/catalog_app.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/web/list_query.hpp"

namespace tenantry::apps::catalog {

namespace {

using auth::Role;
using http::Response;
using web::RequestContext;

// Amounts stay below 2^53 so that JavaScript clients read them exactly.
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

/// A product as the API shows it (product_json) and as clients write it: one declaration for the answers,
/// the three write bodies and the document.
const web::Schema& product_schema() {
  using web::Presence;
  using web::Schema;
  static const Schema schema =
      Schema::object(
          {{"id", Schema::integer(1), Presence::kReadOnly},
           {"sku",
            Schema::line(1, 64).describe("Stock-keeping unit, unique in the store.").example("IPH-15-SCR")},
           {"name", Schema::line(1, 200).example("iPhone 15 screen")},
           {"description", Schema::string(0, 5000), Presence::kDefaulted},
           {"category", Schema::line(0, 100).example("screens"), Presence::kDefaulted},
           {"price_cents", Schema::integer(0, kMaxAmount).describe("Price in cents.").example(12900)},
           {"stock", Schema::integer(0, kMaxAmount), Presence::kDefaulted},
           {"created_at", Schema::timestamp(), Presence::kReadOnly},
           {"updated_at", Schema::timestamp(), Presence::kReadOnly}})
          .describe("A product of the store's catalog.")
          .named("Product");
  return schema;
}

/// The writable fields of a product as sent (validated against the operation's body schema); absent fields
/// are empty (PATCH keeps their values), and a create fills in the defaults.
struct ProductFields {
  std::optional<std::string> sku, name, description, category;
  std::optional<std::int64_t> price_cents, stock;
};

ProductFields read_product(const web::Input& in, web::Write write) {
  ProductFields p{in.string("sku"),      in.string("name"),         in.string("description"),
                  in.string("category"), in.integer("price_cents"), in.integer("stock")};
  if (write == web::Write::kCreate) {
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

Task<Response> list_products(RequestContext& ctx) {
  web::ListQuery q(ctx.request, ctx.query);
  if (auto text = q.search())
    q.where("strpos(lower(name), lower($?)) > 0 OR strpos(lower(sku), lower($?)) > 0", *text);
  if (auto category = q.text("category")) q.where("category = $?", *category);
  if (auto min = q.integer("min_price")) q.where("price_cents >= $?", *min);
  if (auto max = q.integer("max_price")) q.where("price_cents <= $?", *max);
  if (auto in_stock = q.boolean("in_stock")) q.where("(stock > 0) = $?", *in_stock);
  q.order(kOrderings, "id");

  co_return co_await q.respond(ctx.db, "products", kColumns, product_json);
}

Task<Response> create_product(RequestContext& ctx) {
  const ProductFields p = read_product(ctx.body, web::Write::kCreate);
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
Task<Response> get_product(RequestContext& ctx) {
  const ProductId id = product_id(ctx);
  auto rows = co_await ctx.db.query(kSelectById, id);
  if (rows.empty()) product_not_found(id);
  co_return Response::json(200, product_json(rows.one()));
}

/// PUT (every field given) and PATCH (the fields given). updated_at moves only when a value changes.
Task<Response> update_product(RequestContext& ctx, web::Write write) {
  const ProductId id = product_id(ctx);
  const ProductFields p = read_product(ctx.body, write);
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

Task<Response> delete_product(RequestContext& ctx) {
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

void register_routes(web::Routes& routes) {
  using web::Access;
  using web::Parameter;
  using web::Schema;
  using web::Write;
  const Schema& product = product_schema();
  const std::vector<web::Parameter> id{{"id", Schema::integer(0).example(1), "The product's id."}};
  auto& t = routes.tenant_routes;
  t.describe_tag("catalog", "The store's products: stock-keeping units, prices and stock.");
  t.add("GET", "/api/products", list_products,
        {.summary = "List products",
         .description = "Filtered, ordered and paginated; `search` (or `q`) matches name or SKU.",
         .tags = {"catalog"},
         .operation_id = "listProducts",
         .access = Access::at_least(Role::kViewer),
         .query = {{"search", Schema::string(0, 200), "Text in the name or SKU (case-insensitive)."},
                   {"q", Schema::string(0, 200), "The same as search."},
                   {"category", Schema::string(0, 100), "Exactly this category."},
                   {"min_price", Schema::integer(0, kMaxAmount), "Price in cents at least."},
                   {"max_price", Schema::integer(0, kMaxAmount), "Price in cents at most."},
                   {"in_stock", Schema::boolean(), "Only products in stock (true) or out of it (false)."},
                   web::ordering_parameter(kOrderings)},
         .page_of = product});
  t.add("POST", "/api/products", create_product,
        {.summary = "Create a product",
         .tags = {"catalog"},
         .operation_id = "createProduct",
         .access = Access::at_least(Role::kStaff),
         .body = product.for_write(Write::kCreate, "ProductCreate"),
         .replies = {{201, product, "The product made"}},
         .problems = {kDuplicateSku, accounts::kPlanLimitReached}});
  t.add("GET", "/api/products/{id:int}", get_product,
        {.summary = "Get a product",
         .tags = {"catalog"},
         .operation_id = "getProduct",
         .access = Access::at_least(Role::kViewer),
         .path = id,
         .replies = {{200, product}}});
  t.add("PUT", "/api/products/{id:int}",
        [](RequestContext& ctx) { return update_product(ctx, Write::kReplace); },
        {.summary = "Replace a product's fields",
         .tags = {"catalog"},
         .operation_id = "replaceProduct",
         .access = Access::at_least(Role::kStaff),
         .path = id,
         .body = product.for_write(Write::kReplace, "ProductReplace"),
         .replies = {{200, product}},
         .problems = {kDuplicateSku}});
  t.add("PATCH", "/api/products/{id:int}",
        [](RequestContext& ctx) { return update_product(ctx, Write::kPatch); },
        {.summary = "Change some of a product's fields",
         .tags = {"catalog"},
         .operation_id = "updateProduct",
         .access = Access::at_least(Role::kStaff),
         .path = id,
         .body = product.for_write(Write::kPatch, "ProductPatch"),
         .replies = {{200, product}},
         .problems = {kDuplicateSku}});
  t.add("DELETE", "/api/products/{id:int}", delete_product,
        {.summary = "Delete a product",
         .tags = {"catalog"},
         .operation_id = "deleteProduct",
         .access = Access::at_least(Role::kStaff),
         .path = id,
         .replies = {{204, std::nullopt, "Deleted"}}});
}

}  // namespace tenantry::apps::catalog
