#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <tuple>

#include "http/detail/request_limits.hpp"
#include "http/detail/server_impl.hpp"
#include "http/text.hpp"
#include "http/wire.hpp"

namespace tenantry::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using detail::Clock;
using detail::error_code;
using detail::kNoThrow;
using detail::kReadChunk;
using detail::tcp;

namespace {

// After an error response, keep reading (and discarding) for a while before closing: closing a socket
// with unread input makes the kernel send RST, which can destroy the response before the client reads it.
constexpr std::chrono::milliseconds kLingerTimeout{500};
constexpr std::size_t kLingerBytes = 64 * 1024;
// Pause after a failed accept (e.g. EMFILE) so that the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

// Sent, best effort, to connections over max_connections: prebuilt so that refusing costs nothing.
constexpr std::string_view kOverloaded =
    "HTTP/1.1 503 Service Unavailable\r\nServer: tenantry\r\nContent-Type: application/problem+json\r\n"
    "Content-Length: 94\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
    R"({"type":"https://tenantry.dev/problems/overloaded","title":"Service Unavailable","status":503})";

/// What a connection reuses from one request to the next, so that a request allocates nothing of its own.
struct Exchange {
  explicit Exchange(std::string remote) : remote(std::move(remote)) {}
  const std::string remote;  // the peer's address, for the access log
  beast::flat_buffer buffer;
  Request req;
  std::string head;
  std::optional<detail::RequestParser> parser;
  // Until the next request's first byte must arrive: header_timeout for a new connection, idle_timeout after.
  Clock::time_point wait_deadline;
  bool first = true;
  bool linger_on_close = false;
};

std::string peer_address(beast::tcp_stream& stream) {
  error_code ec;
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (const auto peer = stream.socket().remote_endpoint(ec); !ec) return peer.address().to_string();
  return {};
}

std::string_view unparsed(const beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

/// Whether the handler asked to close the connection after its response.
bool closes(const Response& res) {
  const auto conn = res.header("connection");
  return conn && detail::iequals(*conn, "close");
}

/// The request of a read that failed, as far as it was read, for the error response and its log line.
void take_failed_request(Exchange& x) {
  std::optional<std::string_view> client_id;
  if (x.parser->is_header_done()) {
    const auto& msg = x.parser->get();
    x.req.method.assign(msg.method_string());
    x.req.target.assign(msg.target());
    if (const auto it = msg.find("x-request-id"); it != msg.end()) client_id = it->value();
  }
  detail::assign_request_id(x.req, client_id);
}

/// Moves a complete message into x.req; returns whether the client asked to keep the connection.
bool take_request(Exchange& x, std::size_t header_fields, bool rejected) {
  auto& msg = x.parser->get();
  x.req.version = msg.version() == 10 ? 10 : 11;
  // Beast appends the trailer fields of a chunked body to the header fields. They are dropped: merging
  // them is what RFC 9110 §6.5.1 forbids, and a proxy in front did not vet them as header fields.
  std::size_t field_index = 0;
  for (const auto& field : msg) {
    if (field_index++ == header_fields) break;
    x.req.add_header(field.name_string(), field.value());
  }
  x.req.body = std::move(msg.body());
  detail::assign_request_id(x.req, x.req.header("x-request-id"));
  if (rejected) x.req.target.assign(msg.target());
  return msg.keep_alive();
}

}  // namespace

/// Links a connection into its worker while it is served, so that stopping can reach it; counts it out
/// when it ends.
class Server::Impl::LinkedConnection {
 public:
  LinkedConnection(Impl& server, detail::Worker& w, detail::Connection& c, beast::tcp_stream& stream)
      : server_(server), w_(w), c_(c) {
    c_.stream = &stream;
    w_.link(&c_);
  }
  ~LinkedConnection() {
    c_.stream = nullptr;
    w_.unlink(&c_);
    server_.stats.active_connections.fetch_sub(1, std::memory_order_relaxed);
    if (!w_.destroying) server_.maybe_finish(w_);
  }
  LinkedConnection(const LinkedConnection&) = delete;
  LinkedConnection& operator=(const LinkedConnection&) = delete;

 private:
  Impl& server_;
  detail::Worker& w_;
  detail::Connection& c_;
};

Task<void> Server::Impl::accept_loop(Worker& w) {
  w.accepting = true;
  for (;;) {
    auto [ec, socket] = co_await w.acceptor.async_accept(kNoThrow);
    if (w.stopping || ec == asio::error::operation_aborted || !w.acceptor.is_open()) break;
    if (ec) {
      spdlog::warn("HTTP accept failed: {}", ec.message());
      asio::steady_timer pause(w.io, kAcceptRetryDelay);
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (stats.active_connections.fetch_add(1, std::memory_order_relaxed) >= options.max_connections) {
      stats.active_connections.fetch_sub(1, std::memory_order_relaxed);
      stats.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      refuse(socket);
      continue;
    }
    stats.accepted_connections.fetch_add(1, std::memory_order_relaxed);
    auto c = std::make_shared<Connection>();
    auto slot = c->cancel.slot();
    asio::co_spawn(w.io, serve(w, c, std::move(socket)),
                   asio::bind_cancellation_slot(slot, [&w, c](std::exception_ptr) mutable {
                     // co_spawn's machinery still uses the signal after this handler; free it later.
                     asio::post(w.io, [c = std::move(c)] {});
                   }));
  }
  w.accepting = false;
  maybe_finish(w);
}

void Server::Impl::refuse(tcp::socket& socket) {
  error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(kOverloaded), ec);  // into an empty send buffer: does not block
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

Task<void> Server::Impl::serve(Worker& w, std::shared_ptr<Connection> c, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  const LinkedConnection linked(*this, w, *c, stream);
  Exchange x(peer_address(stream));
  // A new connection must deliver its first request header within header_timeout of being accepted.
  x.wait_deadline = Clock::now() + options.header_timeout;
  error_code ec;
  try {
    for (;;) {
      // Wait for the first byte of the next request (unless pipelined bytes are already buffered).
      if (x.buffer.size() == 0) {
        if (w.stopping) break;
        c->idle = true;
        stream.expires_at(x.wait_deadline);
        auto [read_ec, n] = co_await stream.async_read_some(x.buffer.prepare(kReadChunk), kNoThrow);
        c->idle = false;
        if (read_ec) break;  // peer closed, idle timeout, or stop()
        x.buffer.commit(n);
      }
      const Clock::time_point started = Clock::now();
      stream.expires_at(x.first ? x.wait_deadline : started + options.header_timeout);
      x.first = false;
      detail::start_parser(x.parser, options);
      x.req.clear();
      x.req.remote_address = x.remote;
      const detail::ReadOutcome read =
          co_await detail::read_request(stream, x.buffer, *x.parser, x.req, options);
      if (read.error) {
        const std::optional<Problem> problem = detail::problem_for_read_error(read.error, unparsed(x.buffer));
        if (!problem) break;
        take_failed_request(x);
        const Response res = to_response(*problem);
        x.linger_on_close = co_await respond(w.index, stream, x.head, x.req, res, false, started);
        break;
      }
      const std::optional<Problem>& reject = read.reject;
      bool keep_alive = take_request(x, read.header_fields, reject.has_value());
      Response res;
      bool timed_out = false;
      if (reject)
        res = to_response(*reject);
      else
        res = co_await answer(x.req, timed_out);
      if (reject || timed_out || w.stopping || closes(res))
        keep_alive = false;  // stopping: stop() came meanwhile
      if (!co_await respond(w.index, stream, x.head, x.req, res, keep_alive, started)) break;
      if (!keep_alive) {
        x.linger_on_close = reject.has_value() || x.buffer.size() != 0;
        break;
      }
      x.wait_deadline = Clock::now() + options.idle_timeout;
    }
    if (x.linger_on_close) co_await linger(stream, x.buffer);
  } catch (const std::exception& e) {  // cancellation by stop() surfaces as an exception from co_await
    spdlog::debug("HTTP connection from {} ended: {}", x.remote, e.what());
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.close();
}

// Not a coroutine: it returns the task to await, so that choosing costs no coroutine frame.
Task<Response> Server::Impl::answer(Request& req, bool& timed_out) {
  if (options.request_timeout) return invoke_with_timeout(req, timed_out);
  return invoke(req);
}

Task<Response> Server::Impl::invoke(Request& req) {
  Response res;
  std::string failure;  // what() of an unexpected exception; logged outside the catch block
  try {
    res = co_await handler(req);
  } catch (const ProblemError& e) {
    co_return to_response(e.problem());
  } catch (const std::exception& e) {
    failure = e.what();
    if (failure.empty()) failure = "(empty message)";
  } catch (...) {
    failure = "non-standard exception";
  }
  if (!failure.empty()) {
    // A handler cancelled by the request timeout or by stop() fails with operation_aborted: expected, not a
    // bug.
    const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
    if (cancelled != asio::cancellation_type::none) {
      log_request_event(spdlog::level::debug, req, "cancelled: " + failure);
    } else {
      stats.handler_errors.fetch_add(1, std::memory_order_relaxed);
      log_request_event(spdlog::level::err, req, "failed: " + failure);
    }
    co_return to_response(Problem::internal(req.request_id));
  }
  if (const std::string_view why = wire::check_response(res); !why.empty()) {
    stats.handler_errors.fetch_add(1, std::memory_order_relaxed);
    log_request_event(spdlog::level::err, req, fmt::format("handler returned an invalid response ({})", why));
    co_return to_response(Problem::internal(req.request_id));
  }
  co_return res;
}

Task<Response> Server::Impl::invoke_with_timeout(Request& req, bool& timed_out) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, *options.request_timeout);
  // invoke() never throws, so whichever finishes first wins and the other is cancelled.
  auto result = co_await (invoke(req) || timer.async_wait(asio::use_awaitable));
  if (result.index() == 0) co_return std::move(std::get<0>(result));
  timed_out = true;
  log_request_event(spdlog::level::warn, req, "cancelled after the request timeout");
  co_return to_response(detail::handler_timeout());
}

Task<bool> Server::Impl::respond(std::size_t thread, beast::tcp_stream& stream, std::string& head,
                                 const Request& req, const Response& res, bool keep_alive,
                                 Clock::time_point started) {
  if (observer) observer(thread, req, res, Clock::now() - started);
  head.clear();
  const auto connection = !keep_alive         ? wire::ConnectionHeader::close
                          : req.version == 10 ? wire::ConnectionHeader::keep_alive
                                              : wire::ConnectionHeader::none;
  wire::append_head(head, res, req.request_id, connection);
  const bool send_body = req.method != "HEAD" && wire::status_has_body(res.status);
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                                  send_body ? asio::buffer(res.body) : asio::const_buffer()};
  stats.requests.fetch_add(1, std::memory_order_relaxed);
  stream.expires_after(options.write_timeout);
  auto [ec, n] = co_await asio::async_write(stream, buffers, kNoThrow);
  stream.expires_never();
  if (access) log_access(req, res, Clock::now() - started);
  co_return !ec;
}

Task<void> Server::Impl::linger(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTimeout);
  for (std::size_t total = 0; total < kLingerBytes;) {
    buffer.clear();
    auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kNoThrow);
    if (read_ec) break;
    total += n;
  }
}

}  // namespace tenantry::http
