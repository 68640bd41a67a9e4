#include "tenantry/http/server.hpp"

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "tenantry/http/problem.hpp"
#include "tenantry/http/router.hpp"

namespace tenantry::http {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---- the raw-socket test client (tests/support), with a short timeout: no test waits on the server longer -

using RawResponse = testing::HttpResponse;

class Client : public testing::HttpClient {
 public:
  explicit Client(std::uint16_t port) : HttpClient(port, Options{.timeout = 3s}) {}
};

json::value json_body(const RawResponse& r) {
  return json::parse(r.body);
}

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return std::string("GET ") + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" +
         std::string(extra_headers) + "\r\n";
}

Task<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

// ---- a server with a router-backed test handler ----------------------------------------------------------

using RouteHandler = std::function<Task<Response>(Request&, const PathParams&)>;

/// The lines of spdlog's logger `name` (their message only) while this lives; the logger is dropped after.
class LogCapture {
 public:
  explicit LogCapture(std::string name)
      : name_(std::move(name)), sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    sink_->set_pattern("%v");
    spdlog::drop(name_);
    spdlog::register_logger(std::make_shared<spdlog::logger>(name_, sink_));
  }
  ~LogCapture() { spdlog::drop(name_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const { return out_.str(); }

 private:
  std::string name_;
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.add("GET", "/json", [](Request& req, const PathParams&) -> Task<Response> {
      json::object query;
      for (const auto& [k, v] : req.query) query[k] = v;
      co_return Response::json(
          200, json::object{
                   {"hello", "world"}, {"path", req.path}, {"query", query}, {"remote", req.remote_address}});
    });
    router_.add("POST", "/echo", [](Request& req, const PathParams&) -> Task<Response> {
      co_return Response::text(200, req.body);
    });
    router_.add("GET", "/echo/{word}", [](Request&, const PathParams& p) -> Task<Response> {
      co_return Response::text(200, std::string(*p.get("word")));
    });
    router_.add("GET", "/api/items/{id:int}", [](Request&, const PathParams& p) -> Task<Response> {
      co_return Response::json(200, json::object{{"id", *p.get_int("id")}});
    });
    router_.add("GET", "/throw", [](Request&, const PathParams&) -> Task<Response> {
      throw std::runtime_error("connection to db-7 failed: password=hunter2");
      co_return Response{};
    });
    router_.add("GET", "/problem", [](Request&, const PathParams&) -> Task<Response> {
      throw ProblemError(Problem::conflict("That name is taken."));
      co_return Response{};
    });
    router_.add("GET", "/slow", [this](Request&, const PathParams&) -> Task<Response> {
      slow_started_ = true;
      co_await sleep_for(slow_delay_);
      slow_finished_ = true;
      co_return Response::text(200, "done");
    });
    router_.add("GET", "/close", [](Request&, const PathParams&) -> Task<Response> {
      co_return Response::text(200, "bye").add_header("Connection", "close");
    });
    router_.add("GET", "/stop", [this](Request&, const PathParams&) -> Task<Response> {
      server_->stop();  // from the server's own thread: initiates only
      co_return Response::text(200, "stopping");
    });
    router_.add("GET", "/headers", [](Request& req, const PathParams&) -> Task<Response> {
      co_return Response::text(200, std::string(req.header("x-custom").value_or("none")));
    });
    router_.add("GET", "/where/{rest}", [](Request& req, const PathParams&) -> Task<Response> {
      co_return Response::json(
          200,
          json::object{{"authority", req.authority}, {"path", req.path}, {"target_path", req.target_path()}});
    });
  }

  void start(ServerOptions options = {}, ThreadHook on_start = {}, ThreadHook on_stop = {}) {
    options.address = "127.0.0.1";
    options.port = 0;
    if (options.threads == 0) options.threads = 2;
    server_ = std::make_unique<Server>(
        options,
        [this](Request& req) -> Task<Response> {
          auto match = router_.match(req.method, req.path);
          if (auto* found = std::get_if<Router<RouteHandler>::Found>(&match)) {
            co_return co_await (*found->handler)(req, found->params);
          }
          if (auto* mna = std::get_if<Router<RouteHandler>::MethodNotAllowed>(&match)) {
            co_return to_response(Problem::method_not_allowed()).add_header("Allow", mna->allow_header());
          }
          co_return to_response(Problem::not_found("No route for " + req.path));
        },
        std::move(on_start), std::move(on_stop));
    server_->start();
    ASSERT_NE(server_->local_port(), 0);
  }

  /// Captures the "access" logger's lines (access and request error lines) until the test ends; before
  /// start(), since the server takes the logger as it starts.
  const LogCapture& capture_access_log() {
    access_log_ = std::make_unique<LogCapture>("access");
    return *access_log_;
  }

  std::uint16_t port() const { return server_->local_port(); }
  RawResponse round_trip(std::string_view request) {
    Client c(port());
    c.send(request);
    return c.read_response();
  }

  Router<RouteHandler> router_;
  std::unique_ptr<LogCapture> access_log_;  // outlives server_, which may hold its logger
  std::unique_ptr<Server> server_;
  std::atomic<bool> slow_started_{false}, slow_finished_{false};
  std::chrono::milliseconds slow_delay_{300};
};

ServerOptions quiet() {
  ServerOptions o;
  o.access_log = false;
  return o;
}

TEST_F(ServerTest, JsonRoundTrip) {
  start(quiet());
  const RawResponse r = round_trip(get("/json?q=caf%C3%A9&tag=a+b&empty="));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("server"), "tenantry");
  EXPECT_TRUE(r.has_header("date"));
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  EXPECT_FALSE(r.has_header("connection"));  // HTTP/1.1 keep-alive is the default
  const json::value body = json_body(r);
  EXPECT_EQ(body.at("hello"), "world");
  EXPECT_EQ(body.at("path"), "/json");
  EXPECT_EQ(body.at("query").at("q"), "caf\xc3\xa9");
  EXPECT_EQ(body.at("query").at("tag"), "a b");
  EXPECT_EQ(body.at("query").at("empty"), "");
  EXPECT_EQ(body.at("remote"), "127.0.0.1");
  EXPECT_EQ(server_->stats().requests.load(), 1u);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  start(quiet());
  Client c(port());
  c.send(get("/echo/first") + get("/echo/second") +
         "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nthird");
  EXPECT_EQ(c.read_response().body, "first");
  EXPECT_EQ(c.read_response().body, "second");
  EXPECT_EQ(c.read_response().body, "third");
  c.send(get("/echo/fourth"));  // still open
  EXPECT_EQ(c.read_response().body, "fourth");
  EXPECT_EQ(server_->stats().accepted_connections.load(), 1u);
}

TEST_F(ServerTest, RouterBackedNotFoundAndMethodNotAllowed) {
  start(quiet());
  Client c(port());
  c.send(get("/nowhere"));
  const RawResponse nf = c.read_response();
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.header("content-type"), "application/problem+json");
  EXPECT_EQ(json_body(nf).at("type"), "https://tenantry.dev/problems/not-found");

  c.send("DELETE /api/items/5 HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const RawResponse mna = c.read_response();
  EXPECT_EQ(mna.status, 405);
  EXPECT_EQ(mna.header("allow"), "GET, HEAD");

  c.send(get("/api/items/abc"));
  EXPECT_EQ(c.read_response().status, 404);
  c.send(get("/api/items/99999999999999999999"));
  EXPECT_EQ(c.read_response().status, 404);
  c.send(get("/api/items/12"));
  const RawResponse ok = c.read_response();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(json_body(ok).at("id"), 12);
}

TEST_F(ServerTest, HeadSendsHeadersWithoutBody) {
  start(quiet());
  Client c(port());
  c.send("HEAD /echo/abc HTTP/1.1\r\nHost: localhost\r\n\r\n" + get("/echo/next"));
  const RawResponse head = c.read_response(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "3");
  EXPECT_EQ(c.read_response().body, "next");  // no stray body bytes in between
}

TEST_F(ServerTest, HeaderOverLimitIs431AndCloses) {
  ServerOptions o = quiet();
  o.max_header_bytes = 1024;
  start(o);
  Client c(port());
  c.send(get("/json", "X-Pad: " + std::string(2000, 'p') + "\r\n"));
  const RawResponse r = c.read_response();
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_EQ(json_body(r).at("status"), 431);
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(ServerTest, BodyOverLimitIs413AndCloses) {
  ServerOptions o = quiet();
  o.max_body_bytes = 1024;
  start(o);
  {
    Client c(port());
    c.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2048\r\n\r\n" + std::string(2048, 'b'));
    const RawResponse r = c.read_response();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(json_body(r).at("type"), "https://tenantry.dev/problems/content-too-large");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // chunked: the limit applies to the decoded body as it arrives
    Client c(port());
    std::string chunked = "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) chunked += "200\r\n" + std::string(512, 'c') + "\r\n";
    chunked += "0\r\n\r\n";
    c.send(chunked);
    EXPECT_EQ(c.read_response().status, 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // at the limit is fine
    Client c(port());
    c.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'k'));
    const RawResponse r = c.read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.size(), 1024u);
  }
}

TEST_F(ServerTest, MalformedRequestLineIs400AndCloses) {
  start(quiet());
  Client c(port());
  c.send("GARBAGE\r\n\r\n");
  const RawResponse r = c.read_response();
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_EQ(json_body(r).at("type"), "https://tenantry.dev/problems/bad-request");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(ServerTest, MissingHostOnHttp11Is400) {
  start(quiet());
  {
    Client c(port());
    c.send("GET /json HTTP/1.1\r\n\r\n");
    const RawResponse r = c.read_response();
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(json_body(r).at("detail").as_string().find("Host"), json::string::npos);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(port());
    c.send("GET /json HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 400);
  }
  // HTTP/1.0 does not require Host.
  EXPECT_EQ(round_trip("GET /json HTTP/1.0\r\n\r\n").status, 200);
}

TEST_F(ServerTest, IllegalHostIs400) {
  start(quiet());
  for (const char* host : {"evil.com/path", "a_b.example", "exa\"mple", "host@x", "%41"}) {
    EXPECT_EQ(round_trip(std::string("GET /json HTTP/1.1\r\nHost: ") + host + "\r\n\r\n").status, 400)
        << host;
  }
  for (const char* host : {"localhost:8080", "[::1]:8080", "api.tenantry.dev", "10.0.0.1"}) {
    EXPECT_EQ(round_trip(std::string("GET /json HTTP/1.1\r\nHost: ") + host + "\r\n\r\n").status, 200)
        << host;
  }
}

TEST_F(ServerTest, HandlerExceptionIs500WithRequestIdAndNoDetails) {
  start(quiet());
  const RawResponse r = round_trip(get("/throw"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  const json::value body = json_body(r);
  ASSERT_TRUE(r.has_header("x-request-id"));
  EXPECT_EQ(body.at("request_id").as_string(), r.header("x-request-id"));
  EXPECT_EQ(body.at("status"), 500);
  EXPECT_EQ(r.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(r.body.find("db-7"), std::string::npos);
  EXPECT_EQ(server_->stats().handler_errors.load(), 1u);
}

TEST_F(ServerTest, ProblemErrorBecomesItsResponse) {
  start(quiet());
  const RawResponse r = round_trip(get("/problem"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_EQ(json_body(r).at("detail"), "That name is taken.");
  EXPECT_EQ(json_body(r).at("type"), "https://tenantry.dev/problems/conflict");
  EXPECT_EQ(server_->stats().handler_errors.load(), 0u);
}

TEST_F(ServerTest, RequestIdIsEchoedWhenValidAndReplacedOtherwise) {
  start(quiet());
  Client c(port());
  c.send(get("/json", "X-Request-Id: abc-123.XYZ_9\r\n"));
  EXPECT_EQ(c.read_response().header("x-request-id"), "abc-123.XYZ_9");
  for (const std::string& bad :
       {std::string("bad id"), std::string("x/y"), std::string(129, 'a'), std::string()}) {
    c.send(get("/json", "X-Request-Id: " + bad + "\r\n"));
    const auto id = c.read_response().find_header("x-request-id");
    ASSERT_TRUE(id.has_value());
    EXPECT_NE(*id, bad);
    EXPECT_EQ(id->size(), 16u);
    EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos) << *id;
  }
  c.send(get("/json"));
  const auto a = c.read_response().header("x-request-id");
  c.send(get("/json"));
  const auto b = c.read_response().header("x-request-id");
  EXPECT_NE(a, b);
  c.send(get("/json", "X-Request-Id: " + std::string(128, 'z') + "\r\n"));
  EXPECT_EQ(c.read_response().header("x-request-id"), std::string(128, 'z'));
}

TEST_F(ServerTest, SlowHeaderIsCutByHeaderTimeout) {
  ServerOptions o = quiet();
  o.header_timeout = 300ms;
  start(o);
  Client c(port());
  const auto t0 = Clock::now();
  c.send("GET /json HTTP/1.1\r\nHo");
  // Dribble a byte now and then: progress must not extend the deadline.
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(60ms);
    c.send("s");
  }
  EXPECT_TRUE(c.closed_by_peer());
  const auto elapsed = Clock::now() - t0;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(ServerTest, SilentAndIdleConnectionsAreClosed) {
  ServerOptions o = quiet();
  o.header_timeout = 200ms;
  o.idle_timeout = 300ms;
  start(o);
  {
    Client silent(port());
    const auto t0 = Clock::now();
    EXPECT_TRUE(silent.closed_by_peer());
    EXPECT_LT(Clock::now() - t0, 1000ms);
  }
  {
    Client c(port());
    c.send(get("/json"));
    EXPECT_EQ(c.read_response().status, 200);
    const auto t0 = Clock::now();
    EXPECT_TRUE(c.closed_by_peer());
    const auto elapsed = Clock::now() - t0;
    EXPECT_GE(elapsed, 250ms);
    EXPECT_LT(elapsed, 1500ms);
  }
}

TEST_F(ServerTest, ConnectionCloseAndHttp10AreHonoured) {
  start(quiet());
  {
    Client c(port());
    c.send(get("/json", "Connection: close\r\n"));
    const RawResponse r = c.read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(port());
    c.send("GET /json HTTP/1.0\r\n\r\n");
    EXPECT_EQ(c.read_response().header("connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(port());
    c.send("GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(c.read_response().header("connection"), "keep-alive");
    c.send("GET /echo/again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(c.read_response().body, "again");
  }
  {  // a handler may close the connection too
    Client c(port());
    c.send(get("/close"));
    EXPECT_EQ(c.read_response().header("connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  start(quiet());
  Client c(port());
  c.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 100);
  c.send("hello");
  const RawResponse r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
}

TEST_F(ServerTest, RejectsBadTargetsAndVersions) {
  start(quiet());
  EXPECT_EQ(round_trip(get("/echo/%FF")).status, 400);         // not UTF-8
  EXPECT_EQ(round_trip(get("/echo/a%00b")).status, 400);       // NUL
  EXPECT_EQ(round_trip(get("/json?bad=%C0%AF")).status, 400);  // overlong UTF-8
  EXPECT_EQ(round_trip("GET /json HTTP/2.0\r\nHost: x\r\n\r\n").status, 505);
  // absolute-form is accepted (RFC 9112 §3.2.2) and decoded like origin-form
  const RawResponse abs = round_trip(get("http://localhost/echo/caf%C3%A9"));
  EXPECT_EQ(abs.status, 200);
  EXPECT_EQ(abs.body, "caf\xc3\xa9");
}

// A request whose body length we might read differently from a proxy in front must not be answered at all
// beyond a 400/501, and nothing after its header may run as a request of its own (request smuggling).
TEST_F(ServerTest, TransferEncodingOtherThanALoneChunkedIsRefusedAndNothingIsSmuggled) {
  start(quiet());
  const std::string smuggled = "GET /echo/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
  struct Case {
    std::string fields;
    int status;
  };
  const std::vector<Case> cases{
      {"Transfer-Encoding: gzip\r\n", 400},
      {"Transfer-Encoding: identity\r\n", 400},
      {"Transfer-Encoding: chunked, gzip\r\n", 400},
      {"Transfer-Encoding: chunked, chunked\r\n", 400},
      {"Transfer-Encoding: xchunked\r\n", 400},
      {"Transfer-Encoding: \"chunked\"\r\n", 400},
      {"Transfer-Encoding: chunked;x=1\r\n", 400},
      {"Transfer-Encoding: , chunked\r\n", 400},
      {"Transfer-Encoding: \r\n", 400},
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400},
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", 400},
      {"Transfer-Encoding: gzip\r\nContent-Length: 5\r\n", 400},
      {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400},
      {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400},
      {"Transfer-Encoding: gzip, chunked\r\n", 501},
      {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", 501},
  };
  for (const Case& c : cases) {
    Client client(port());
    client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\n" + c.fields + "\r\n" + smuggled);
    const RawResponse r = client.read_response();
    EXPECT_EQ(r.status, c.status) << c.fields;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << c.fields;
    EXPECT_EQ(r.header("connection"), "close") << c.fields;
    EXPECT_TRUE(client.closed_by_peer()) << c.fields;
    EXPECT_EQ(client.unread(), "") << c.fields;  // no answer to the smuggled request
  }
  {  // HTTP/1.0 has no transfer codings (RFC 9112 §6.1)
    Client client(port());
    client.send("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(client.read_response().status, 400);
    EXPECT_TRUE(client.closed_by_peer());
  }
  for (const char* chunked :
       {"chunked", "Chunked", " chunked\t"}) {  // the one accepted form, still kept alive
    Client client(port());
    client.send(std::string("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding:") + chunked +
                "\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + get("/echo/next"));
    EXPECT_EQ(client.read_response().body, "hello") << chunked;
    EXPECT_EQ(client.read_response().body, "next") << chunked;
  }
}

// Trailer fields (after a chunked body) are not header fields: a proxy in front did not vet them as such.
TEST_F(ServerTest, TrailerFieldsDoNotBecomeHeaderFields) {
  start(quiet());
  const std::string chunked = "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n";
  Client c(port());
  c.send("GET /headers HTTP/1.1\r\nHost: localhost\r\n" + chunked + "X-Custom: smuggled\r\n\r\n");
  const RawResponse r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "none");
  c.send(get("/headers", "X-Custom: header\r\n"));  // the connection goes on
  EXPECT_EQ(c.read_response().body, "header");
  // Host is checked on the header section alone, before the body is read.
  EXPECT_EQ(round_trip("GET /where/x HTTP/1.1\r\n" + chunked + "Host: acme.localhost\r\n\r\n").status, 400);
  const RawResponse host =
      round_trip("GET /where/x HTTP/1.1\r\nHost: localhost\r\n" + chunked + "Host: evil\r\n\r\n");
  EXPECT_EQ(host.status, 200);
  EXPECT_EQ(json_body(host).at("authority"), "localhost");
}

TEST_F(ServerTest, ObsoleteLineFoldingIsRefused) {
  start(quiet());
  for (const char* fold : {"\r\n b", "\r\n\tb", "\r\n \r\n"}) {
    Client c(port());
    c.send(get("/headers", std::string("X-Custom: a") + fold + "\r\n"));
    const RawResponse r = c.read_response();
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(json_body(r).at("detail").as_string().find("folding"), json::string::npos) << r.body;
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // the continuation line in a later packet than the line it continues
    Client c(port());
    c.send("GET /headers HTTP/1.1\r\nHost: localhost\r\nX-Custom: a\r\n");
    std::this_thread::sleep_for(50ms);
    c.send(" b\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 400);
  }
  // A body, or the next request, may hold anything after a CRLF.
  Client c(port());
  c.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\na\r\n b" + get("/echo/next"));
  EXPECT_EQ(c.read_response().body, "a\r\n b");
  EXPECT_EQ(c.read_response().body, "next");
}

TEST_F(ServerTest, AmbiguousContentLengthAndFieldNamesAreRefused) {
  start(quiet());
  const std::string post = "POST /echo HTTP/1.1\r\nHost: localhost\r\n";
  for (const char* fields :
       {"Content-Length: 5\r\nContent-Length: 6\r\n", "Content-Length: 5, 6\r\n", "Content-Length: +5\r\n",
        "Content-Length: -5\r\n", "Content-Length: 0x5\r\n", "Content-Length: 5 5\r\n",
        "Content-Length: 99999999999999999999999\r\n", "Content-Length : 5\r\n",
        "X-Custom : a\r\nContent-Length: 5\r\n", " Content-Length: 5\r\n"}) {
    Client c(port());
    c.send(post + fields + "\r\nhello");
    const RawResponse r = c.read_response();
    EXPECT_EQ(r.status, 400) << fields;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << fields;
    EXPECT_TRUE(c.closed_by_peer()) << fields;
  }
  // Lines end in CRLF, and the request line has single spaces (RFC 9112 §2.2, §3).
  for (const char* request :
       {"GET /json HTTP/1.1\nHost: localhost\n\n", "GET /json HTTP/1.1\r\nHost: localhost\n\r\n",
        "GET  /json HTTP/1.1\r\nHost: localhost\r\n\r\n", "GET /json  HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /json HTTP/1.1\r\nHost: local\rhost\r\n\r\n"}) {
    Client c(port());
    c.send(request);
    EXPECT_EQ(c.read_response().status, 400) << request;
    EXPECT_TRUE(c.closed_by_peer()) << request;
  }
  // The same length twice says one thing only (RFC 9110 §8.6).
  EXPECT_EQ(round_trip(post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello").body, "hello");
}

TEST_F(ServerTest, UnknownMethodsAre501) {
  start(quiet());
  for (const std::string& method : {std::string("FOO"), std::string("BREW"), std::string("get"),
                                    std::string("TRACE"), std::string(200, 'X')}) {
    Client c(port());
    c.send(method + " /json HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const RawResponse r = c.read_response();
    EXPECT_EQ(r.status, 501) << method;
    EXPECT_EQ(json_body(r).at("type"), "https://tenantry.dev/problems/not-implemented") << method;
    EXPECT_EQ(r.body.find(method), std::string::npos) << "not echoed";
  }
  EXPECT_EQ(round_trip("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n").status, 501);
  EXPECT_EQ(round_trip("DELETE /json HTTP/1.1\r\nHost: localhost\r\n\r\n").status, 405);  // known method
}

TEST_F(ServerTest, AbsoluteFormTargetNamesTheAuthority) {
  start(quiet());
  auto where = [&](const std::string& target, const std::string& host) {
    return round_trip("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
  };
  const RawResponse abs = where("http://acme.localhost:8080/where/x%20y?q=1", "other");
  ASSERT_EQ(abs.status, 200) << abs.body;
  EXPECT_EQ(json_body(abs).at("authority"), "acme.localhost:8080");  // the target wins over Host
  EXPECT_EQ(json_body(abs).at("path"), "/where/x y");
  EXPECT_EQ(json_body(abs).at("target_path"), "/where/x%20y");
  const RawResponse origin = where("/where/a?q=1", "shop.example:81");
  EXPECT_EQ(json_body(origin).at("authority"), "shop.example:81");
  EXPECT_EQ(json_body(origin).at("target_path"), "/where/a");
  EXPECT_EQ(json_body(where("HTTPS://Acme.localhost/where/a", "other")).at("authority"), "Acme.localhost");

  for (const char* bad :
       {"http://user@acme.localhost/where/a", "http://user:pw@acme.localhost/where/a",
        "ftp://acme.localhost/where/a", "http:///where/a", "http:/where/a", "http://a_b.localhost/where/a",
        "acme.localhost:443", "mailto:a@acme.localhost", "http://acme.localhost/where/a#frag", "*"}) {
    const RawResponse r = where(bad, "localhost");
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << bad;
  }
  // asterisk-form is for OPTIONS only; it reaches the handler (here: no route)
  EXPECT_EQ(round_trip("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n").status, 404);
}

TEST_F(ServerTest, GracefulStopLetsInFlightRequestFinish) {
  start(quiet());
  Client c(port());
  c.send(get("/slow"));
  while (!slow_started_) std::this_thread::sleep_for(2ms);
  Client idle(port());  // an idle keep-alive connection must not hold the stop up
  std::thread stopper([&] { server_->stop(); });
  const RawResponse r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_TRUE(idle.closed_by_peer());
  stopper.join();
  EXPECT_TRUE(slow_finished_);
  EXPECT_THROW(Client{port()}, std::runtime_error);  // no longer listening
  server_->wait();                                   // returns at once
}

TEST_F(ServerTest, StopCancelsRequestsThatOutlastTheDrainTimeout) {
  ServerOptions o = quiet();
  o.drain_timeout = 200ms;
  slow_delay_ = 10s;
  start(o);
  Client c(port());
  c.send(get("/slow"));
  while (!slow_started_) std::this_thread::sleep_for(2ms);
  const auto t0 = Clock::now();
  server_->stop();
  EXPECT_LT(Clock::now() - t0, 1500ms);
  EXPECT_FALSE(slow_finished_);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(ServerTest, StopFromHandlerDoesNotDeadlock) {
  start(quiet());
  Client c(port());
  c.send(get("/stop"));
  const RawResponse r = c.read_response();
  EXPECT_EQ(r.body, "stopping");
  server_->wait();
  EXPECT_THROW(Client{port()}, std::runtime_error);
}

TEST_F(ServerTest, ImmediateStopAndDestructionWithoutStart) {
  const auto t0 = Clock::now();
  {
    Server never(quiet(), [](Request&) -> Task<Response> { co_return Response{}; });
    never.stop();
    never.wait();  // returns at once: nothing was started
    EXPECT_EQ(never.local_port(), 0);
    EXPECT_EQ(never.stats().accepted_connections.load(), 0u);
  }  // and is destroyed without having run
  start(quiet());
  EXPECT_EQ(round_trip(get("/json")).status, 200);
  Client idle(port());
  server_->stop(false);  // no drain: the idle connection is cut at once
  EXPECT_TRUE(idle.closed_by_peer());
  server_->stop();  // idempotent
  server_->wait();
  EXPECT_THROW(Client{port()}, std::runtime_error);  // no longer listening
  EXPECT_LT(Clock::now() - t0, 2s);
}

TEST_F(ServerTest, ThreadHooksRunOncePerThread) {
  std::mutex m;
  std::set<std::size_t> started, stopped;
  ServerOptions o = quiet();
  o.threads = 3;
  start(
      o,
      [&](asio::io_context&, std::size_t i) {
        std::lock_guard lock(m);
        started.insert(i);
      },
      [&](asio::io_context&, std::size_t i) {
        std::lock_guard lock(m);
        stopped.insert(i);
      });
  EXPECT_EQ(started, (std::set<std::size_t>{0, 1, 2}));
  EXPECT_EQ(round_trip(get("/json")).status, 200);
  server_->stop();
  EXPECT_EQ(stopped, (std::set<std::size_t>{0, 1, 2}));
}

TEST_F(ServerTest, FailingStartHookFailsStart) {
  ServerOptions o = quiet();
  o.address = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  Server s(
      o, [](Request&) -> Task<Response> { co_return Response{}; },
      [](asio::io_context&, std::size_t i) {
        if (i == 1) throw std::runtime_error("no database");
      });
  EXPECT_THROW(s.start(), std::runtime_error);
}

TEST_F(ServerTest, ConnectionsOverTheCapAreRefused) {
  ServerOptions o = quiet();
  o.max_connections = 1;
  o.threads = 1;
  start(o);
  Client first(port());
  first.send(get("/json"));
  EXPECT_EQ(first.read_response().status, 200);
  Client second(port());
  EXPECT_TRUE(second.closed_by_peer());
  EXPECT_EQ(server_->stats().rejected_connections.load(), 1u);
  EXPECT_EQ(server_->stats().active_connections.load(), 1u);
  first.send(get("/json"));  // the first is unaffected
  EXPECT_EQ(first.read_response().status, 200);
}

TEST_F(ServerTest, RequestTimeoutCancelsTheHandler) {
  ServerOptions o = quiet();
  o.request_timeout = 100ms;
  slow_delay_ = 5s;
  start(o);
  const auto t0 = Clock::now();
  const RawResponse r = round_trip(get("/slow"));
  EXPECT_EQ(r.status, 503);
  EXPECT_LT(Clock::now() - t0, 1000ms);
  EXPECT_FALSE(slow_finished_);
  EXPECT_EQ(round_trip(get("/json")).status, 200);  // fast handlers are unaffected
}

TEST_F(ServerTest, HeadersAreCaseInsensitive) {
  start(quiet());
  EXPECT_EQ(round_trip(get("/headers", "X-CUSTOM: yes\r\n")).body, "yes");
}

TEST_F(ServerTest, AccessLogLinesAsJson) {
  const LogCapture& log = capture_access_log();
  ServerOptions o;
  o.access_log_json = true;
  start(o);
  round_trip(get("/echo/x?token=secret", "X-Request-Id: log-test-1\r\n"));
  server_->stop();
  const std::string line = log.text();
  const json::value entry = json::parse(line.substr(0, line.find('\n')));
  EXPECT_EQ(entry.at("method"), "GET");
  EXPECT_EQ(entry.at("path"), "/echo/x");
  EXPECT_EQ(entry.at("status"), 200);
  EXPECT_EQ(entry.at("request_id"), "log-test-1");
  EXPECT_EQ(entry.at("tenant"), "");
  EXPECT_EQ(entry.at("route"), "");  // the server has no routes: the application's annotations name them
  EXPECT_TRUE(entry.at("duration_ms").is_double());
  EXPECT_EQ(line.find("secret"), std::string::npos);
}

TEST_F(ServerTest, RequestErrorLinesAsJsonCarryTheRequestIdAndTenant) {
  const LogCapture& log = capture_access_log();
  ServerOptions o;
  o.access_log = false;  // only the error line
  o.access_log_json = true;
  start(o);
  EXPECT_EQ(round_trip(get("/throw", "X-Request-Id: log-test-2\r\n")).status, 500);
  server_->stop();
  const std::string line = log.text();
  ASSERT_FALSE(line.empty());
  const json::value entry = json::parse(line.substr(0, line.find('\n')));
  EXPECT_EQ(entry.at("request_id"), "log-test-2");
  EXPECT_EQ(entry.at("method"), "GET");
  EXPECT_EQ(entry.at("path"), "/throw");
  EXPECT_EQ(entry.at("tenant"), "");
  EXPECT_NE(std::string_view(entry.at("message").as_string()).find("failed: connection to db-7"),
            std::string::npos);
}

}  // namespace
}  // namespace tenantry::http
