// A small HTTP/1.1 client on node:http that sets the Host header explicitly (Node's fetch does not let a
// caller choose it), so that a tenant is reached as `<slug>.localhost` on the server's 127.0.0.1 listener.
import http from "node:http";

/**
 * One request; resolves to the status, the headers (lower-case names) and the body as text.
 * `host` is the Host header to send (default: the address and port).
 */
export function send({ port, host, method = "GET", path, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(String(body));
    const all = { ...headers, host: host ?? `127.0.0.1:${port}` };
    if (payload !== undefined) all["content-length"] = String(payload.length);
    const req = http.request({ hostname: "127.0.0.1", port, method, path, headers: all, agent: keepAlive }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${path}: no answer in 20 s`)));
    req.on("error", reject);
    req.end(payload);
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** Closes the kept-alive connections, so that the process can exit. */
export function closeConnections() {
  keepAlive.destroy();
}

/**
 * A fetch-compatible function (for openapi-fetch's `fetch` option) that sends every request to
 * 127.0.0.1:`port` with the Host header `host`, whatever host the URL names.
 */
export function hostFetch(port, host) {
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const headers = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    const res = await send({ port, host, method: request.method, path: url.pathname + url.search, headers, body });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
    }
    const empty = res.status === 204 || res.status === 304 || request.method === "HEAD";
    return new Response(empty ? null : res.text, { status: res.status, headers: responseHeaders });
  };
}
