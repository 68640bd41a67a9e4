-- wrk script for the HTTP workloads of bench/run. Environment:
--   BENCH_TOKENS  file of "slug max_product_id token" lines (one per tenant, from tenantry_bench_setup)
--   BENCH_MODE    get (W1/S1: GET /api/products/{id}), list (W2: GET /api/products?limit=20),
--                 post (W3: POST /api/products with a unique sku)
--   BENCH_PORT    the server's port (for the Host header: <slug>.localhost:<port>)
--   BENCH_OUT     where done() writes the figures as JSON
-- Every request goes to a random tenant (Host header) with that tenant's bearer token; ids are random existing
-- ids. GET requests are drawn from a pre-built pool so that the load generator spends little CPU per request.

local mode = os.getenv("BENCH_MODE") or "get"
local port = os.getenv("BENCH_PORT") or "8080"
local tenants = {}
local pool = {}
local pool_size = 20000
local counter = 0
local run_id = ""

local function load_tenants()
  local f = assert(io.open(assert(os.getenv("BENCH_TOKENS"), "BENCH_TOKENS not set"), "r"))
  for line in f:lines() do
    local slug, max_id, token = line:match("^(%S+) (%d+) (%S+)$")
    if slug then
      tenants[#tenants + 1] = {
        slug = slug,
        max_id = tonumber(max_id),
        headers = {
          ["Host"] = slug .. ".localhost:" .. port,
          ["Authorization"] = "Bearer " .. token,
          ["Accept"] = "application/json",
        },
      }
    end
  end
  f:close()
  assert(#tenants > 0, "no tenants in BENCH_TOKENS")
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  run_id = tostring(os.time()) .. "_" .. tostring(math.random(100000, 999999))
  load_tenants()
  if mode == "post" then
    for _, t in ipairs(tenants) do
      t.post_headers = {
        ["Host"] = t.headers["Host"],
        ["Authorization"] = t.headers["Authorization"],
        ["Accept"] = "application/json",
        ["Content-Type"] = "application/json",
      }
    end
    return
  end
  for i = 1, pool_size do
    local t = tenants[math.random(#tenants)]
    local path
    if mode == "list" then
      path = "/api/products?limit=20"
    else
      path = "/api/products/" .. math.random(t.max_id)
    end
    pool[i] = wrk.format("GET", path, t.headers, nil)
  end
end

function request()
  if mode == "post" then
    counter = counter + 1
    local t = tenants[math.random(#tenants)]
    local body = '{"sku":"w3-' .. run_id .. '-' .. counter .. '","name":"Bench product ' .. counter ..
                 '","price_cents":1999,"stock":5}'
    return wrk.format("POST", "/api/products", t.post_headers, body)
  end
  return pool[math.random(pool_size)]
end

function done(summary, latency, requests)
  local out = os.getenv("BENCH_OUT")
  local e = summary.errors
  local line = string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,' ..
    '"errors_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout)
  if out then
    local f = assert(io.open(out, "w"))
    f:write(line)
    f:close()
  else
    io.write(line)
  end
end
