#pragma once

// What a request must satisfy before a handler sees it, and reading it within the server's limits
// (ServerOptions): the parsing half of http::Server.
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

#include "tenantry/core/task.hpp"
#include "tenantry/http/problem.hpp"
#include "tenantry/http/request.hpp"
#include "tenantry/http/server_options.hpp"

namespace tenantry::http::detail {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
using RequestMessage = boost::beast::http::request<boost::beast::http::string_body>;

/// A fresh parser in `parser`, with the header and body limits of `options`.
void start_parser(std::optional<RequestParser>& parser, const ServerOptions& options);

/// How reading one request ended. `error`: the read failed, and the connection ends (after the answer
/// problem_for_read_error() gives, if any). Else `reject`, when set, refuses the request, whose body was not
/// read; `header_fields` is how many fields its header section has (a chunked body's trailer fields follow
/// them in the message).
struct ReadOutcome {
  boost::system::error_code error;
  std::optional<Problem> reject;
  std::size_t header_fields = 0;
};

/// Reads a request into `parser` within the limits and timeouts of `options`: its header section (within
/// the deadline already set on `stream`), the checks of head_problem(), then, for a request not refused,
/// its body, after "100 Continue" when the client waits for it. Sets req's method, target, path, query and
/// authority.
Task<ReadOutcome> read_request(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
                               RequestParser& parser, Request& req, const ServerOptions& options);

/// The answer to a failed read, if there is anyone to answer. `unparsed`: what the parser left in the
/// buffer, which starts with the request line when that failed.
std::optional<Problem> problem_for_read_error(const boost::system::error_code& ec, std::string_view unparsed);

/// The 503 of a request that outlived the request timeout.
Problem handler_timeout();

/// The client's X-Request-Id when valid, else a generated one.
void assign_request_id(Request& req, std::optional<std::string_view> client_id);

}  // namespace tenantry::http::detail
