#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <set>

#include "http/text.hpp"
#include "http/wire.hpp"
#include "tenantry/http/path_params.hpp"
#include "tenantry/http/problem.hpp"
#include "tenantry/http/request.hpp"

namespace tenantry::http {
namespace {

namespace json = boost::json;

TEST(HttpRequest, SetTargetDecodesPathAndQuery) {
  Request r;
  ASSERT_TRUE(r.set_target("/api/caf%C3%A9/a%2Fb?x=1&name=Jane+Doe&x=2&flag&e=%26"));
  EXPECT_EQ(r.target, "/api/caf%C3%A9/a%2Fb?x=1&name=Jane+Doe&x=2&flag&e=%26");
  EXPECT_EQ(r.path, "/api/caf\xc3\xa9/a/b");
  ASSERT_EQ(r.query.size(), 5u);
  EXPECT_EQ(r.query[0], (std::pair<std::string, std::string>{"x", "1"}));
  EXPECT_EQ(r.query[2], (std::pair<std::string, std::string>{"x", "2"}));
  EXPECT_EQ(r.query_param("name"), "Jane Doe");
  EXPECT_EQ(r.query_param("x"), "1");
  EXPECT_EQ(r.query_param("flag"), "");
  EXPECT_EQ(r.query_param("e"), "&");
  EXPECT_FALSE(r.query_param("X").has_value());
}

TEST(HttpRequest, SetTargetForms) {
  Request r;
  EXPECT_TRUE(r.set_target("/"));
  EXPECT_EQ(r.path, "/");
  EXPECT_TRUE(r.set_target("http://example.com"));
  EXPECT_EQ(r.path, "/");
  EXPECT_TRUE(r.set_target("http://example.com/p?q=1"));
  EXPECT_EQ(r.path, "/p");
  EXPECT_EQ(r.query_param("q"), "1");
  EXPECT_TRUE(r.set_target("*"));
  EXPECT_EQ(r.path, "*");
  for (const char* bad : {"", "relative", "/a b", "/%zz", "/%00", "/x?y=%FF", "/\xff"}) {
    EXPECT_FALSE(r.set_target(bad)) << bad;
    EXPECT_TRUE(r.path.empty());
    EXPECT_TRUE(r.query.empty());
  }
}

TEST(HttpRequest, AbsoluteFormSetsTheAuthority) {
  Request r;
  ASSERT_TRUE(r.set_target("http://acme.localhost:8080/api/a%20b?x=1"));
  EXPECT_EQ(r.authority, "acme.localhost:8080");
  EXPECT_EQ(r.path, "/api/a b");
  EXPECT_EQ(r.target_path(), "/api/a%20b");
  ASSERT_TRUE(r.set_target("http://[::1]?x=1"));
  EXPECT_EQ(r.authority, "[::1]");
  EXPECT_EQ(r.target_path(), "/");
  ASSERT_TRUE(r.set_target("/api?x=1"));  // origin-form: the server takes the authority from Host
  EXPECT_EQ(r.authority, "");
  EXPECT_EQ(r.target_path(), "/api");
  for (const char* bad :
       {"http://u@h/", "ftp://h/", "http:///p", "http:/p", "http://h_1/", "urn:x:y", "h:80"}) {
    EXPECT_FALSE(r.set_target(bad)) << bad;
    EXPECT_EQ(r.authority, "") << bad;
  }
  r.set_target("http://h/p");
  r.clear();
  EXPECT_EQ(r.authority, "");
  EXPECT_EQ(r.target_path(), "/");
}

TEST(HttpRequest, ImplementedMethods) {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    EXPECT_TRUE(implemented_method(m));
  for (const char* m : {"", "get", "TRACE", "CONNECT", "FOO", "GETX"})
    EXPECT_FALSE(implemented_method(m)) << m;
}

TEST(HttpRequest, HeadersAreCaseInsensitiveAndOrdered) {
  Request r;
  r.add_header("Content-Type", "application/json");
  r.add_header("X-Multi", "1");
  r.add_header("x-multi", "2");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(r.header("x-multi"), "1");
  EXPECT_FALSE(r.header("accept").has_value());
  ASSERT_EQ(r.headers().size(), 3u);
  EXPECT_EQ(r.headers()[2].value, "2");
  r.clear();
  EXPECT_EQ(r.header_count(), 0u);
  EXPECT_FALSE(r.header("content-type").has_value());
}

TEST(HttpProblem, RendersRfc9457Json) {
  Problem p = Problem::validation({{"name", "must not be empty"}, {"price", "must be positive"}});
  p.extra["tenant"] = "acme";
  p.extra["status"] = 999;  // cannot override a standard member
  const Response r = to_response(p);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");
  const json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("type"), "https://tenantry.dev/problems/validation-error");
  EXPECT_EQ(v.at("title"), "Invalid input");
  EXPECT_EQ(v.at("status"), 400);
  EXPECT_EQ(v.at("errors").at(1).at("field"), "price");
  EXPECT_EQ(v.at("errors").at(1).at("message"), "must be positive");
  EXPECT_EQ(v.at("tenant"), "acme");

  Problem blank;
  blank.title = "Teapot";
  blank.status = 418;
  const json::object o = to_json(blank);
  EXPECT_EQ(o.at("type"), "about:blank");
  EXPECT_FALSE(o.contains("detail"));
  EXPECT_FALSE(o.contains("errors"));

  const ProblemError e(Problem::not_found("No such product."));
  EXPECT_STREQ(e.what(), "404 Not Found: No such product.");
  EXPECT_EQ(to_json(Problem::internal("rid-1")).at("request_id"), "rid-1");
}

TEST(HttpResponse, Factories) {
  const Response j = Response::json(201, json::object{{"id", 7}});
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.content_type, "application/json");
  EXPECT_EQ(j.body, R"({"id":7})");
  Response t = Response::text(200, "hi");
  t.add_header("Cache-Control", "no-store");
  EXPECT_EQ(t.header("cache-control"), "no-store");
  EXPECT_EQ(Response::empty(204).body, "");
}

TEST(HttpPathParams, IntParsing) {
  EXPECT_EQ(parse_non_negative_int64("0"), 0);
  EXPECT_EQ(parse_non_negative_int64("007"), 7);
  EXPECT_EQ(parse_non_negative_int64("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(parse_non_negative_int64("9223372036854775808"));
  EXPECT_FALSE(parse_non_negative_int64("-1"));
  EXPECT_FALSE(parse_non_negative_int64("+1"));
  EXPECT_FALSE(parse_non_negative_int64(""));
  EXPECT_FALSE(parse_non_negative_int64("1e3"));
}

TEST(HttpWire, RequestIds) {
  EXPECT_TRUE(wire::valid_request_id("abc-DEF_0.9"));
  EXPECT_TRUE(wire::valid_request_id(std::string(128, 'a')));
  EXPECT_FALSE(wire::valid_request_id(std::string(129, 'a')));
  EXPECT_FALSE(wire::valid_request_id(""));
  EXPECT_FALSE(wire::valid_request_id("a b"));
  EXPECT_FALSE(wire::valid_request_id("a\nb"));
  std::set<std::string> seen;
  std::string id;
  for (int i = 0; i < 1000; ++i) {
    wire::generate_request_id(id);
    EXPECT_TRUE(wire::valid_request_id(id));
    EXPECT_EQ(id.size(), 16u);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(HttpWire, HostValidation) {
  EXPECT_TRUE(wire::valid_host(""));
  EXPECT_TRUE(wire::valid_host("example.com:8080"));
  EXPECT_TRUE(wire::valid_host("[2001:db8::1]:443"));
  EXPECT_FALSE(wire::valid_host("a b"));
  EXPECT_FALSE(wire::valid_host("a_b"));
  EXPECT_FALSE(wire::valid_host("x/y"));
  EXPECT_FALSE(wire::valid_host("user@host"));
}

TEST(HttpWire, RequestLineShape) {
  EXPECT_TRUE(wire::well_formed_request_line("GET / HTTP/2.0\r\n"));
  EXPECT_TRUE(wire::well_formed_request_line("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (const char* bad : {"GET / HTTP/1.1\n", "GET / HTTP/1.1", "GET  / HTTP/1.1\r\n", "GET /  HTTP/1.1\r\n",
                          " GET / HTTP/1.1\r\n", "GET / HTTP/1.1 \r\n", "GET / HTTP/11\r\n",
                          "GET / http/1.1\r\n", "GET /\r\n", "GET / HTTP/1.1x\r\n"})
    EXPECT_FALSE(wire::well_formed_request_line(bad)) << bad;
}

TEST(HttpWire, ObsFold) {
  EXPECT_FALSE(wire::has_obs_fold("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(wire::has_obs_fold("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n"));
  EXPECT_TRUE(wire::has_obs_fold("GET / HTTP/1.1\r\nX: 1\r\n\t2"));                 // header not complete yet
  EXPECT_FALSE(wire::has_obs_fold("GET / HTTP/1.1\r\nX: 1\r\n"));                   // cannot tell yet
  EXPECT_FALSE(wire::has_obs_fold("GET / HTTP/1.1\r\nX: 1\r\n\r\nbody\r\n more"));  // after the header
}

TEST(HttpWire, TransferCoding) {
  using wire::TransferCoding;
  EXPECT_EQ(wire::transfer_coding("chunked"), TransferCoding::chunked);
  EXPECT_EQ(wire::transfer_coding(" CHUNKED\t"), TransferCoding::chunked);
  EXPECT_EQ(wire::transfer_coding("gzip, chunked"), TransferCoding::unsupported);
  EXPECT_EQ(wire::transfer_coding("x-custom,deflate,chunked"), TransferCoding::unsupported);
  for (const char* bad :
       {"", "gzip", "identity", "chunked, gzip", "chunked,chunked", "gzip, chunked, chunked", ",chunked",
        "chunked,", "chunked;q=1", "\"chunked\"", "chun ked", "chunked\x0b", "chunkedx"}) {
    EXPECT_EQ(wire::transfer_coding(bad), TransferCoding::invalid) << bad;
  }
}

TEST(HttpWire, HeadSerialization) {
  Response r = Response::text(201, "hello");
  r.add_header("Location", "/x/1");
  r.add_header("Content-Length", "999");  // ignored: the server frames the body
  std::string out;
  wire::append_head(out, r, "rid", wire::ConnectionHeader::close);
  EXPECT_EQ(out.rfind("HTTP/1.1 201 Created\r\nServer: tenantry\r\nDate: ", 0), 0u) << out;
  EXPECT_NE(out.find("\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nContent-Length: 5\r\n"), std::string::npos);
  EXPECT_EQ(out.find("999"), std::string::npos);
  EXPECT_NE(out.find("\r\nX-Request-Id: rid\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nLocation: /x/1\r\n\r\n"), std::string::npos);

  out.clear();
  wire::append_head(out, Response::empty(204), "", wire::ConnectionHeader::none);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  EXPECT_EQ(wire::http_date().size(), 29u);
}

TEST(HttpWire, ResponseChecks) {
  EXPECT_TRUE(wire::check_response(Response::text(200, "ok")).empty());
  EXPECT_FALSE(wire::check_response(Response::empty(99)).empty());
  EXPECT_FALSE(wire::check_response(Response::empty(600)).empty());
  Response split = Response::text(200, "");
  split.add_header("X-Evil", "a\r\nSet-Cookie: x=1");
  EXPECT_FALSE(wire::check_response(split).empty());
  Response bad_name = Response::text(200, "");
  bad_name.add_header("Bad Name", "v");
  EXPECT_FALSE(wire::check_response(bad_name).empty());
}

TEST(HttpText, Utf8AndEscaping) {
  EXPECT_TRUE(detail::valid_utf8("plain"));
  EXPECT_TRUE(detail::valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(detail::valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(detail::valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(detail::valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(detail::valid_utf8("\xe2\x82"));          // truncated
  std::string out;
  detail::append_json_escaped(out, "a\"b\\c\nd\x01");
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd\\u0001");
  out.clear();
  detail::append_json_escaped(out, "\xff");
  EXPECT_EQ(out, "\\u00ff");
}

}  // namespace
}  // namespace tenantry::http
