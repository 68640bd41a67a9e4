#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenantry::http {

/// One header field as sent by the client (views into the Request that returned it).
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

/// An HTTP request as the handler sees it, independent of the wire library. The server reuses one Request
/// per connection so that its buffers keep their capacity; a handler may keep references into it only until
/// its Task completes.
class Request {
 public:
  /// The method token exactly as sent (RFC 9110 §9.1: methods are case-sensitive, so "get" is not GET).
  std::string method;
  /// The request target as sent, e.g. "/api/products?page=2".
  std::string target;
  /// Where the request is addressed: the authority of an absolute-form target, which wins over the Host
  /// header (RFC 9112 §3.2.2), else the Host header; empty when neither. As sent, so it may carry a port.
  /// Tenant resolution and absolute links read this, never the Host header itself.
  std::string authority;
  /// The percent-decoded path without the query. Front layers may rewrite it before routing (the tenant
  /// resolver strips "/t/{schema}"); `target` keeps the original.
  std::string path;
  /// Decoded query parameters in the order sent ('+' decodes to a space); names may repeat.
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  /// The peer's IP address, e.g. "127.0.0.1" or "::1".
  std::string remote_address;
  /// "scheme://authority" as the client addressed the server, for absolute links: set by the web layer from
  /// a trusted proxy's forwarding headers; empty means "http://" and `authority`.
  std::string origin;
  /// The client's valid X-Request-Id, else a generated one; echoed in the response and the access log.
  std::string request_id;
  /// 10 for HTTP/1.0, 11 for HTTP/1.1.
  int version = 11;

  /// What the layers above the server learnt while answering, read by the server's access log and error
  /// lines and by its response observer (ServerOptions), once the response is ready, whatever produced it:
  /// a handler's return, a thrown error or a timeout.
  struct Annotations {
    /// The route template that matched (e.g. "/api/products/{id}"); empty when none did.
    std::string route;
    /// The tenant the request was resolved to (its schema name); empty when none.
    std::string tenant;
    /// Time spent in database round trips on the request's behalf, rows they returned and statements.
    std::chrono::nanoseconds db_time{0};
    std::uint64_t db_rows = 0, db_statements = 0;
  };
  Annotations annotations;

  /// The first header with this name (ASCII case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
  /// Every header field in the order received.
  std::vector<HeaderField> headers() const;
  std::size_t header_count() const noexcept { return header_slots_.size(); }
  void add_header(std::string_view name, std::string_view value);

  /// The first query parameter with this name (case-sensitive), decoded.
  std::optional<std::string> query_param(std::string_view name) const;

  /// Sets `target` and derives `path` and `query` from it (origin-form "/p?q", absolute-form
  /// "http://h/p?q" or "*"); absolute-form also sets `authority`, other forms clear it. Returns false,
  /// leaving path, query and authority empty, when the target is malformed, decodes to a NUL or to invalid
  /// UTF-8 (either would only fail later, deeper in the stack), or is an absolute URI that is not an
  /// http(s) URI with a valid host and without userinfo (RFC 9110 §4.2).
  bool set_target(std::string_view target);

  /// The path of `target` as sent (still percent-encoded, without scheme, authority and query): "/p" for
  /// both "/p?q" and "http://h/p?q". For building links that point where the client pointed.
  std::string_view target_path() const noexcept;

  /// Empties every field but keeps the allocated capacity, for the next request on the connection.
  void clear() noexcept;

 private:
  // Header names and values live in one string so a keep-alive connection does not allocate per header.
  struct HeaderSlot {
    std::uint32_t name_offset, name_size, value_offset, value_size;
  };
  std::string header_data_;
  std::vector<HeaderSlot> header_slots_;
  // Where the path starts in `target` (after "scheme://authority" in absolute-form).
  std::size_t path_begin_ = 0;
};

/// Whether the server implements `method` (RFC 9110 §9: case-sensitive): GET, HEAD, POST, PUT, PATCH,
/// DELETE and OPTIONS. Other methods are answered 501 before any handler runs, so that a method string is
/// always one of a few known values (metrics labels, logs, route tables).
bool implemented_method(std::string_view method) noexcept;

}  // namespace tenantry::http
