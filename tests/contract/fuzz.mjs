// A bounded, seeded fuzz of every operation of the public and the store document, driven by the documents
// alone: path and query parameters and bodies come from each operation's schemas (schema_gen.mjs), valid ones
// and mutations that the schemas forbid (wrong type, out of bounds, unknown field, missing required, no
// token...). Checks, for every answer:
//   - no 5xx;
//   - the status is declared for the operation, and the body matches the declared schema (2xx and 4xx);
//   - every 4xx is an application/problem+json problem with type, title and status (contract.mjs);
//   - input that the document forbids is refused (4xx), never accepted.
// Fixtures (a store with a product, a ticket and an invitation, a second store whose tenant and owner the
// admin operations may change or drop, a migration run) are made first; the fuzz never drops or disables
// what it works with, and logs in again after a logout.
// Environment: BASE_PORT, PUBLIC_DOC, STORE_DOC, ADMIN_EMAIL, ADMIN_PASSWORD; CONTRACT_FUZZ_SEED (default
// 20261202), CONTRACT_FUZZ_CASES (per operation, default 10), CONTRACT_FUZZ_VERBOSE=1 (every case).
import { Contract, deref, loadDocument, pointerSegment } from "./contract.mjs";
import { closeConnections, send } from "./http.mjs";
import { genValid, invalidValues, prng, resolve, typesOf } from "./schema_gen.mjs";

const env = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === "") {
    if (fallback === undefined) throw new Error(`${name} is not set`);
    return fallback;
  }
  return v;
};
const port = Number(env("BASE_PORT"));
const seed = Number(env("CONTRACT_FUZZ_SEED", "20261202"));
const casesPerOp = Number(env("CONTRACT_FUZZ_CASES", "10"));
const verbose = env("CONTRACT_FUZZ_VERBOSE", "") === "1";
const rng = prng(seed);
const publicHost = `127.0.0.1:${port}`;
const contracts = {
  public: new Contract(loadDocument(env("PUBLIC_DOC")), "public"),
  store: new Contract(loadDocument(env("STORE_DOC")), "store"),
};

/** Failures found by the fuzz itself (the contracts keep theirs). */
const failures = [];
const warnings = [];
/** Schema-valid input that the server refused (400 validation-error): rules that the document does not state. */
const notes = [];
let cases = 0;
/** Answers by kind of case and status class, and the operations whose valid cases never succeeded. */
const stats = { valid: {}, invalid: {} };
const never2xx = [];

/**
 * Sends one request and checks the answer against the document. `template` is the operation's path key,
 * `path` the concrete path (with query).
 */
async function call(contract, { method, template, path, host, token, body, rawBody, headers = {}, label }) {
  const h = { accept: "application/json, application/problem+json", ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (rawBody !== undefined) payload = rawBody;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) h["content-type"] = h["content-type"] ?? "application/json";
  let res;
  try {
    res = await send({ port, host, method: method.toUpperCase(), path, headers: h, body: payload });
  } catch (e) {
    failures.push({ where: `${contract.name}: ${method.toUpperCase()} ${template} (${label})`, problem: `no answer: ${e.message}; sent ${method.toUpperCase()} ${path} ${String(payload ?? "").slice(0, 300)}`, body: "" });
    // A server that stopped answering ends the fuzz (every later case would only repeat this).
    if (/ECONNREFUSED/.test(e.message)) throw new Error(`the server is gone (${e.message})`);
    return { status: 0, headers: {}, text: "", json: undefined };
  }
  const where = `${contract.name}: ${method.toUpperCase()} ${template} → ${res.status} (${label})`;
  const problems = contract.check({ method, path: template, status: res.status, headers: res.headers, text: res.text, label: `${label}; sent ${path}${payload !== undefined ? " " + String(payload).slice(0, 300) : ""}` });
  if (res.status >= 500) failures.push({ where, problem: `server error; sent ${method.toUpperCase()} ${path} ${String(payload ?? "").slice(0, 300)}`, body: res.text.slice(0, 1000) });
  if (verbose) console.log(`  ${where}${problems.length ? " ✗ " + problems.join("; ") : ""}`);
  let json;
  try {
    json = res.text ? JSON.parse(res.text) : undefined;
  } catch {
    json = undefined;
  }
  return { ...res, json };
}

// ---------------------------------------------------------------------------------------------- fixtures

const fx = {};
// Fixture names are unique per run (the cases themselves follow the seed).
const runId = Date.now().toString(36);

async function setupCall(contract, method, template, path, { host, token, body } = {}) {
  const res = await call(contract, { method, template, path, host, token, body, label: "fixture" });
  if (res.status < 200 || res.status > 299)
    throw new Error(`fixture ${method.toUpperCase()} ${path}: ${res.status} ${res.text.slice(0, 400)}`);
  return res.json;
}

async function loginAdmin() {
  const r = await setupCall(contracts.public, "post", "/admin/api/auth/login", "/admin/api/auth/login", {
    host: publicHost,
    body: { email: env("ADMIN_EMAIL"), password: env("ADMIN_PASSWORD") },
  });
  fx.adminToken = r.token;
}

async function loginOwner() {
  const r = await setupCall(contracts.store, "post", "/api/auth/login", "/api/auth/login", {
    host: fx.storeHost,
    body: { email: fx.ownerEmail, password: fx.ownerPassword },
  });
  fx.ownerToken = r.token;
}

async function setup() {
  await loginAdmin();
  fx.ownerEmail = `fuzz-owner-${runId}@contract.test`;
  fx.ownerPassword = "fuzz-owner-password";
  const store = await setupCall(contracts.public, "post", "/api/signup", "/api/signup", {
    host: publicHost,
    body: { name: "Fuzz Store", slug: `fz_store_${runId}`, email: fx.ownerEmail, password: fx.ownerPassword },
  });
  fx.storeSlug = store.tenant.slug;
  fx.storeHost = `${store.tenant.domains[0].domain}:${port}`;
  fx.ownerId = store.user.id;
  fx.ownerToken = store.token;
  // The tenant and the account that admin operations may suspend, archive, drop or disable.
  const victim = await setupCall(contracts.public, "post", "/api/signup", "/api/signup", {
    host: publicHost,
    body: { name: "Fuzz Victim", slug: `fz_victim_${runId}`, email: `fuzz-victim-${runId}@contract.test`, password: "fuzz-victim-password" },
  });
  fx.victimSlug = victim.tenant.slug;
  fx.victimUserId = victim.user.id;
  fx.victimDomain = victim.tenant.domains?.[0]?.domain ?? `${fx.victimSlug}.localhost`;
  const st = { host: fx.storeHost, token: fx.ownerToken };
  const product = await setupCall(contracts.store, "post", "/api/products", "/api/products", {
    ...st,
    body: { sku: `FZ-${runId}`, name: "Fuzz product", price_cents: 100, stock: 2, category: "fuzz" },
  });
  fx.productId = product.id;
  const ticket = await setupCall(contracts.store, "post", "/api/tickets", "/api/tickets", {
    ...st,
    body: { customer_name: "Fuzz", device: "Phone", problem: "Fuzzed", product_id: product.id },
  });
  fx.ticketId = ticket.id;
  const invitation = await setupCall(contracts.store, "post", "/api/members", "/api/members", {
    ...st,
    body: { email: `fuzz-invitee-${runId}@contract.test`, role: "viewer" },
  });
  fx.invitationId = invitation.id;
  const run = await setupCall(contracts.public, "post", "/admin/api/migrations/runs", "/admin/api/migrations/runs", {
    host: publicHost,
    token: fx.adminToken,
  });
  fx.runId = run.id;
}

/**
 * The fixture for a path parameter, by the collection it follows ("/api/products/{id}" → products.id), or
 * undefined. Only values the fuzz may change: the victim tenant and user for the admin API.
 */
function fixtureFor(template, name) {
  const segments = template.split("/");
  const at = segments.indexOf(`{${name}}`);
  const collection = segments.slice(0, at).filter((s) => !s.startsWith("{")).pop();
  return {
    "products.id": fx.productId,
    "tickets.id": fx.ticketId,
    "invitations.id": fx.invitationId,
    // The owner: removing or demoting the last owner is refused (409), so the fuzz keeps its store.
    "members.user_id": fx.ownerId,
    "tenants.slug": fx.victimSlug,
    "domains.domain": fx.victimDomain,
    "users.id": fx.victimUserId,
    "runs.id": fx.runId,
  }[`${collection}.${name}`];
}

// ------------------------------------------------------------------------------------------- operations

function parametersOf(contract, entry) {
  const byKey = new Map();
  for (const p of [...(entry.item.parameters ?? []), ...(entry.op.parameters ?? [])]) {
    const param = deref(contract.doc, p);
    byKey.set(`${param.in}:${param.name}`, param);
  }
  return [...byKey.values()];
}

/** The JSON request body of an operation: {schema, pointer, required}, or undefined. */
function requestBodyOf(contract, entry) {
  let pointer = `${entry.pointer}/requestBody`;
  let rb = entry.op.requestBody;
  if (!rb) return undefined;
  if (rb.$ref) {
    pointer = rb.$ref.slice(1);
    rb = deref(contract.doc, rb);
  }
  const type = Object.keys(rb.content ?? {}).find((t) => /json/.test(t));
  if (type === undefined) return undefined;
  return { schema: rb.content[type].schema ?? {}, pointer: `${pointer}/content/${pointerSegment(type)}/schema`, required: rb.required === true, type };
}

function securityOf(contract, op) {
  const requirements = op.security ?? contract.doc.security ?? [];
  if (requirements.length === 0) return "none";
  if (requirements.some((r) => Object.keys(r).length === 0)) return "optional";
  return "required";
}

/** The token for an operation that wants one: the platform admin's for /admin/api, the owner's on the store. */
function tokenFor(contractName, template) {
  if (template.startsWith("/admin/api/")) return fx.adminToken;
  if (contractName === "store") return fx.ownerToken;
  return undefined;
}

/** Whether `value` matches a parameter's schema (ajv). */
function paramValid(contract, param, value) {
  return contract.validatorFor(param.schema ?? {})(value);
}

function serialise(value) {
  return typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
}

function buildPath(template, pathValues, query) {
  let path = template.replace(/\{([^}]+)\}/g, (_, name) => encodeURIComponent(serialise(pathValues[name])));
  const parts = [];
  for (const [name, value] of query) {
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(serialise(v))}`);
  }
  if (parts.length) path += "?" + parts.join("&");
  return path;
}

/** A valid case of the operation: {pathValues, query: [[name, value]], headers, body?}. */
function validCase(contract, entry, params, body) {
  const pathValues = {};
  const query = [];
  const headers = {};
  for (const p of params) {
    if (p.in === "path") {
      const fixture = fixtureFor(entry.path, p.name);
      if (fixture !== undefined && rng.chance(0.7)) pathValues[p.name] = fixture;
      // Otherwise an id that no row has (never the fixtures, nor the admin's or the owner's accounts).
      else pathValues[p.name] = genValid(contract.doc, rng, p.schema ?? {}, { name: p.name, intRange: [1_000_000, 9_000_000] });
    } else if (p.in === "query") {
      if (!p.required && !rng.chance(0.35)) continue;
      let value;
      for (let attempt = 0; attempt < 10 && value === undefined; attempt++) {
        const v = genValid(contract.doc, rng, p.schema ?? {}, { name: p.name });
        if (paramValid(contract, p, v)) value = v;
      }
      if (value !== undefined) query.push([p.name, value]);
      else warnings.push(`${contract.name}: ${entry.method.toUpperCase()} ${entry.path}: the generator made no valid '${p.name}'`);
    } else if (p.in === "header" && p.required) {
      headers[p.name] = serialise(genValid(contract.doc, rng, p.schema ?? {}, { name: p.name }));
    }
  }
  const c = { pathValues, query, headers };
  if (body && (body.required || rng.chance(0.85))) {
    let value;
    for (let attempt = 0; attempt < 25; attempt++) {
      value = genValid(contract.doc, rng, body.schema, { skipReadOnly: true });
      if (contract.validate(body.pointer, value) === "") break;
      value = undefined;
    }
    if (value === undefined) {
      warnings.push(`${contract.name}: ${entry.method.toUpperCase()} ${entry.path}: the generator made no valid body`);
    } else {
      // References to other rows name the fixtures most of the time (else the answer is mostly a 400).
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        for (const [name, id] of Object.entries({ product_id: fx.productId, assigned_to: fx.ownerId }))
          if (typeof value[name] === "number" && rng.chance(0.7)) value[name] = id;
      // A confirmation field repeats the path's slug (DELETE /admin/api/tenants/{slug} {"confirm"}).
      if (typeof value === "object" && value !== null && "confirm" in value && pathValues.slug !== undefined && rng.chance(0.5))
        value.confirm = pathValues.slug;
      c.body = value;
    }
  }
  return c;
}

/**
 * Every mutation of a valid case that the document forbids (strict: the answer must be 4xx), plus probes
 * that the document allows but the server is documented to refuse (not strict: only the general checks).
 */
function mutationsOf(contract, entry, params, body, security) {
  const out = [];
  const doc = contract.doc;
  if (body) {
    out.push({ name: "body: malformed JSON", strict: true, apply: (c) => ({ ...c, body: undefined, rawBody: '{"unterminated": ' }) });
    if (body.required) out.push({ name: "body: missing", strict: true, apply: (c) => ({ ...c, body: undefined }) });
    const s = resolve(doc, body.schema);
    for (const bad of invalidValues(doc, rng, { ...s, properties: undefined, required: undefined }))
      if (bad.kind === "wrong type") out.push({ name: `body: ${bad.kind} (${JSON.stringify(bad.value)})`, strict: true, checkBody: true, apply: (c) => ({ ...c, body: bad.value }) });
    for (const name of s.required ?? [])
      out.push({
        name: `body: required '${name}' missing`,
        strict: true,
        checkBody: true,
        apply: (c) => {
          const b = { ...(c.body ?? genValid(doc, rng, s, { skipReadOnly: true })) };
          delete b[name];
          return { ...c, body: b };
        },
      });
    if (s.additionalProperties === false || s.unevaluatedProperties === false)
      out.push({ name: "body: unknown field", strict: true, checkBody: true, apply: (c) => ({ ...c, body: { ...(c.body ?? {}), zz_unknown_field: 1 } }) });
    for (const [name, raw] of Object.entries(s.properties ?? {})) {
      const prop = resolve(doc, raw);
      if (prop.readOnly) continue;
      for (const bad of invalidValues(doc, rng, prop))
        out.push({ name: `body: '${name}' ${bad.kind} (${JSON.stringify(bad.value).slice(0, 40)})`, strict: true, checkBody: true, apply: (c) => ({ ...c, body: { ...(c.body ?? {}), [name]: bad.value } }) });
    }
  }
  for (const p of params) {
    if (p.in !== "query" && p.in !== "path") continue;
    for (const bad of invalidValues(doc, rng, p.schema ?? {})) {
      // A query string carries text: a "wrong type" that reads as the right one (12345 for a string) is none.
      const text = serialise(bad.value);
      // An empty path segment is another URL (another operation, or a 308 to the form without the slash).
      if (p.in === "path" && text === "") continue;
      if (typesOf(resolve(doc, p.schema ?? {})).includes("string") && bad.kind === "wrong type") continue;
      if (Array.isArray(bad.value) || (typeof bad.value === "object" && bad.value !== null)) continue;
      const parsed = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text === "true" ? true : text === "false" ? false : text;
      if (paramValid(contract, p, parsed)) continue;
      out.push({
        name: `${p.in}: '${p.name}' ${bad.kind} (${text.slice(0, 40)})`,
        strict: true,
        apply: (c) =>
          p.in === "path"
            ? { ...c, pathValues: { ...c.pathValues, [p.name]: text } }
            : { ...c, query: [...c.query.filter(([n]) => n !== p.name), [p.name, text]] },
      });
    }
    if (p.in === "query" && p.required) out.push({ name: `query: required '${p.name}' missing`, strict: true, apply: (c) => ({ ...c, query: c.query.filter(([n]) => n !== p.name) }) });
  }
  // Not forbidden by OpenAPI (a document cannot close the query string), but refused by the server's lists.
  out.push({ name: "query: unknown parameter", strict: false, apply: (c) => ({ ...c, query: [...c.query, ["zz_unknown", "1"]] }) });
  if (security === "required") {
    out.push({ name: "auth: no token", strict: true, apply: (c) => ({ ...c, noToken: true }) });
    out.push({ name: "auth: a forged token", strict: true, apply: (c) => ({ ...c, token: "forged.token.value" }) });
  }
  return out;
}

async function sessionsAlive() {
  const me = await send({ port, host: fx.storeHost, path: "/api/me", headers: { authorization: `Bearer ${fx.ownerToken}` } });
  const admin = await send({ port, host: publicHost, path: "/admin/api/tenants?limit=1", headers: { authorization: `Bearer ${fx.adminToken}` } });
  return me.status === 200 && admin.status === 200;
}

function shuffle(list) {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

async function fuzzOperation(contractName, entry) {
  const contract = contracts[contractName];
  const host = contractName === "store" ? fx.storeHost : publicHost;
  const params = parametersOf(contract, entry);
  const body = requestBodyOf(contract, entry);
  const security = securityOf(contract, entry.op);
  const mutations = shuffle(mutationsOf(contract, entry, params, body, security));
  const nInvalid = mutations.length === 0 ? 0 : Math.min(mutations.length, Math.ceil(casesPerOp * 0.6));
  const nValid = casesPerOp - nInvalid;
  const METHOD = entry.method.toUpperCase();
  const logout = /\/logout$/.test(entry.path);
  const plan = [
    ...Array.from({ length: nValid }, () => ({ mutation: undefined })),
    ...mutations.slice(0, nInvalid).map((mutation) => ({ mutation })),
  ];
  // A logout ends the session: its valid cases go last, and the session is renewed after each.
  if (logout) plan.reverse();
  let unauthorised = false;
  let succeeded = false;
  for (const { mutation } of plan) {
    const base = validCase(contract, entry, params, body);
    const c = mutation ? mutation.apply(base) : base;
    // A changed body is strict only if ajv agrees that the document forbids it.
    let strict = mutation?.strict ?? false;
    if (strict && mutation.checkBody && (c.body === undefined || contract.validate(body.pointer, c.body) === "")) strict = false;
    const token = c.noToken ? undefined : (c.token ?? tokenFor(contractName, entry.path));
    const path = buildPath(entry.path, c.pathValues, c.query);
    const label = mutation ? `invalid: ${mutation.name}${strict ? "" : " (probe)"}` : "valid";
    cases++;
    const res = await call(contract, { method: entry.method, template: entry.path, path, host, token, body: c.body, rawBody: c.rawBody, headers: c.headers, label });
    if (strict && res.status >= 200 && res.status < 300)
      failures.push({
        where: `${contractName}: ${METHOD} ${entry.path} → ${res.status} (${label})`,
        problem: `input that the document forbids was accepted; sent ${path} ${c.rawBody ?? JSON.stringify(c.body ?? null).slice(0, 300)}`,
        body: res.text.slice(0, 600),
      });
    const kind = mutation ? "invalid" : "valid";
    const cls = `${Math.floor(res.status / 100)}xx`;
    stats[kind][cls] = (stats[kind][cls] ?? 0) + 1;
    if (!mutation && cls === "2xx") succeeded = true;
    if (!mutation && res.status === 401 && token) unauthorised = true;
    // Input the document allows but the server refuses as invalid: a rule the schemas do not state.
    if (!mutation && res.status === 400 && /\/validation-error$/.test(res.json?.type ?? ""))
      notes.push({
        key: `${contractName}: ${METHOD} ${entry.path}: ${(res.json.errors ?? []).map((e) => `${e.field}: ${String(e.message).replace(/'[^' ]*'/g, "'…'")}`).join("; ")}`,
        example: `${path} ${JSON.stringify(c.body ?? null).slice(0, 200)}`,
      });
    if (logout && res.status >= 200 && res.status < 300) {
      if (entry.path.startsWith("/admin/")) await loginAdmin();
      else await loginOwner();
    }
  }
  // A valid token refused: if the session is gone (nothing the fuzz sends should end it), log in again.
  if (unauthorised && !logout && !(await sessionsAlive())) {
    warnings.push(`${contractName}: ${METHOD} ${entry.path}: the fuzz's session was revoked; logged in again`);
    await loginAdmin();
    await loginOwner();
  }
  if (!succeeded) never2xx.push(`${contractName}: ${METHOD} ${entry.path}`);
  return plan.length;
}

// -------------------------------------------------------------------------------------------------- main

const started = Date.now();
let operations = 0;
const perDocument = {};
try {
  await setup();
  for (const name of ["public", "store"]) {
    const before = cases;
    const entries = contracts[name].operations();
    // Deletions after the rest (they may remove a fixture), logouts last.
    const rank = (e) => (/\/logout$/.test(e.path) ? 2 : e.method === "delete" ? 1 : 0);
    entries.sort((a, b) => rank(a) - rank(b));
    for (const entry of entries) {
      operations++;
      await fuzzOperation(name, entry);
    }
    perDocument[name] = { operations: entries.length, cases: cases - before };
  }
} catch (e) {
  failures.push({ where: "fuzz", problem: `stopped: ${e.stack ?? e}`, body: "" });
} finally {
  closeConnections();
}

const contractFailures = [...contracts.public.failures, ...contracts.store.failures];
const all = [...contractFailures, ...failures];
// One line per distinct problem of an operation, with how many cases had it.
const grouped = new Map();
for (const f of all) {
  const key = `${f.where.replace(/ \(.*$/, "").replace(/→ \d+/, (m) => m)} :: ${f.problem.replace(/; sent .*/, "").slice(0, 300)}`;
  const g = grouped.get(key) ?? { n: 0, example: f };
  g.n++;
  grouped.set(key, g);
}
for (const [key, g] of grouped) {
  console.log(`FAIL ${key}${g.n > 1 ? ` [${g.n} cases]` : ""}`);
  console.log(`     e.g. ${g.example.where}: ${g.example.problem.slice(0, 500)}`);
  if (g.example.body) console.log(`     body: ${g.example.body.slice(0, 500)}`);
}
for (const w of [...new Set(warnings)]) console.log(`warning: ${w}`);
const noted = new Map();
for (const n of notes) noted.set(n.key, { n: (noted.get(n.key)?.n ?? 0) + 1, example: noted.get(n.key)?.example ?? n.example });
for (const [key, { n, example }] of noted) console.log(`note: schema-valid input refused (${n}×): ${key} (e.g. ${example})`);
const classes = (o) => Object.entries(o).sort().map(([k, n]) => `${k} ${n}`).join(", ");
console.log(`answers to valid cases: ${classes(stats.valid)}; to invalid ones: ${classes(stats.invalid)}`);
if (never2xx.length) console.log(`no valid case succeeded (random ids, tokens or e-mails): ${never2xx.join("; ")}`);
const docs = Object.entries(perDocument)
  .map(([n, d]) => `${n} ${d.operations} operations / ${d.cases} cases`)
  .join(", ");
console.log(
  `fuzz (seed ${seed}, ${casesPerOp} cases per operation): ${operations} operations, ${cases} cases (${docs}), ` +
    `${all.length} failures (${grouped.size} distinct), ${contracts.public.checked + contracts.store.checked} answers checked, ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(all.length > 0 ? 1 : 0);
