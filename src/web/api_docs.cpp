#include "web/detail/api_docs.hpp"

#include "tenantry/web/openapi.hpp"
#include "tenantry/web/pagination.hpp"

namespace tenantry::web::detail {

namespace {

// The whole page: it reads openapi.json beside it (so it works on every host and under /t/<slug>) and renders
// every operation with its parameters, body and answers. DOM nodes only (textContent), never HTML strings.
constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>API documentation</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:1rem 1.5rem;color:#1d2430}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #d8dee8;padding-bottom:.2rem;margin-top:2rem}
details{border:1px solid #d8dee8;border-radius:6px;margin:.5rem 0;padding:.4rem .7rem}
summary{cursor:pointer} code,pre{font:13px ui-monospace,monospace} pre{background:#f5f7fa;padding:.5rem;overflow:auto}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#0a6} .post{color:#06c} .put,.patch{color:#b60} .delete{color:#c22}
table{border-collapse:collapse;margin:.3rem 0} td,th{border:1px solid #d8dee8;padding:.15rem .45rem;text-align:left}
.lock{color:#666;font-size:12px}
</style></head><body>
<h1 id="title">API documentation</h1><p id="about"></p><p>Machine-readable: <a href="openapi.json">openapi.json</a></p>
<div id="ops">Loading…</div>
<script>
"use strict";
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
let doc;
const deref = s => { while (s && s.$ref) s = doc.components.schemas[s.$ref.split("/").pop()]; return s || {}; };
function shape(s, depth) {
  if (depth > 6) return "…";
  if (s.$ref) return s.$ref.split("/").pop();
  if (s.allOf) return s.allOf.map(x => shape(x, depth)).join(" & ");
  if (s.anyOf) return s.anyOf.map(x => shape(x, depth)).join(" | ");
  const t = [].concat(s.type || "any").join(" | ");
  if (s.type === "array" || (Array.isArray(s.type) && s.type.includes("array"))) return shape(s.items || {}, depth + 1) + "[]";
  const rules = [];
  if (s.enum) rules.push("one of " + s.enum.map(String).join(", "));
  for (const k of ["format", "minimum", "maximum", "minLength", "maxLength", "pattern"]) if (s[k] !== undefined) rules.push(k + " " + s[k]);
  if (s.readOnly) rules.push("read-only");
  return t + (rules.length ? " (" + rules.join("; ") + ")" : "");
}
function fields(s) {
  s = deref(s);
  const table = el("table"), head = el("tr");
  for (const h of ["field", "type", "required", "description"]) head.append(el("th", h));
  table.append(head);
  const req = new Set(s.required || []);
  for (const [name, p] of Object.entries(s.properties || {})) {
    const row = el("tr");
    row.append(el("td", name), el("td", shape(p, 0)), el("td", req.has(name) ? "yes" : ""), el("td", deref(p).description || p.description || ""));
    table.append(row);
  }
  return table;
}
function operation(path, method, op) {
  const box = el("details"), head = el("summary");
  head.append(el("span", method, "m " + method), el("code", path), document.createTextNode(" — " + (op.summary || "")));
  if (op.security && op.security.length) head.append(el("span", "  (token)", "lock"));
  box.append(head);
  if (op.description) box.append(el("p", op.description));
  box.append(el("p", "operationId: " + op.operationId));
  if (op.parameters) {
    const table = el("table"), row = el("tr");
    for (const h of ["parameter", "in", "type", "description"]) row.append(el("th", h));
    table.append(row);
    for (const p of op.parameters) {
      const r = el("tr");
      r.append(el("td", p.name + (p.required ? " *" : "")), el("td", p.in), el("td", shape(p.schema || {}, 0)), el("td", p.description || ""));
      table.append(r);
    }
    box.append(el("h4", "Parameters"), table);
  }
  if (op.requestBody) {
    const s = op.requestBody.content["application/json"].schema;
    box.append(el("h4", "Body: " + shape(s, 0)), fields(s));
  }
  box.append(el("h4", "Answers"));
  for (const [status, r] of Object.entries(op.responses)) {
    const content = r.content ? Object.values(r.content)[0] : undefined;
    box.append(el("div", status + " — " + r.description + (content && content.schema && status < 400 ? " → " + shape(content.schema, 0) : "")));
  }
  return box;
}
fetch("openapi.json").then(r => r.json()).then(d => {
  doc = d;
  document.getElementById("title").textContent = d.info.title;
  document.getElementById("about").textContent = d.info.description || "";
  const ops = document.getElementById("ops"), byTag = new Map();
  for (const [path, item] of Object.entries(d.paths))
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, op));
    }
  ops.textContent = "";
  for (const [tag, list] of byTag) { ops.append(el("h2", tag)); ops.append(...list); }
  const schemas = el("h2", "Schemas"); ops.append(schemas);
  for (const [name, s] of Object.entries(d.components.schemas)) {
    const box = el("details"); box.id = "schema-" + name;
    box.append(el("summary", name), s.description ? el("p", s.description) : "", fields(s));
    ops.append(box);
  }
}).catch(e => { document.getElementById("ops").textContent = "Could not load openapi.json: " + e; });
</script></body></html>
)html";

}  // namespace

http::Response api_docs_page() {
  http::Response response;
  response.status = 200;
  response.content_type = "text/html; charset=utf-8";
  response.body = kPage;
  // The page's own script and style only, and requests to this origin (openapi.json).
  response.add_header("Content-Security-Policy",
                      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                      "connect-src 'self'; frame-ancestors 'none'");
  return response;
}

http::Response openapi_response(const http::Request& request, const std::string& document) {
  // The server is where the client found the document: e.g. http://shop.example.com, or
  // http://localhost:8000/t/northwind under a path prefix (the target as sent still has it).
  std::string_view prefix = request.target_path();
  constexpr std::string_view kPath = "/api/openapi.json";
  if (prefix.ends_with(kPath)) prefix.remove_suffix(kPath.size());
  http::Response response;
  response.status = 200;
  response.content_type = "application/json";
  response.body = with_server(document, request_origin(request) + std::string(prefix));
  return response;
}

}  // namespace tenantry::web::detail
