#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tenantry::http {

/// Listening address, limits and timeouts of a Server. The defaults suit production behind a load balancer.
struct ServerOptions {
  /// An IPv4 or IPv6 literal; "0.0.0.0" or "::" to listen on every interface.
  std::string address = "127.0.0.1";
  /// 0 picks an ephemeral port (see Server::local_port), which lets tests run in parallel.
  std::uint16_t port = 8080;
  /// I/O threads, each with its own io_context; 0 means std::thread::hardware_concurrency().
  std::size_t threads = 0;

  /// Request line plus header fields; larger requests get 431 and the connection is closed.
  std::size_t max_header_bytes = 16 * 1024;
  /// Decoded body (after chunked decoding); larger bodies get 413 and the connection is closed.
  std::size_t max_body_bytes = 1024 * 1024;
  /// Simultaneous connections over all threads; connections beyond it are refused with a bare 503.
  std::size_t max_connections = 10000;

  /// From the first byte of a request to the end of its header fields: bounds slow-header (slowloris)
  /// clients. Also how long a new connection may stay silent.
  std::chrono::milliseconds header_timeout{10'000};
  /// To receive the whole body once the header is in.
  std::chrono::milliseconds body_timeout{30'000};
  /// How long a keep-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  /// To send a whole response (a client that stops reading).
  std::chrono::milliseconds write_timeout{30'000};
  /// When set, a handler still running after this long is cancelled and the client gets 503. Off by default
  /// because cancellation aborts whatever the handler awaits (e.g. a query); the database's own
  /// statement_timeout is usually the better tool.
  std::optional<std::chrono::milliseconds> request_timeout;
  /// On graceful stop, how long in-flight requests may take before they are cancelled.
  std::chrono::milliseconds drain_timeout{10'000};

  /// One line per request on the spdlog logger "access" (created from the default logger if missing).
  bool access_log = true;
  /// Access log lines as JSON objects (message, method, path, status, duration_ms, tenant, request_id,
  /// client) instead of plain text; the JSON log format makes each the whole line
  /// (tenantry/core/logging.hpp).
  bool access_log_json = false;
};

}  // namespace tenantry::http
