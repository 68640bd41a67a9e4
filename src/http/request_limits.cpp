#include "http/detail/request_limits.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <cstdint>
#include <iterator>
#include <string>
#include <tuple>

#include "http/text.hpp"
#include "http/wire.hpp"

namespace tenantry::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using boost::system::error_code;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 4096;

Problem version_not_supported() {
  return Problem{.type = "http-version-not-supported",
                 .title = "HTTP Version Not Supported",
                 .status = 505,
                 .detail = "Only HTTP/1.0 and HTTP/1.1 are supported."};
}

Problem not_implemented(std::string detail) {
  return Problem{
      .type = "not-implemented", .title = "Not Implemented", .status = 501, .detail = std::move(detail)};
}

// RFC 9112 §6.1-6.3: if we and an intermediary in front of us disagree on where a body ends, the rest of it
// is read as another request (request smuggling). So, before its body is read, a request is refused, and
// its connection closed after the answer, unless its Transfer-Encoding is a lone "chunked" and it has no
// Content-Length; HTTP/1.0 has no transfer codings at all.
std::optional<Problem> framing_problem(const RequestMessage& msg) {
  auto [it, end] = msg.equal_range(bhttp::field::transfer_encoding);
  if (it == end) return std::nullopt;
  std::string codings;
  for (; it != end; ++it) {
    if (!codings.empty()) codings += ',';
    codings.append(it->value());
  }
  if (msg.version() < 11) return Problem::bad_request("HTTP/1.0 requests cannot use Transfer-Encoding.");
  if (msg.count(bhttp::field::content_length) != 0)
    return Problem::bad_request("A request cannot have both Transfer-Encoding and Content-Length.");
  switch (wire::transfer_coding(codings)) {
    case wire::TransferCoding::chunked:
      return std::nullopt;
    case wire::TransferCoding::unsupported:
      return not_implemented("The only transfer coding this server accepts is chunked.");
    case wire::TransferCoding::invalid:
      break;
  }
  return Problem::bad_request("Transfer-Encoding must be chunked, once and last.");
}

// What must hold of a parsed request before a handler sees it. Also sets req's target, path, query and
// authority (the absolute-form target's, else the Host header's).
std::optional<Problem> request_problem(const RequestMessage& msg, Request& req) {
  const std::size_t hosts = msg.count(bhttp::field::host);
  if (msg.version() != 10 && msg.version() != 11) return version_not_supported();
  if (hosts == 0 && msg.version() == 11)
    return Problem::bad_request("HTTP/1.1 requests must have a Host header.");
  if (hosts > 1) return Problem::bad_request("More than one Host header.");
  if (hosts == 1 && !wire::valid_host(msg[bhttp::field::host]))
    return Problem::bad_request("Invalid Host header.");
  // RFC 9110 §9.1; the method is not echoed: it can be any token, kilobytes long.
  if (!implemented_method(req.method))
    return not_implemented("This server implements GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS.");
  if (!req.set_target(msg.target())) return Problem::bad_request("Malformed request target.");
  if (req.target == "*" && req.method != "OPTIONS")  // RFC 9112 §3.2.4
    return Problem::bad_request("The request target '*' is only for OPTIONS.");
  if (req.authority.empty() && hosts == 1) req.authority.assign(msg[bhttp::field::host]);
  return std::nullopt;
}

// Feeds the buffered bytes to the parser, like one pass of http::async_read_header, but the raw bytes are
// looked at before the parser unfolds them, so that obs-fold is refused (wire::has_obs_fold). The parser
// consumes complete field lines as they arrive, and a line only once it has seen that the next one does not
// continue it; so each pass looks at what is not parsed yet, which always holds a fold whole. False: the
// parser needs more bytes; true: the header section is read, or `ec` says why not.
bool feed_head(beast::flat_buffer& buffer, RequestParser& parser, error_code& ec) {
  if (buffer.size() == 0) return false;
  const std::string_view unparsed(static_cast<const char*>(buffer.data().data()), buffer.size());
  if (wire::has_obs_fold(unparsed)) {
    ec = make_error_code(bhttp::error::bad_obs_fold);
    return true;
  }
  ec = {};
  buffer.consume(parser.put(buffer.data(), ec));
  return ec != bhttp::error::need_more;
}

// framing_problem() and request_problem(), on a message that holds its header section only, whose size
// goes to `header_fields`.
std::optional<Problem> head_problem(const RequestMessage& msg, Request& req, std::size_t& header_fields) {
  header_fields = static_cast<std::size_t>(std::distance(msg.begin(), msg.end()));
  req.method.assign(msg.method_string());
  if (auto problem = framing_problem(msg)) return problem;
  return request_problem(msg, req);
}

// Whether the client waits for "100 Continue" before it sends the body.
bool expects_continue(const RequestMessage& msg) {
  if (msg.version() != 11) return false;
  const auto it = msg.find(bhttp::field::expect);
  return it != msg.end() && iequals(it->value(), "100-continue");
}

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

void start_parser(std::optional<RequestParser>& parser, const ServerOptions& options) {
  parser.emplace();
  parser->header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
  parser->body_limit(options.max_body_bytes);
}

// `unparsed`: what the parser left in the buffer, which starts with the request line when that failed.
std::optional<Problem> problem_for_read_error(const error_code& ec, std::string_view unparsed) {
  static const auto& http_category = bhttp::make_error_code(bhttp::error::bad_method).category();
  if (ec == bhttp::error::header_limit)
    return Problem{.type = "header-too-large",
                   .title = "Request Header Fields Too Large",
                   .status = 431,
                   .detail = "The request line and header fields exceed the server's limit."};
  if (ec == bhttp::error::body_limit)
    return Problem{.type = "content-too-large",
                   .title = "Content Too Large",
                   .status = 413,
                   .detail = "The request body exceeds the server's limit."};
  // Beast says bad_version also of a request line that is malformed around the version.
  if (ec == bhttp::error::bad_version && wire::well_formed_request_line(unparsed))
    return version_not_supported();
  if (ec == bhttp::error::bad_obs_fold)
    return Problem::bad_request("Obsolete line folding: a header line starts with a space or a tab.");
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec.category() == http_category)
    return Problem::bad_request("Malformed HTTP request: " + ec.message() + ".");
  return std::nullopt;  // timeout, reset, cancelled: nobody to answer
}

Problem handler_timeout() {
  return Problem{.type = "timeout",
                 .title = "Service Unavailable",
                 .status = 503,
                 .detail = "The request took too long to process."};
}

Task<ReadOutcome> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                               Request& req, const ServerOptions& options) {
  ReadOutcome out;
  // The header section, within the deadline the caller set; inline rather than a coroutine of its own, so
  // that reading a request costs one coroutine frame.
  while (!feed_head(buffer, parser, out.error)) {
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kNoThrow);
    if (ec == asio::error::eof) {
      out.error =
          make_error_code(parser.got_some() ? bhttp::error::partial_message : bhttp::error::end_of_stream);
      break;
    }
    if (ec) {
      out.error = ec;
      break;
    }
    buffer.commit(n);
  }
  // Checked before the body is read, while the message holds the header section only.
  if (!out.error) out.reject = head_problem(parser.get(), req, out.header_fields);
  if (!out.error && !out.reject && !parser.is_done()) {
    if (expects_continue(parser.get())) {
      stream.expires_after(options.write_timeout);
      std::tie(out.error, std::ignore) =
          co_await asio::async_write(stream, asio::buffer(kContinue), kNoThrow);
    }
    if (!out.error) {
      stream.expires_after(options.body_timeout);
      std::tie(out.error, std::ignore) = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
    }
  }
  stream.expires_never();
  co_return out;
}

void assign_request_id(Request& req, std::optional<std::string_view> client_id) {
  if (client_id && wire::valid_request_id(*client_id)) {
    req.request_id.assign(*client_id);
  } else {
    wire::generate_request_id(req.request_id);
  }
}

}  // namespace tenantry::http::detail
