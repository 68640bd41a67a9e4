// `tenantry top`: the busiest tenants of a running server, live, from two scrapes of its /metrics.
#include <curl/curl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/cli_context.hpp"
#include "cli/tenant_activity.hpp"

namespace tenantry::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct TopOptions {
  std::string url, token;
  double interval = 2;
  std::size_t limit = 10;
  bool once = false, json = false;
};

/// HOST:PORT of a listener as a URL this machine can reach: a wildcard address means this machine.
std::string metrics_url(const std::string& listen) {
  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  return "http://" + host + listen.substr(colon) + "/metrics";
}

/// server.metrics_listen serves /metrics to anyone who reaches it; else the main listener, with the token.
std::string default_url(const Config& config) {
  return metrics_url(config.server.metrics_listen.empty() ? config.server.listen
                                                          : config.server.metrics_listen);
}

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

/// GET the exposition (libcurl: the client the mail module already uses).
std::string fetch(const TopOptions& o) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw CommandError("cannot initialise libcurl");
  std::string body;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  if (!o.token.empty()) {
    const std::string auth = "Authorization: Bearer " + o.token;
    headers.reset(curl_slist_append(nullptr, auth.c_str()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_URL, o.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) throw CommandError(fmt::format("GET {}: {}", o.url, curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status == 401)
    throw CommandError(fmt::format("GET {}: 401 (pass --token or set server.metrics_token)", o.url));
  // Without a token the main listener serves no /metrics (it names tenants): say where they are.
  if (status == 404)
    throw CommandError(
        fmt::format("GET {}: 404 (this listener serves no /metrics: point --url at "
                    "server.metrics_listen, or set server.metrics_token and pass --token)",
                    o.url));
  if (status != 200) throw CommandError(fmt::format("GET {}: HTTP status {}", o.url, status));
  return body;
}

std::string fixed(double value, int decimals) {
  return fmt::format("{:.{}f}", value, decimals);
}

void print_text(const std::vector<TenantActivity>& tenants, double seconds, const TopOptions& o) {
  if (!o.once && ::isatty(STDOUT_FILENO)) std::cout << "\x1b[H\x1b[2J";  // a live view redraws in place
  std::cout << fmt::format("busiest tenants over {:.1f} s ({})\n", seconds, o.url);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < tenants.size() && i < o.limit; ++i) {
    const auto& t = tenants[i];
    rows.push_back({t.tenant, fixed(t.requests, 1), t.p99 ? fixed(*t.p99 * 1000, 1) : "-",
                    fixed(t.db_seconds, 3), fixed(t.db_rows, 0), fixed(t.client_errors, 1),
                    fixed(t.server_errors, 1)});
  }
  if (rows.empty())
    std::cout << "no requests\n";
  else
    print_table({"TENANT", "REQ/S", "P99 MS", "DB S/S", "ROWS/S", "4XX/S", "5XX/S"}, rows);
  std::cout.flush();
}

void print_json(const std::vector<TenantActivity>& tenants, double seconds, const TopOptions& o) {
  boost::json::array list;
  for (std::size_t i = 0; i < tenants.size() && i < o.limit; ++i) {
    const auto& t = tenants[i];
    boost::json::object row{{"tenant", t.tenant},
                            {"requests_per_second", t.requests},
                            {"db_seconds_per_second", t.db_seconds},
                            {"db_rows_per_second", t.db_rows},
                            {"errors_4xx_per_second", t.client_errors},
                            {"errors_5xx_per_second", t.server_errors}};
    if (t.p99)
      row["p99_seconds"] = *t.p99;
    else
      row["p99_seconds"] = nullptr;
    list.push_back(std::move(row));
  }
  // One object a line: a live --json view is JSON Lines.
  std::cout << boost::json::serialize(boost::json::object{{"interval_seconds", seconds}, {"tenants", list}})
            << std::endl;
}

int run_top(const TopOptions& o) {
  Scrape before = parse_scrape(fetch(o));
  Clock::time_point at = Clock::now();
  for (;;) {
    std::this_thread::sleep_until(at + std::chrono::duration<double>(o.interval));
    Scrape after = parse_scrape(fetch(o));
    const Clock::time_point now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - at).count();
    const auto tenants = tenant_activity(before, after, seconds);
    if (o.json)
      print_json(tenants, seconds, o);
    else
      print_text(tenants, seconds, o);
    if (o.once) return 0;
    before = std::move(after);
    at = now;
  }
}

}  // namespace

void add_top_command(CLI::App& app, CliContext& ctx) {
  auto options = std::make_shared<TopOptions>();
  auto* top = app.add_subcommand(
      "top",
      "The busiest tenants of a running server, live: requests/s, p99 latency, database time/s, errors/s");
  top->add_option(
      "--url", options->url,
      "The server's /metrics (default: server.metrics_listen, else server.listen, of the configuration)");
  top->add_option("--token", options->token,
                  "Bearer token for /metrics on server.listen (default: server.metrics_token)");
  top->add_option("--interval", options->interval, "Seconds between samples (default 2)")
      ->check(CLI::Range(0.05, 3600.0));
  top->add_option("--limit", options->limit, "Tenants shown (default 10)")->check(CLI::Range(1, 100000));
  top->add_flag("--once", options->once, "Print one sample (two scrapes --interval apart) and exit");
  top->add_flag("--json", options->json, "JSON output: one object per sample");
  top->callback([&ctx, options] {
    ctx.action = [&ctx, options] {
      TopOptions o = *options;
      if (o.url.empty()) o.url = default_url(ctx.config());
      // Sent to either listener: server.metrics_listen does not look at it.
      if (o.token.empty()) o.token = ctx.config().server.metrics_token;
      return run_top(o);
    };
  });
}

}  // namespace tenantry::cli
