#pragma once

// The byte-level parts of HTTP/1.1 that Beast does not do for us: validation of a few fields, request ids,
// and the serialization of response heads (written by hand so that one string per connection is reused).
#include <string>
#include <string_view>

#include "tenantry/http/response.hpp"

namespace tenantry::http::wire {

/// A client-supplied X-Request-Id we are willing to echo and log: 1-128 of [A-Za-z0-9._-].
bool valid_request_id(std::string_view id) noexcept;

/// Assigns a fresh 16-hex-digit id to `out`: a per-thread random seed and counter mixed by splitmix64, so
/// no locking and no system call per request.
void generate_request_id(std::string& out);

/// A Host value of letters, digits, '-', '.', ':' and '[' ']' (IPv6 literals). Empty is valid
/// (RFC 9112 §3.2: a target without authority). Rejecting the rest keeps junk out of anything that later
/// builds URLs or log lines from it.
bool valid_host(std::string_view host) noexcept;

/// An RFC 9110 token (header field name).
bool valid_token(std::string_view s) noexcept;
/// A header field value without CR, LF or NUL (response splitting).
bool valid_field_value(std::string_view s) noexcept;

/// Whether `head` starts with a request line of the right shape (RFC 9112 §3: method SP target SP
/// "HTTP/" DIGIT "." DIGIT CRLF, single spaces): then a version the parser refused is one we do not
/// support (505), else the line is malformed (400).
bool well_formed_request_line(std::string_view head) noexcept;

/// Whether the request line and header fields at the start of `head` (up to the first empty line, or all
/// of it when that has not arrived yet) use obsolete line folding: a line that starts with SP or HTAB
/// (RFC 9112 §5.2). We refuse it rather than unfold it, because an intermediary may join or split such a
/// line differently and so see other header fields than we do.
bool has_obs_fold(std::string_view head) noexcept;

/// What a request's Transfer-Encoding (all its field lines joined with ",") says about the body.
enum class TransferCoding {
  chunked,      // exactly one coding, "chunked": the only framing we read
  unsupported,  // well-formed and ending in chunked, but with other codings before it (501)
  invalid,      // anything else: chunked not last or repeated, an empty or malformed element (400)
};
/// Strict on purpose: the body length of a request must not be open to interpretation (RFC 9112 §6.3).
TransferCoding transfer_coding(std::string_view value) noexcept;

/// Whether a response with this status carries content (not 1xx, 204 or 304).
bool status_has_body(int status) noexcept;

/// The current time as an IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"; formatted at most once a
/// second per thread.
std::string_view http_date();

/// Why a handler's response cannot be sent as is (empty when it can): bad status or header fields.
std::string_view check_response(const Response& response) noexcept;

enum class ConnectionHeader { none, close, keep_alive };

/// Appends the status line and header fields of `response`, up to and including the empty line.
/// Content-Length is the body size (also for HEAD); handler-set framing and Connection fields are dropped.
void append_head(std::string& out, const Response& response, std::string_view request_id,
                 ConnectionHeader connection);

}  // namespace tenantry::http::wire
