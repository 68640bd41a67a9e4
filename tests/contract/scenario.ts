// The typed scenario: a store's life through the API, written against the types that openapi-typescript
// generates from the server's own documents (generated/*.ts) and sent with openapi-fetch. Every response is
// also checked against the document at run time (contract.mjs: declared status, media type, schema).
// Environment: BASE_PORT, MAIL_DIR, PUBLIC_DOC, STORE_DOC, ADMIN_EMAIL, ADMIN_PASSWORD.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import createClient, { type Middleware } from "openapi-fetch";
import type { paths as PublicPaths } from "./generated/public-api.js";
import type { paths as StorePaths } from "./generated/store-api.js";
import { Contract, loadDocument, report } from "./contract.mjs";
import { closeConnections, hostFetch } from "./http.mjs";

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
}

const port = Number(env("BASE_PORT"));
const mailDir = env("MAIL_DIR");
const publicContract = new Contract(loadDocument(env("PUBLIC_DOC")), "public");
const storeContract = new Contract(loadDocument(env("STORE_DOC")), "store");
const serverErrors: string[] = [];
let currentStep = "";

/** The bearer token a client sends, changed as the scenario logs in and out. */
interface Session {
  token: string | undefined;
}

/** Sends the session's token and checks every response against `contract`. */
function middleware(contract: Contract, session: Session): Middleware {
  return {
    onRequest({ request }) {
      if (session.token !== undefined && !request.headers.has("Authorization"))
        request.headers.set("Authorization", `Bearer ${session.token}`);
      return request;
    },
    async onResponse({ request, response, schemaPath }) {
      const text = await response.clone().text();
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      contract.check({ method: request.method, path: schemaPath, status: response.status, headers, text, label: currentStep });
      if (response.status >= 500)
        serverErrors.push(`${currentStep}: ${request.method} ${new URL(request.url).pathname} → ${response.status} ${text.slice(0, 500)}`);
      return response;
    },
  };
}

function publicClient(session: Session) {
  const client = createClient<PublicPaths>({ baseUrl: `http://127.0.0.1:${port}`, fetch: hostFetch(port, `127.0.0.1:${port}`) });
  client.use(middleware(publicContract, session));
  return client;
}

/** A client of the store whose domain is `domain` (its Host header; every request goes to 127.0.0.1). */
function storeClient(domain: string, session: Session) {
  const host = `${domain}:${port}`;
  const client = createClient<StorePaths>({ baseUrl: `http://${host}`, fetch: hostFetch(port, host) });
  client.use(middleware(storeContract, session));
  return client;
}

/** What every openapi-fetch call resolves to. */
interface Answer<T, E> {
  data?: T;
  error?: E;
  response: Response;
}

function describe(answer: { error?: unknown; response: Response }): string {
  return `${answer.response.status} ${JSON.stringify(answer.error ?? null).slice(0, 400)}`;
}

/** The data of a successful answer with the status `status`. */
async function expectData<T, E>(call: Promise<Answer<T, E>>, status: number, what: string): Promise<T> {
  const answer = await call;
  if (answer.response.status !== status || answer.data === undefined)
    throw new Error(`${what}: expected ${status}, got ${describe(answer)}`);
  return answer.data;
}

/** A successful answer without a body (204), or with one that is not needed; returns the response. */
async function expectStatus<T, E>(call: Promise<Answer<T, E>>, status: number, what: string): Promise<Response> {
  const answer = await call;
  if (answer.response.status !== status) throw new Error(`${what}: expected ${status}, got ${describe(answer)}`);
  return answer.response;
}

/** An error answer: `status`, and a problem whose type ends with `type` when given. */
async function expectProblem<T, E extends { type?: string; status?: number }>(
  call: Promise<Answer<T, E>>,
  status: number,
  what: string,
  type?: string,
): Promise<E> {
  const answer = await call;
  if (answer.response.status !== status || answer.error === undefined)
    throw new Error(`${what}: expected a ${status} problem, got ${describe(answer)}`);
  if (type !== undefined && !(answer.error.type ?? "").endsWith(`/${type}`))
    throw new Error(`${what}: expected problem type ${type}, got ${describe(answer)}`);
  return answer.error;
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${what}`);
}

function defined<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`${what} is missing`);
  return value;
}

/** The token of the newest mail to `to` whose body mentions `path` (the mailer writes files asynchronously). */
async function mailedToken(to: string, path: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const mails = readdirSync(mailDir)
      .filter((f) => f.endsWith(".eml"))
      .map((f) => join(mailDir, f))
      .map((f) => ({ f, text: readFileSync(f, "utf8"), at: statSync(f).mtimeMs }))
      .filter((m) => new RegExp(`^To: <?${to.replace(/[.+]/g, "\\$&")}>?\\r?$`, "mi").test(m.text) && m.text.includes(path))
      .sort((a, b) => b.at - a.at);
    const token = mails[0]?.text.match(/[?&]token=([A-Za-z0-9._~%-]+)/)?.[1];
    if (token !== undefined) return decodeURIComponent(token);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail to ${to} with a link to ${path}`);
}

/** The query parameters limit and offset of a page link. */
function pageOf(link: string): { limit: number; offset: number } {
  const params = new URL(link, `http://127.0.0.1:${port}`).searchParams;
  return { limit: Number(params.get("limit") ?? 20), offset: Number(params.get("offset") ?? 0) };
}

const failures: string[] = [];
let steps = 0;

async function step(name: string, run: () => Promise<void>): Promise<boolean> {
  currentStep = name;
  steps++;
  const started = Date.now();
  try {
    await run();
    console.log(`  ok   ${name} (${Date.now() - started} ms)`);
    return true;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    failures.push(`${name}: ${message}`);
    console.log(`  FAIL ${name}: ${message}`);
    return false;
  }
}

const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const slug = `scn_${run}`;
const ownerEmail = `owner-${run}@contract.test`;
const ownerPassword = "owner-password-1";
const staffEmail = `staff-${run}@contract.test`;
const staffPassword = "staff-password-1";

const anonymous: Session = { token: undefined };
const pub = publicClient(anonymous);
const owner: Session = { token: undefined };
// The store's client, once the signup has named its domain.
let domain = "";
let store = storeClient("unknown.invalid", owner);
let ownerId = 0;

async function main(): Promise<void> {
  const signedUp = await step("signup, verify the address, log in", async () => {
    const created = await expectData(
      pub.POST("/api/signup", { body: { name: `Scenario ${run}`, slug, email: ownerEmail, password: ownerPassword } }),
      201,
      "signup",
    );
    check(created.tenant.slug === slug, "the new store has the slug asked for");
    check(created.role === "owner", "the signup is the store's owner");
    check(created.user.email_verified === false, "a new account is unverified");
    ownerId = created.user.id;
    owner.token = created.token;
    domain = defined(created.tenant.domains.find((d) => d.is_primary) ?? created.tenant.domains[0], "the store's domain").domain;
    store = storeClient(domain, owner);
    await expectProblem(
      pub.POST("/api/signup", { body: { name: "Again", slug: `${slug}_2`, email: ownerEmail, password: "whatever-password" } }),
      409,
      "a second signup with the address",
      "account-exists",
    );
    const me = await expectData(store.GET("/api/me"), 200, "me before verification");
    check(me.email_verified === false, "me: not verified yet");

    const token = await mailedToken(ownerEmail, "/api/auth/verify-email");
    const verified = await expectData(pub.GET("/api/auth/verify-email", { params: { query: { token } } }), 200, "verify-email");
    check(verified.email_verified === true, "verify-email verifies");
    await expectProblem(pub.GET("/api/auth/verify-email", { params: { query: { token } } }), 400, "a used link", "invalid-link");

    await expectProblem(
      store.POST("/api/auth/login", { body: { email: ownerEmail, password: "wrong-password" } }),
      401,
      "login with a wrong password",
      "invalid-credentials",
    );
    const login = await expectData(store.POST("/api/auth/login", { body: { email: ownerEmail, password: ownerPassword } }), 200, "login");
    check(login.role === "owner", "login: owner");
    check(!Number.isNaN(Date.parse(login.expires_at)), "login: expires_at is a timestamp");
    owner.token = login.token;
    const meAfter = await expectData(store.GET("/api/me"), 200, "me");
    check(meAfter.email_verified === true && meAfter.role === "owner" && meAfter.user.id === ownerId, "me after verification");
    const resent = await expectData(store.POST("/api/auth/resend-verification"), 200, "resend-verification when verified");
    check(resent.email_verified === true, "resend-verification: already verified");
    const root = await expectData(store.GET("/api/"), 200, "the store's API root");
    check(root.name === `Scenario ${run}`, "the API root names the store");
    await expectData(pub.GET("/api/"), 200, "the public API root");
  });
  if (!signedUp) return;

  await step("products: create, filter, order, paginate", async () => {
    const specs = [
      { sku: `SKU-${run}-1`, name: "Phone X", category: "phones", price_cents: 50_000, stock: 3 },
      { sku: `SKU-${run}-2`, name: "Phone Y", category: "phones", price_cents: 80_000, stock: 0 },
      { sku: `SKU-${run}-3`, name: "Laptop Z", category: "laptops", price_cents: 150_000, stock: 1, description: "14 inch" },
      { sku: `SKU-${run}-4`, name: "Cable", category: "accessories", price_cents: 1_500, stock: 100 },
      { sku: `SKU-${run}-5`, name: "Charger", category: "accessories", price_cents: 2_500, stock: 0 },
    ];
    const ids: number[] = [];
    for (const body of specs) {
      const product = await expectData(store.POST("/api/products", { body }), 201, `create ${body.name}`);
      check(product.sku === body.sku && product.price_cents === body.price_cents, "the created product echoes its fields");
      ids.push(product.id);
    }
    const minimal = await expectData(
      store.POST("/api/products", { body: { sku: `SKU-${run}-6`, name: "Sticker", price_cents: 100 } }),
      201,
      "create with only the required fields",
    );
    check(minimal.stock === 0 && minimal.category === "" && minimal.description === "", "defaults of a creation");
    await expectStatus(store.DELETE("/api/products/{id}", { params: { path: { id: minimal.id } } }), 204, "delete the sticker");

    await expectProblem(
      store.POST("/api/products", { body: { sku: `SKU-${run}-1`, name: "Dup", price_cents: 1 } }),
      409,
      "a duplicate SKU",
      "duplicate-sku",
    );
    const invalid = await expectProblem(
      store.POST("/api/products", { body: { sku: "", name: "Bad", price_cents: -1 } }),
      400,
      "invalid fields",
      "validation-error",
    );
    const fields = (invalid.errors ?? []).map((e) => e.field);
    check(fields.includes("sku") && fields.includes("price_cents"), "every bad field is named at once");

    const all = await expectData(store.GET("/api/products", { params: { query: { limit: 100 } } }), 200, "list");
    check(all.count === 5 && all.next === null && all.previous === null, "five products on one page");
    check(JSON.stringify(all.results.map((p) => p.id)) === JSON.stringify(ids), "listed by id");

    const search = await expectData(store.GET("/api/products", { params: { query: { search: "phone" } } }), 200, "search");
    check(search.count === 2, `search=phone finds 2, not ${search.count}`);
    const q = await expectData(store.GET("/api/products", { params: { query: { q: "LAPTOP" } } }), 200, "q");
    check(q.count === 1 && q.results[0]?.name === "Laptop Z", "q is search's short form, case-insensitive");
    const category = await expectData(store.GET("/api/products", { params: { query: { category: "accessories" } } }), 200, "category");
    check(category.count === 2, "two accessories");
    const priced = await expectData(
      store.GET("/api/products", { params: { query: { min_price: 2_000, max_price: 90_000 } } }),
      200,
      "price range",
    );
    check(priced.count === 3, `three products between 20 and 900, not ${priced.count}`);
    const inStock = await expectData(store.GET("/api/products", { params: { query: { in_stock: true } } }), 200, "in_stock=true");
    check(inStock.count === 3, "three in stock");
    const outOfStock = await expectData(store.GET("/api/products", { params: { query: { in_stock: false } } }), 200, "in_stock=false");
    check(outOfStock.count === 2, "two out of stock");
    const ordered = await expectData(store.GET("/api/products", { params: { query: { ordering: "-price_cents" } } }), 200, "ordering");
    const prices = ordered.results.map((p) => p.price_cents);
    check(JSON.stringify(prices) === JSON.stringify([...prices].sort((a, b) => b - a)), "ordering=-price_cents sorts descending");

    // Pages of two, following `next` to the end and `previous` back.
    const seen: number[] = [];
    let page = await expectData(store.GET("/api/products", { params: { query: { limit: 2 } } }), 200, "page 1");
    let pages = 1;
    seen.push(...page.results.map((p) => p.id));
    while (page.next !== null && page.next !== undefined) {
      check(pages < 10, "pagination ends");
      const link: string = page.next;
      page = await expectData(store.GET("/api/products", { params: { query: pageOf(link) } }), 200, `page ${++pages}`);
      seen.push(...page.results.map((p) => p.id));
    }
    check(pages === 3 && JSON.stringify(seen) === JSON.stringify(ids), `three pages hold every product once (${pages}: ${seen})`);
    const back = defined(page.previous, "the last page's previous link");
    const previous = await expectData(store.GET("/api/products", { params: { query: pageOf(back) } }), 200, "previous page");
    check(previous.results.length === 2 && previous.results[0]?.id === ids[2], "previous leads back");
    await expectProblem(store.GET("/api/products", { params: { query: { limit: 0 } } }), 400, "limit=0", "validation-error");
  });

  let productId = 0;
  await step("product: GET, PUT the GET body back, PATCH, conditional requests, DELETE", async () => {
    const list = await expectData(store.GET("/api/products", { params: { query: { category: "laptops" } } }), 200, "find the laptop");
    productId = defined(list.results[0], "the laptop").id;
    const got = await store.GET("/api/products/{id}", { params: { path: { id: productId } } });
    const product = defined(got.data, `GET product: ${describe(got)}`);
    const etag = defined(got.response.headers.get("etag"), "the ETag of a GET");

    // The GET's body, read-only fields and all, is a valid PUT body and changes nothing.
    const same = await expectData(store.PUT("/api/products/{id}", { params: { path: { id: productId } }, body: product }), 200, "PUT the GET body");
    check(JSON.stringify(same) === JSON.stringify(product), "PUT of the unchanged body changes nothing (updated_at included)");
    await expectStatus(
      store.GET("/api/products/{id}", { params: { path: { id: productId } }, headers: { "If-None-Match": etag } }),
      304,
      "If-None-Match with the current tag",
    );

    const edited = { ...product, name: "Laptop Z2", description: "15 inch", stock: 4 };
    const replaced = await expectData(store.PUT("/api/products/{id}", { params: { path: { id: productId } }, body: edited }), 200, "PUT an edit");
    check(replaced.name === "Laptop Z2" && replaced.stock === 4 && replaced.id === productId, "PUT replaces");

    const patched = await expectData(
      store.PATCH("/api/products/{id}", { params: { path: { id: productId } }, body: { price_cents: 140_000 } }),
      200,
      "PATCH the price",
    );
    check(patched.price_cents === 140_000 && patched.name === "Laptop Z2", "PATCH changes only what it names");
    await expectProblem(
      store.PATCH("/api/products/{id}", { params: { path: { id: productId } }, body: { stock: 1 }, headers: { "If-Match": etag } }),
      412,
      "If-Match with a stale tag",
      "precondition-failed",
    );
    await expectProblem(store.GET("/api/products/{id}", { params: { path: { id: 999_999_999 } } }), 404, "an unknown product");

    const doomed = await expectData(
      store.POST("/api/products", { body: { sku: `SKU-${run}-9`, name: "Doomed", price_cents: 9 } }),
      201,
      "create a product to delete",
    );
    await expectStatus(store.DELETE("/api/products/{id}", { params: { path: { id: doomed.id } } }), 204, "DELETE");
    await expectProblem(store.GET("/api/products/{id}", { params: { path: { id: doomed.id } } }), 404, "GET after DELETE");
    await expectProblem(store.DELETE("/api/products/{id}", { params: { path: { id: doomed.id } } }), 404, "DELETE again");
  });

  await step("repair ticket: the whole workflow, notes, assignment, filters", async () => {
    const created = await expectData(
      store.POST("/api/tickets", {
        body: {
          customer_name: "Ada Lovelace",
          customer_email: "ada@example.test",
          device: "Laptop Z2",
          problem: "Does not boot",
          ...(productId ? { product_id: productId } : {}),
        },
      }),
      201,
      "open a ticket",
    );
    check(created.status === "received" && created.closed_at === null, "a new ticket is received and open");
    check(created.events.length === 1 && created.events[0]?.kind === "created", "a creation event");
    const id = created.id;

    for (const to of ["diagnosing", "waiting_parts", "repairing", "ready"] as const) {
      const moved = await expectData(store.POST("/api/tickets/{id}/transition", { params: { path: { id } }, body: { to } }), 200, `to ${to}`);
      check(moved.status === to && moved.closed_at === null, `${to} is open`);
    }
    const note = await expectData(store.POST("/api/tickets/{id}/notes", { params: { path: { id } }, body: { text: "Customer called" } }), 201, "a note");
    check(note.kind === "note" && note.note === "Customer called" && note.user_id === ownerId, "the note event");
    const assigned = await expectData(store.PATCH("/api/tickets/{id}", { params: { path: { id } }, body: { assigned_to: ownerId } }), 200, "assign");
    check(assigned.assigned_to === ownerId && assigned.events.some((e) => e.kind === "assigned"), "an assignment event");

    const filteredOpen = await expectData(store.GET("/api/tickets", { params: { query: { open: true, assigned_to: ownerId } } }), 200, "open tickets");
    check(filteredOpen.count === 1, "one open ticket assigned to the owner");

    const delivered = await expectData(
      store.POST("/api/tickets/{id}/transition", { params: { path: { id } }, body: { to: "delivered", note: "Picked up" } }),
      200,
      "to delivered",
    );
    check(delivered.status === "delivered" && delivered.closed_at !== null, "delivered closes the ticket");
    const conflict = await expectProblem(
      store.POST("/api/tickets/{id}/transition", { params: { path: { id } }, body: { to: "repairing" } }),
      409,
      "leaving delivered",
      "invalid-transition",
    );
    check(conflict.status === 409, "the problem carries the status");
    await expectData(store.POST("/api/tickets/{id}/notes", { params: { path: { id } }, body: { text: "Warranty call" } }), 201, "a note on a closed ticket");

    const full = await expectData(store.GET("/api/tickets/{id}", { params: { path: { id } } }), 200, "the ticket with its events");
    const statusEvents = full.events.filter((e) => e.kind === "status").map((e) => e.to_status);
    check(
      JSON.stringify(statusEvents) === JSON.stringify(["diagnosing", "waiting_parts", "repairing", "ready", "delivered"]),
      `the status history (${statusEvents})`,
    );
    // The GET body of a ticket is a valid PATCH body (read-only fields ignored).
    await expectData(store.PATCH("/api/tickets/{id}", { params: { path: { id } }, body: full }), 200, "PATCH the GET body back");

    const second = await expectData(
      store.POST("/api/tickets", { body: { customer_name: "Walk-in", device: "Phone", problem: "Cracked screen" } }),
      201,
      "a walk-in ticket",
    );
    check(second.customer_email === "" && second.product_id === null, "a walk-in has no e-mail and no product");
    const skipped = await expectData(
      store.POST("/api/tickets/{id}/transition", { params: { path: { id: second.id } }, body: { to: "diagnosing" } }),
      200,
      "second to diagnosing",
    );
    check(skipped.status === "diagnosing", "diagnosing");
    await expectData(store.POST("/api/tickets/{id}/transition", { params: { path: { id: second.id } }, body: { to: "repairing" } }), 200, "diagnosing may skip waiting_parts");
    const cancelled = await expectData(
      store.POST("/api/tickets/{id}/transition", { params: { path: { id: second.id } }, body: { to: "cancelled" } }),
      200,
      "cancel",
    );
    check(cancelled.status === "cancelled" && cancelled.closed_at !== null, "cancelled closes");

    const byStatus = await expectData(store.GET("/api/tickets", { params: { query: { status: "delivered" } } }), 200, "status filter");
    check(byStatus.count === 1 && byStatus.results[0]?.id === id, "one delivered ticket");
    const closed = await expectData(store.GET("/api/tickets", { params: { query: { open: false, ordering: "-id" } } }), 200, "closed tickets");
    check(closed.count === 2 && closed.results[0]?.id === second.id, "two closed, newest first");
    if (productId) {
      const byProduct = await expectData(store.GET("/api/tickets", { params: { query: { product_id: productId } } }), 200, "product filter");
      check(byProduct.count === 1, "one ticket for the laptop");
    }
    const searched = await expectData(store.GET("/api/tickets", { params: { query: { search: "ada@" } } }), 200, "ticket search");
    check(searched.count === 1, "search matches the customer's e-mail");
  });

  await step("members: invite, accept the mailed link, roles, removal", async () => {
    const invited = await expectData(store.POST("/api/members", { body: { email: staffEmail, role: "staff" } }), 202, "invite staff");
    check(invited.status === "invited" && invited.email === staffEmail, "the invitation");
    const pending = await expectData(store.GET("/api/invitations"), 200, "pending invitations");
    check(pending.results.some((i) => i.id === invited.id), "the invitation is pending");

    const token = await mailedToken(staffEmail, "/api/invitations/accept");
    const shown = await expectData(pub.GET("/api/invitations/accept", { params: { query: { token } } }), 200, "show the invitation");
    check(shown.store.slug === slug && shown.role === "staff" && shown.account_exists === false, "the invitation names the store");
    const accepted = await expectData(
      pub.POST("/api/invitations/accept", { body: { token, password: staffPassword, display_name: "Sam Staff" } }),
      200,
      "accept",
    );
    check(accepted.role === "staff" && accepted.user.email_verified === true, "the invitee joins as staff, verified");
    const staffId = accepted.user.id;
    await expectProblem(
      pub.POST("/api/invitations/accept", { body: { token, password: staffPassword } }),
      400,
      "accepting twice",
      "invalid-link",
    );

    const staff: Session = { token: accepted.token };
    const asStaff = storeClient(domain, staff);
    const staffMe = await expectData(asStaff.GET("/api/me"), 200, "staff: me");
    check(staffMe.role === "staff", "staff: role");
    await expectData(
      asStaff.POST("/api/products", { body: { sku: `SKU-${run}-staff`, name: "By staff", price_cents: 5 } }),
      201,
      "staff creates a product",
    );
    await expectProblem(asStaff.GET("/api/members"), 403, "staff may not list members");

    const members = await expectData(store.GET("/api/members"), 200, "members");
    check(members.count === 2, "two members");
    const changed = await expectData(
      store.PATCH("/api/members/{user_id}", { params: { path: { user_id: staffId } }, body: { role: "viewer" } }),
      200,
      "make the staff a viewer",
    );
    check(changed.role === "viewer", "viewer");
    await expectProblem(asStaff.GET("/api/me"), 401, "a changed role revokes the member's tokens");
    const relogin = await expectData(asStaff.POST("/api/auth/login", { body: { email: staffEmail, password: staffPassword } }), 200, "viewer logs in");
    staff.token = relogin.token;
    await expectData(asStaff.GET("/api/products"), 200, "a viewer reads");
    await expectProblem(
      asStaff.POST("/api/products", { body: { sku: `SKU-${run}-viewer`, name: "By viewer", price_cents: 5 } }),
      403,
      "a viewer may not write",
    );
    await expectProblem(
      store.PATCH("/api/members/{user_id}", { params: { path: { user_id: ownerId } }, body: { role: "admin" } }),
      409,
      "the last owner stays",
      "last-owner",
    );
    await expectStatus(store.DELETE("/api/members/{user_id}", { params: { path: { user_id: staffId } } }), 204, "remove the member");
    await expectProblem(asStaff.GET("/api/me"), 401, "a removed member's token is revoked");

    const again = await expectData(store.POST("/api/members", { body: { email: `later-${run}@contract.test`, role: "viewer" } }), 202, "invite another");
    await expectStatus(store.DELETE("/api/invitations/{id}", { params: { path: { id: again.id } } }), 204, "withdraw it");
    await expectProblem(store.DELETE("/api/invitations/{id}", { params: { path: { id: again.id } } }), 404, "withdraw it again");
  });

  await step("accounts: a second store, password reset, logout", async () => {
    const second = await expectData(
      pub.POST("/api/stores", { body: { name: `Second ${run}`, slug: `${slug}_b`, email: ownerEmail, password: ownerPassword } }),
      201,
      "a second store for the account",
    );
    check(second.tenant.slug === `${slug}_b` && second.role === "owner", "the owner's second store");
    await expectProblem(
      pub.POST("/api/stores", { body: { name: "Taken", slug, email: ownerEmail, password: ownerPassword } }),
      409,
      "a taken slug",
      "slug-taken",
    );

    await expectData(pub.POST("/api/auth/password-reset", { body: { email: ownerEmail } }), 202, "ask for a reset");
    await expectData(pub.POST("/api/auth/password-reset", { body: { email: `nobody-${run}@contract.test` } }), 202, "a reset for nobody looks the same");
    const token = await mailedToken(ownerEmail, "/api/auth/password-reset/confirm");
    await expectData(pub.POST("/api/auth/password-reset/confirm", { body: { token, password: "new-owner-password-1" } }), 200, "confirm the reset");
    await expectProblem(store.GET("/api/me"), 401, "a reset revokes the account's tokens");
    const login = await expectData(store.POST("/api/auth/login", { body: { email: ownerEmail, password: "new-owner-password-1" } }), 200, "log in with the new password");
    owner.token = login.token;
    await expectStatus(store.POST("/api/auth/logout"), 204, "logout");
    await expectProblem(store.GET("/api/me"), 401, "a logged-out token is refused");
  });

  await step("platform admin: log in, tenants, users, audit, drop", async () => {
    const admin: Session = { token: undefined };
    const platform = publicClient(admin);
    await expectProblem(
      platform.POST("/admin/api/auth/login", { body: { email: ownerEmail, password: "new-owner-password-1" } }),
      403,
      "a store owner is no platform admin",
      "not-a-platform-admin",
    );
    await expectProblem(platform.GET("/admin/api/tenants"), 401, "the admin API wants a token");
    const login = await expectData(
      platform.POST("/admin/api/auth/login", { body: { email: env("ADMIN_EMAIL"), password: env("ADMIN_PASSWORD") } }),
      200,
      "admin login",
    );
    admin.token = login.token;

    const found = await expectData(platform.GET("/admin/api/tenants", { params: { query: { q: slug } } }), 200, "search tenants");
    check(found.count === 2 && found.results.every((t) => t.slug.startsWith(slug)), "the scenario's two stores");
    const name = `adm_${run}`;
    const created = await expectData(platform.POST("/admin/api/tenants", { body: { slug: name, name: "Admin made", plan: "pro" } }), 201, "create a tenant");
    check(created.slug === name && created.plan === "pro" && created.state === "active", "the created tenant");
    const detail = await expectData(platform.GET("/admin/api/tenants/{slug}", { params: { path: { slug: name } } }), 200, "tenant detail");
    check(detail.member_count === 0 && detail.migrations.pending.length === 0, "a new tenant: no members, migrated");
    const renamed = await expectData(
      platform.PATCH("/admin/api/tenants/{slug}", { params: { path: { slug: name } }, body: { name: "Renamed" } }),
      200,
      "rename",
    );
    check(renamed.name === "Renamed", "renamed");
    const suspended = await expectData(
      platform.POST("/admin/api/tenants/{slug}/suspend", { params: { path: { slug: name } }, body: { reason: "contract test" } }),
      200,
      "suspend",
    );
    check(suspended.state === "suspended", "suspended");
    const resumed = await expectData(platform.POST("/admin/api/tenants/{slug}/resume", { params: { path: { slug: name } } }), 200, "resume");
    check(resumed.state === "active", "resumed");
    const inMaintenance = await expectData(
      platform.PUT("/admin/api/tenants/{slug}/maintenance", { params: { path: { slug: name } }, body: { retry_after: 60, message: "contract test" } }),
      200,
      "maintenance on",
    );
    check(inMaintenance.maintenance?.retry_after === 60 && inMaintenance.maintenance?.message === "contract test", "in maintenance");
    const ended = await expectData(platform.DELETE("/admin/api/tenants/{slug}/maintenance", { params: { path: { slug: name } } }), 200, "maintenance off");
    check(ended.maintenance === undefined, "maintenance ended");
    const extraDomain = `${name.replaceAll("_", "-")}.example.test`;
    const withDomain = await expectData(
      platform.POST("/admin/api/tenants/{slug}/domains", { params: { path: { slug: name } }, body: { domain: extraDomain } }),
      200,
      "add a domain",
    );
    check(withDomain.domains.some((d) => d.domain === extraDomain), "the domain is added");
    await expectData(
      platform.POST("/admin/api/tenants/{slug}/domains/{domain}/primary", { params: { path: { slug: name, domain: extraDomain } } }),
      200,
      "make it primary",
    );
    await expectProblem(
      platform.DELETE("/admin/api/tenants/{slug}", { params: { path: { slug: name } }, body: { confirm: "wrong" } }),
      400,
      "a drop without the right confirmation",
      "validation-error",
    );
    await expectStatus(
      platform.DELETE("/admin/api/tenants/{slug}", { params: { path: { slug: name } }, body: { confirm: name } }),
      204,
      "drop",
    );
    await expectProblem(platform.GET("/admin/api/tenants/{slug}", { params: { path: { slug: name } } }), 404, "a dropped tenant is gone");

    const users = await expectData(platform.GET("/admin/api/users", { params: { query: { q: run } } }), 200, "users");
    check(users.count === 2, `the scenario's two accounts (${users.count})`);
    const audit = await expectData(platform.GET("/admin/api/audit", { params: { query: { action: "tenant.drop", tenant: name } } }), 200, "audit");
    // Newest first: the drop, then the refused attempt (refusals are audited too).
    check(
      audit.results.length === 2 && audit.results[0]?.outcome === "ok" && audit.results[1]?.outcome === "error",
      `the drop and the refused attempt are audited (${JSON.stringify(audit.results.map((e) => e.outcome))})`,
    );
    const status = await expectData(platform.GET("/admin/api/migrations"), 200, "migration status");
    check(status.schemas.length > 0, "migration status lists schemas");
    await expectStatus(platform.POST("/admin/api/auth/logout"), 204, "admin logout");
    await expectProblem(platform.GET("/admin/api/tenants"), 401, "a logged-out admin token is refused");
  });
}

try {
  await main();
} finally {
  closeConnections();
}
const contractFailures = report([publicContract, storeContract]);
for (const e of serverErrors) console.log(`FAIL server error: ${e}`);
console.log(
  `scenario: ${steps} steps, ${failures.length} failed; ${publicContract.checked + storeContract.checked} responses checked against the documents, ` +
    `${contractFailures} contract failures, ${serverErrors.length} server errors`,
);
process.exit(failures.length + contractFailures + serverErrors.length > 0 ? 1 : 0);
