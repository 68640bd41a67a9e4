// Checks HTTP responses against an OpenAPI 3.1 document: the status must be declared for the operation
// (exactly, as a range like 4XX, or by `default`), the media type must be one the response declares, and the
// body must match the declared schema (ajv's JSON Schema 2020-12 dialect, which OpenAPI 3.1 uses, with
// ajv-formats). Error answers must also be RFC 9457 problem documents.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS: its default export arrives as the module object or the function.
const addFormats = /** @type {any} */ (addFormatsModule).default ?? addFormatsModule;

export const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Escapes one JSON Pointer segment (RFC 6901). */
export function pointerSegment(s) {
  return String(s).replaceAll("~", "~0").replaceAll("/", "~1");
}

export function loadDocument(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mediaType(contentType) {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

/** Follows a local `$ref` ("#/components/...") of the document, repeatedly; other objects are returned as they are. */
export function deref(doc, node) {
  let seen = 0;
  while (node && typeof node === "object" && typeof node.$ref === "string" && node.$ref.startsWith("#/")) {
    if (++seen > 20) throw new Error(`$ref loop at ${node.$ref}`);
    node = node.$ref
      .slice(2)
      .split("/")
      .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce((n, key) => (n === undefined ? undefined : n[key]), doc);
  }
  return node;
}

export class Contract {
  /** `name` labels the document in reports ("public", "store"). */
  constructor(doc, name) {
    this.doc = doc;
    this.name = name;
    /** Every check that failed: {where, problem, status, body} */
    this.failures = [];
    /** How many responses were checked. */
    this.checked = 0;
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI's own formats (OAS 3.1 §4.4): checked where they say something JSON Schema does not.
    this.ajv.addFormat("int32", { type: "number", validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    this.ajv.addFormat("int64", { type: "number", validate: (n) => Number.isInteger(n) });
    this.ajv.addFormat("float", { type: "number", validate: () => true });
    this.ajv.addFormat("double", { type: "number", validate: () => true });
    this.ajv.addFormat("password", () => true);
    // The whole document is registered once; every schema is compiled by its JSON Pointer in it, so that
    // `$ref: "#/components/schemas/..."` resolves against the document.
    this.base = `urn:tenantry:openapi:${name}`;
    this.ajv.addSchema(doc, this.base);
    this.validators = new Map();
  }

  /** The compiled validator of the schema at `pointer` (a JSON Pointer into the document). */
  validator(pointer) {
    let v = this.validators.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `${this.base}#${pointer}` });
      this.validators.set(pointer, v);
    }
    return v;
  }

  /** The operation object of `method` on `pathTemplate` (an OpenAPI path key), or undefined. */
  operation(method, pathTemplate) {
    const item = deref(this.doc, this.doc.paths?.[pathTemplate]);
    return item?.[method.toLowerCase()];
  }

  /** Every operation: {method, path, op, pointer} in document order. */
  operations() {
    const out = [];
    for (const [path, rawItem] of Object.entries(this.doc.paths ?? {})) {
      const item = deref(this.doc, rawItem);
      for (const method of METHODS)
        if (item[method])
          out.push({ method, path, op: item[method], item, pointer: `/paths/${pointerSegment(path)}/${method}` });
    }
    return out;
  }

  /** The path template of the document that `concretePath` (no query) matches for `method`, or undefined. */
  match(method, concretePath) {
    const candidates = [];
    for (const [template, rawItem] of Object.entries(this.doc.paths ?? {})) {
      const item = deref(this.doc, rawItem);
      if (!item?.[method.toLowerCase()]) continue;
      const re = new RegExp(
        "^" + template.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[^/]+") + "$",
      );
      if (re.test(concretePath)) candidates.push(template);
    }
    // A literal segment wins over a parameter (OAS 3.1 "Path Templating Matching").
    candidates.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
    return candidates[0];
  }

  /** The key of `responses` that `status` falls under: exact, range (4XX) or default. */
  responseKey(op, status) {
    const responses = op.responses ?? {};
    const exact = String(status);
    if (responses[exact]) return exact;
    const range = `${Math.floor(status / 100)}XX`;
    for (const key of Object.keys(responses)) if (key.toUpperCase() === range) return key;
    if (responses.default) return "default";
    return undefined;
  }

  /**
   * Checks one response of `method` on `pathTemplate`. `headers` maps lower-case names to values. Returns the
   * list of problems found (also added to `failures`).
   */
  check({ method, path, status, headers, text, label }) {
    this.checked++;
    const where = `${this.name}: ${method.toUpperCase()} ${path} → ${status}${label ? ` (${label})` : ""}`;
    const problems = [];
    const fail = (problem) => problems.push(problem);
    const op = this.operation(method, path);
    if (!op) {
      fail(`the document has no operation ${method.toUpperCase()} ${path}`);
    } else {
      const key = this.responseKey(op, status);
      if (key === undefined) {
        fail(`status ${status} is not declared (declared: ${Object.keys(op.responses ?? {}).join(", ")})`);
      } else {
        const responsePointer = `${this.opPointer(method, path)}/responses/${pointerSegment(key)}`;
        this.checkBody(deref(this.doc, op.responses[key]), responsePointer, status, headers, text, fail);
      }
    }
    if (status >= 400) checkProblemShape(status, headers, text, fail);
    for (const problem of problems) this.failures.push({ where, problem, status, body: text.slice(0, 2000) });
    return problems;
  }

  opPointer(method, path) {
    return `/paths/${pointerSegment(path)}/${method.toLowerCase()}`;
  }

  checkBody(response, responsePointer, status, headers, text, fail) {
    const content = response?.content;
    const type = mediaType(headers["content-type"]);
    const hasBody = text.length > 0;
    if (!content || Object.keys(content).length === 0) {
      if (hasBody) fail(`the response declares no content, but a body of type '${type}' came`);
      return;
    }
    if (!hasBody) {
      if (status !== 204 && status !== 304) fail(`the response declares content (${Object.keys(content).join(", ")}) but the body is empty`);
      return;
    }
    const declared = Object.keys(content).find((k) => mediaTypeMatches(k, type));
    if (declared === undefined) {
      fail(`content type '${type}' is not declared (declared: ${Object.keys(content).join(", ")})`);
      return;
    }
    const media = content[declared];
    if (!media.schema) return;
    if (!/json/.test(declared)) return;
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      fail(`the body is not JSON: ${e.message}`);
      return;
    }
    let validate;
    try {
      validate = this.validator(`${responsePointer}/content/${pointerSegment(declared)}/schema`);
    } catch (e) {
      fail(`the declared schema does not compile: ${e.message}`);
      return;
    }
    if (!validate(body)) fail(`the body does not match the declared schema: ${formatErrors(validate.errors)}`);
  }

  /** A validator of a schema object taken out of the document (its local $refs still point into it). */
  validatorFor(schema) {
    const key = JSON.stringify(schema);
    let v = this.validators.get(key);
    if (!v) {
      const absolute = (node) =>
        Array.isArray(node)
          ? node.map(absolute)
          : node && typeof node === "object"
            ? Object.fromEntries(
                Object.entries(node).map(([k, x]) => [k, k === "$ref" && typeof x === "string" && x.startsWith("#") ? this.base + x : absolute(x)]),
              )
            : node;
      v = this.ajv.compile(absolute(schema));
      this.validators.set(key, v);
    }
    return v;
  }

  /** Validates `value` against the schema at `pointer`; returns the errors as text, or "" when it matches. */
  validate(pointer, value) {
    const v = this.validator(pointer);
    return v(value) ? "" : formatErrors(v.errors);
  }
}

function mediaTypeMatches(declared, actual) {
  const d = declared.toLowerCase().split(";")[0].trim();
  if (d === "*/*") return true;
  if (d.endsWith("/*")) return actual.startsWith(d.slice(0, -1));
  return d === actual;
}

/** RFC 9457: application/problem+json with a type, a title and the HTTP status. */
function checkProblemShape(status, headers, text, fail) {
  const type = mediaType(headers["content-type"]);
  if (type !== "application/problem+json") {
    fail(`an error answer must be application/problem+json, not '${type}'`);
    return;
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    fail("the problem document is not JSON");
    return;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return fail("the problem document is not an object");
  if (typeof body.type !== "string") fail("the problem document has no string 'type'");
  if (typeof body.title !== "string") fail("the problem document has no string 'title'");
  if (body.status !== status) fail(`the problem document's status is ${JSON.stringify(body.status)}, not ${status}`);
}

export function formatErrors(errors) {
  return (errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || "/"} ${e.message}${e.params && Object.keys(e.params).length ? " " + JSON.stringify(e.params) : ""} [${e.schemaPath}]`)
    .join("; ");
}

/** Prints the failures of some contracts; returns their number. */
export function report(contracts, out = console.log) {
  let n = 0;
  for (const c of contracts) {
    for (const f of c.failures) {
      n++;
      out(`FAIL ${f.where}: ${f.problem}\n     body: ${f.body.slice(0, 600)}`);
    }
  }
  return n;
}
