#include "tenantry/http/server.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "http/text.hpp"
#include "http/wire.hpp"
#include "tenantry/core/logging.hpp"
#include "tenantry/http/problem.hpp"

namespace tenantry::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

// Completion token that returns errors as values: closed connections and timeouts are routine, not
// exceptional, on a server.
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kReadChunk = 4096;
// After an error response, keep reading (and discarding) for a while before closing: closing a socket
// with unread input makes the kernel send RST, which can destroy the response before the client reads it.
constexpr std::chrono::milliseconds kLingerTimeout{500};
constexpr std::size_t kLingerBytes = 64 * 1024;
// After cancelling connections on stop, how long they get to unwind before the io_context is stopped anyway.
constexpr std::chrono::milliseconds kCancelGrace{1000};
// Pause after a failed accept (e.g. EMFILE) so that the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Sent, best effort, to connections over max_connections: prebuilt so that refusing costs nothing.
constexpr std::string_view kOverloaded =
    "HTTP/1.1 503 Service Unavailable\r\nServer: tenantry\r\nContent-Type: application/problem+json\r\n"
    "Content-Length: 94\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
    R"({"type":"https://tenantry.dev/problems/overloaded","title":"Service Unavailable","status":503})";

// The Server::Impl whose I/O thread this is: stop() must not join its own thread.
thread_local const void* t_current_server = nullptr;

template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ~ScopeExit() { f_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  F f_;
};

// One open connection, linked into its worker's list so that stopping can reach it.
struct Connection {
  Connection* prev = nullptr;
  Connection* next = nullptr;
  beast::tcp_stream* stream = nullptr;
  // Cancels whatever the connection's coroutine awaits, handler included, when the drain time is over.
  asio::cancellation_signal cancel;
  // Waiting for the first byte of a request: nothing in flight, so stop() may close it at once.
  bool idle = false;
};

Problem version_not_supported() {
  return Problem{.type = "http-version-not-supported",
                 .title = "HTTP Version Not Supported",
                 .status = 505,
                 .detail = "Only HTTP/1.0 and HTTP/1.1 are supported."};
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

Problem not_implemented(std::string detail) {
  return Problem{
      .type = "not-implemented", .title = "Not Implemented", .status = 501, .detail = std::move(detail)};
}

using RequestParser = bhttp::request_parser<bhttp::string_body>;
using RequestMessage = bhttp::request<bhttp::string_body>;

// Like http::async_read_header, but the raw bytes are looked at before the parser unfolds them, so that
// obs-fold is refused (wire::has_obs_fold). The parser consumes complete field lines as they arrive, and a
// line only once it has seen that the next one does not continue it; so each pass looks at what is not
// parsed yet, which always holds a fold whole.
Task<error_code> read_head(beast::tcp_stream& stream, beast::flat_buffer& buffer, RequestParser& parser) {
  for (;;) {
    if (buffer.size() != 0) {
      const std::string_view unparsed(static_cast<const char*>(buffer.data().data()), buffer.size());
      if (wire::has_obs_fold(unparsed)) co_return make_error_code(bhttp::error::bad_obs_fold);
      error_code ec;
      buffer.consume(parser.put(buffer.data(), ec));
      if (ec != bhttp::error::need_more) co_return ec;
    }
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kNoThrow);
    if (ec == asio::error::eof)
      co_return make_error_code(parser.got_some() ? bhttp::error::partial_message
                                                  : bhttp::error::end_of_stream);
    if (ec) co_return ec;
    buffer.commit(n);
  }
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

// Both checks above, on a message that holds its header section only, whose size goes to `header_fields`.
std::optional<Problem> head_problem(const RequestMessage& msg, Request& req, std::size_t& header_fields) {
  header_fields = static_cast<std::size_t>(std::distance(msg.begin(), msg.end()));
  req.method.assign(msg.method_string());
  if (auto problem = framing_problem(msg)) return problem;
  return request_problem(msg, req);
}

Problem handler_timeout() {
  return Problem{.type = "timeout",
                 .title = "Service Unavailable",
                 .status = 503,
                 .detail = "The request took too long to process."};
}

/// The tenant for log lines: "-" when the request has none (yet).
std::string_view log_tenant(const Request& req) {
  return req.annotations.tenant.empty() ? std::string_view("-") : std::string_view(req.annotations.tenant);
}

void assign_request_id(Request& req, std::optional<std::string_view> client_id) {
  if (client_id && wire::valid_request_id(*client_id)) {
    req.request_id.assign(*client_id);
  } else {
    wire::generate_request_id(req.request_id);
  }
}

std::shared_ptr<spdlog::logger> access_logger() {
  if (auto logger = spdlog::get(kAccessLogger)) return logger;
  auto logger = spdlog::default_logger()->clone(kAccessLogger);
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {  // registered concurrently by someone else
    if (auto existing = spdlog::get(kAccessLogger)) return existing;
  }
  return logger;
}

// Binds and listens, or says which address could not be had (e.g. one another server already listens on).
void listen(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR: a restart may bind while the previous process's connections are in TIME_WAIT.
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    const std::string address = endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                           : endpoint.address().to_string();
    throw std::runtime_error(
        fmt::format("cannot listen on {}:{}: {}", address, endpoint.port(), ec.message()));
  }
}

}  // namespace

// One I/O thread: its io_context, listening socket and connections. Only its own thread touches it, apart
// from asio::post.
struct Worker {
  explicit Worker(std::size_t index) : index(index) {}
  // Flags teardown so that connection coroutines destroyed with the io_context do not restart stopping.
  ~Worker() { destroying = true; }

  void link(Connection* c) noexcept {
    c->next = connections;
    if (connections) connections->prev = c;
    connections = c;
    ++connection_count;
  }
  void unlink(Connection* c) noexcept {
    if (c->prev) c->prev->next = c->next;
    if (c->next) c->next->prev = c->prev;
    if (connections == c) connections = c->next;
    c->prev = c->next = nullptr;
    --connection_count;
  }

  std::size_t index;
  Connection* connections = nullptr;
  std::size_t connection_count = 0;
  bool accepting = false, stopping = false, forced = false, finished = false, destroying = false;
  // Stopping, not accepting and without connections: waits for the other workers to be drained too.
  bool drained = false;
  bool hook_started = false;
  // Declared after the state above: destroying the io_context destroys suspended coroutines, whose clean-up
  // still uses that state.
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer stop_timer{io};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
};

struct Server::Impl {
  Impl(ServerOptions o, Handler h, ThreadHook start_hook, ThreadHook stop_hook)
      : options(std::move(o)),
        handler(std::move(h)),
        on_thread_start(std::move(start_hook)),
        on_thread_stop(std::move(stop_hook)),
        access(options.access_log ? access_logger() : nullptr) {}

  void start();
  void request_stop(bool graceful);
  void join();
  void run_thread(Worker& w);

  Task<void> accept_loop(Worker& w);
  void refuse(tcp::socket& socket);
  Task<void> serve(Worker& w, std::shared_ptr<Connection> c, tcp::socket socket);
  Task<Response> invoke(Request& req);
  Task<Response> invoke_with_timeout(Request& req, bool& timed_out);
  Task<bool> respond(std::size_t thread, beast::tcp_stream& stream, std::string& head, const Request& req,
                     const Response& res, bool keep_alive, Clock::time_point started);
  Task<void> linger(beast::tcp_stream& stream, beast::flat_buffer& buffer);
  void log_access(const Request& req, const Response& res, Clock::duration elapsed);
  void log_request_event(spdlog::level::level_enum level, const Request& req, std::string_view what) const;

  void begin_stop(Worker& w, bool graceful);
  void force(Worker& w, bool drain_expired);
  void maybe_finish(Worker& w);
  void mark_drained(Worker& w);
  void finish(Worker& w);

  const ServerOptions options;
  const Handler handler;
  const ThreadHook on_thread_start, on_thread_stop;
  const std::shared_ptr<spdlog::logger> access;
  ResponseObserver observer;  // set before start(), then only read
  ServerStats stats;
  std::atomic<std::uint16_t> port{0};

  enum class State { created, running, stopping, stopped };
  std::mutex mutex;  // state and the start handshake
  std::condition_variable started_cv;
  std::size_t threads_started = 0;
  std::exception_ptr start_error;
  State state = State::created;
  std::mutex join_mutex;
  // Workers not yet drained; the last one to drain stops every io_context (see maybe_finish).
  std::atomic<std::size_t> undrained{0};
  // Last: destroyed first, while everything their coroutines refer to still exists.
  std::vector<std::unique_ptr<Worker>> workers;
};

// ---- lifecycle -------------------------------------------------------------------------------------------

void Server::Impl::start() {
  std::unique_lock lock(mutex);
  if (state != State::created) throw std::logic_error("Server::start: already started or stopped");
  try {
    const std::size_t n =
        options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    tcp::endpoint endpoint(asio::ip::make_address(options.address), options.port);
    for (std::size_t i = 0; i < n; ++i) {
      auto w = std::make_unique<Worker>(i);
      if (i == 0) {
        listen(w->acceptor, endpoint);
        endpoint = w->acceptor.local_endpoint();  // port 0: the one picked
      } else {
        // One listening socket, not one per thread with SO_REUSEPORT: that would let a second server bind
        // the same port silently and take part of the traffic. Each thread accepts from its own descriptor
        // of it, in its own io_context.
        const int fd = ::dup(workers.front()->acceptor.native_handle());
        if (fd < 0)
          throw boost::system::system_error(error_code(errno, boost::system::system_category()), "dup");
        error_code ec;
        w->acceptor.assign(endpoint.protocol(), fd, ec);
        if (ec) {
          ::close(fd);
          throw boost::system::system_error(ec, "listening socket");
        }
      }
      workers.push_back(std::move(w));
    }
    port = endpoint.port();
    undrained = workers.size();
  } catch (...) {
    workers.clear();
    state = State::stopped;
    throw;
  }

  for (auto& w : workers) w->thread = std::thread([this, w = w.get()] { run_thread(*w); });
  started_cv.wait(lock, [&] { return threads_started == workers.size(); });
  state = State::running;
  if (start_error) {
    lock.unlock();
    request_stop(false);
    join();
    std::rethrow_exception(start_error);
  }
  for (auto& w : workers) asio::co_spawn(w->io, accept_loop(*w), asio::detached);
  spdlog::info("HTTP server listening on {}:{} with {} threads", options.address, port.load(),
               workers.size());
}

void Server::Impl::run_thread(Worker& w) {
  t_current_server = this;
  std::exception_ptr error;
  try {
    if (on_thread_start) on_thread_start(w.io, w.index);
    w.hook_started = true;
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::lock_guard lock(mutex);
    if (error && !start_error) start_error = error;
    ++threads_started;
  }
  started_cv.notify_all();
  for (;;) {
    try {
      w.io.run();
      break;
    } catch (const std::exception& e) {  // our handlers do not throw; a user's posted work might
      spdlog::error("unhandled exception on HTTP thread {}: {}", w.index, e.what());
    }
  }
  if (w.hook_started && on_thread_stop) {
    try {
      on_thread_stop(w.io, w.index);
    } catch (const std::exception& e) {
      spdlog::error("on_thread_stop of HTTP thread {} failed: {}", w.index, e.what());
    }
  }
}

void Server::Impl::request_stop(bool graceful) {
  std::lock_guard lock(mutex);
  if (state == State::created) state = State::stopped;
  if (state == State::stopped) return;
  state = State::stopping;
  for (auto& w : workers) asio::post(w->io, [this, w = w.get(), graceful] { begin_stop(*w, graceful); });
}

void Server::Impl::join() {
  std::lock_guard join_lock(join_mutex);
  for (auto& w : workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  std::lock_guard lock(mutex);
  if (state == State::stopping) state = State::stopped;
}

// Runs on the worker's thread.
void Server::Impl::begin_stop(Worker& w, bool graceful) {
  if (w.finished) return;
  if (!w.stopping) {
    w.stopping = true;
    error_code ec;
    w.acceptor.close(ec);
    for (Connection* c = w.connections; c; c = c->next) {
      if (c->idle && c->stream) c->stream->cancel();
    }
    if (graceful) {
      w.stop_timer.expires_after(options.drain_timeout);
      w.stop_timer.async_wait([this, &w](error_code ec) {
        if (!ec) force(w, true);
      });
    }
  }
  if (!graceful) force(w, false);
  maybe_finish(w);
}

void Server::Impl::force(Worker& w, bool drain_expired) {
  if (w.forced || w.finished) return;
  w.forced = true;
  std::size_t busy = 0;
  for (Connection* c = w.connections; c; c = c->next) busy += c->idle ? 0 : 1;
  if (busy != 0) {
    spdlog::log(drain_expired ? spdlog::level::warn : spdlog::level::debug,
                "HTTP thread {}: cancelling {} unfinished requests", w.index, busy);
  }
  for (Connection* c = w.connections; c; c = c->next) {
    c->cancel.emit(asio::cancellation_type::terminal);
    if (c->stream) c->stream->close();
  }
  w.stop_timer.expires_after(kCancelGrace);  // also cancels the drain wait
  w.stop_timer.async_wait([this, &w](error_code ec) {
    if (ec || w.finished) return;
    spdlog::error(
        "HTTP thread {}: {} connections (or other threads' handlers) ignored cancellation; stopping "
        "anyway",
        w.index, w.connection_count);
    finish(w);
  });
}

// A handler may run on another thread than its connection (the application co_spawns a tenant's handler onto
// the tenant's thread): a thread whose own connections are done may still be running one for another
// thread's connection. So no io_context stops before every worker is drained; only then can no handler be
// running anywhere.
void Server::Impl::maybe_finish(Worker& w) {
  if (w.stopping && !w.drained && !w.finished && !w.accepting && w.connection_count == 0) mark_drained(w);
}

void Server::Impl::mark_drained(Worker& w) {
  w.drained = true;
  if (undrained.fetch_sub(1) != 1) return;
  for (auto& other : workers) {
    asio::post(other->io, [this, o = other.get()] {
      if (!o->finished) finish(*o);
    });
  }
}

void Server::Impl::finish(Worker& w) {
  if (!w.drained) mark_drained(w);  // given up on its connections: the others need not wait for them
  w.finished = true;
  w.stop_timer.cancel();
  w.work.reset();
  w.io.stop();  // not just running out of work: thread hooks may keep their own work (pool timers) alive
}

// ---- connections -----------------------------------------------------------------------------------------

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
  c->stream = &stream;
  w.link(c.get());
  ScopeExit cleanup([&] {
    c->stream = nullptr;
    w.unlink(c.get());
    stats.active_connections.fetch_sub(1, std::memory_order_relaxed);
    if (!w.destroying) maybe_finish(w);
  });

  error_code ec;
  stream.socket().set_option(tcp::no_delay(true), ec);
  std::string remote;
  if (const auto peer = stream.socket().remote_endpoint(ec); !ec) remote = peer.address().to_string();

  // Reused by every request on this connection.
  beast::flat_buffer buffer;
  Request req;
  std::string head;
  std::optional<RequestParser> parser;

  // A new connection must deliver its first request header within header_timeout of being accepted.
  Clock::time_point wait_deadline = Clock::now() + options.header_timeout;
  bool first = true;
  bool linger_on_close = false;
  try {
    for (;;) {
      // Wait for the first byte of the next request (unless pipelined bytes are already buffered).
      if (buffer.size() == 0) {
        if (w.stopping) break;
        c->idle = true;
        stream.expires_at(wait_deadline);
        auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kNoThrow);
        c->idle = false;
        if (read_ec) break;  // peer closed, idle timeout, or stop()
        buffer.commit(n);
      }
      const Clock::time_point started = Clock::now();
      stream.expires_at(first ? wait_deadline : started + options.header_timeout);
      first = false;

      parser.emplace();
      parser->header_limit(
          static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
      parser->body_limit(options.max_body_bytes);
      req.clear();
      req.remote_address = remote;
      ec = co_await read_head(stream, buffer, *parser);
      // Checked before the body is read, while the message holds the header section only.
      std::optional<Problem> reject;
      std::size_t header_fields = 0;
      if (!ec) reject = head_problem(parser->get(), req, header_fields);
      if (!ec && !reject && !parser->is_done()) {
        const auto& msg = parser->get();
        if (msg.version() == 11) {
          if (const auto it = msg.find(bhttp::field::expect);
              it != msg.end() && detail::iequals(it->value(), "100-continue")) {
            stream.expires_after(options.write_timeout);
            std::tie(ec, std::ignore) = co_await asio::async_write(stream, asio::buffer(kContinue), kNoThrow);
          }
        }
        if (!ec) {
          stream.expires_after(options.body_timeout);
          std::tie(ec, std::ignore) = co_await bhttp::async_read(stream, buffer, *parser, kNoThrow);
        }
      }
      stream.expires_never();

      if (ec) {
        std::optional<Problem> problem = problem_for_read_error(
            ec, std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()));
        if (!problem) break;
        std::optional<std::string_view> client_id;
        if (parser->is_header_done()) {
          const auto& msg = parser->get();
          req.method.assign(msg.method_string());
          req.target.assign(msg.target());
          if (const auto it = msg.find("x-request-id"); it != msg.end()) client_id = it->value();
        }
        assign_request_id(req, client_id);
        Response res = to_response(*problem);
        if (co_await respond(w.index, stream, head, req, res, false, started)) linger_on_close = true;
        break;
      }

      auto& msg = parser->get();
      req.version = msg.version() == 10 ? 10 : 11;
      // Beast appends the trailer fields of a chunked body to the header fields. They are dropped: merging
      // them is what RFC 9110 §6.5.1 forbids, and a proxy in front did not vet them as header fields.
      std::size_t field_index = 0;
      for (const auto& field : msg) {
        if (field_index++ == header_fields) break;
        req.add_header(field.name_string(), field.value());
      }
      req.body = std::move(msg.body());
      assign_request_id(req, req.header("x-request-id"));
      if (reject) req.target.assign(msg.target());

      bool keep_alive = msg.keep_alive();
      Response res;
      if (reject) {
        res = to_response(*reject);
        keep_alive = false;
      } else if (options.request_timeout) {
        bool timed_out = false;
        res = co_await invoke_with_timeout(req, timed_out);
        if (timed_out) keep_alive = false;
      } else {
        res = co_await invoke(req);
      }
      if (const auto conn = res.header("connection"); conn && detail::iequals(*conn, "close"))
        keep_alive = false;
      if (w.stopping) keep_alive = false;  // stop() arrived while the handler ran

      if (!co_await respond(w.index, stream, head, req, res, keep_alive, started)) break;
      if (!keep_alive) {
        linger_on_close = reject.has_value() || buffer.size() != 0;
        break;
      }
      wait_deadline = Clock::now() + options.idle_timeout;
    }
    if (linger_on_close) co_await linger(stream, buffer);
  } catch (const std::exception& e) {  // cancellation by stop() surfaces as an exception from co_await
    spdlog::debug("HTTP connection from {} ended: {}", remote, e.what());
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.close();
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
  co_return to_response(handler_timeout());
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

/// A request's error line. With the JSON log format its request id, tenant, method and path are members of
/// the line, as on the access line, so that a log query finds them without parsing the message.
void Server::Impl::log_request_event(spdlog::level::level_enum level, const Request& req,
                                     std::string_view what) const {
  const std::string text = fmt::format("request {} {} {} tenant={} {}", req.request_id, req.method, req.path,
                                       log_tenant(req), what);
  if (!options.access_log_json) {
    spdlog::log(level, "{}", text);
    return;
  }
  std::string line = R"({"message":")";
  detail::append_json_escaped(line, text);
  line += R"(","request_id":")";
  detail::append_json_escaped(line, req.request_id);
  line += R"(","tenant":")";
  detail::append_json_escaped(line, req.annotations.tenant);
  line += R"(","method":")";
  detail::append_json_escaped(line, req.method);
  line += R"(","path":")";
  detail::append_json_escaped(line, req.path);
  line += "\"}";
  access_logger()->log(level, spdlog::string_view_t(line.data(), line.size()));
}

void Server::Impl::log_access(const Request& req, const Response& res, Clock::duration elapsed) {
  if (!access->should_log(spdlog::level::info)) return;
  thread_local std::string line;
  line.clear();
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  // The path as sent (still percent-encoded, without the query, which may carry secrets).
  std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  const std::string_view method = req.method.empty() ? std::string_view("-") : std::string_view(req.method);
  if (path.empty()) path = "-";
  const std::string_view client =
      req.remote_address.empty() ? std::string_view("-") : std::string_view(req.remote_address);
  // JSON says "" for none (as it always has); text says "-", so that the fields stay apart.
  std::string_view tenant =
      res.log_tenant.empty() ? std::string_view(req.annotations.tenant) : res.log_tenant;
  std::string_view route = req.annotations.route;
  if (!options.access_log_json) {
    if (tenant.empty()) tenant = "-";
    if (route.empty()) route = "-";
  }
  if (options.access_log_json) {
    // One object: with the JSON log format its members join the line's (tenantry/core/logging.hpp).
    line += R"({"message":")";
    detail::append_json_escaped(line, method);
    line += ' ';
    detail::append_json_escaped(line, path);
    fmt::format_to(std::back_inserter(line), R"( {}","method":")", res.status);
    detail::append_json_escaped(line, method);
    line += R"(","path":")";
    detail::append_json_escaped(line, path);
    fmt::format_to(std::back_inserter(line), R"(","status":{},"duration_ms":{:.3f},"tenant":")", res.status,
                   ms);
    detail::append_json_escaped(line, tenant);
    line += R"(","route":")";
    detail::append_json_escaped(line, route);
    line += R"(","request_id":")";
    detail::append_json_escaped(line, req.request_id);
    line += R"(","client":")";
    detail::append_json_escaped(line, client);
    line += "\"}";
  } else {
    detail::append_json_escaped(line, method);
    line += ' ';
    detail::append_json_escaped(line, path);
    fmt::format_to(std::back_inserter(line), " {} {:.3f}ms tenant=", res.status, ms);
    detail::append_json_escaped(line, tenant);
    line += " request_id=";
    line += req.request_id;
    line += " client=";
    detail::append_json_escaped(line, client);
    line += " route=";
    detail::append_json_escaped(line, route);
  }
  access->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

// ---- Server ----------------------------------------------------------------------------------------------

Server::Server(ServerOptions options, Handler handler, ThreadHook on_thread_start, ThreadHook on_thread_stop)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(on_thread_start),
                                   std::move(on_thread_stop))) {
  if (!impl_->handler) throw std::invalid_argument("Server: a handler is required");
}

Server::~Server() {
  impl_->request_stop(false);
  impl_->join();
}

void Server::start() {
  impl_->start();
}

void Server::observe(ResponseObserver observer) {
  impl_->observer = std::move(observer);
}

std::uint16_t Server::local_port() const noexcept {
  return impl_->port.load();
}

void Server::stop(bool graceful) {
  impl_->request_stop(graceful);
  if (t_current_server != impl_.get()) impl_->join();
}

void Server::wait() {
  if (t_current_server == impl_.get())
    throw std::logic_error("Server::wait called on one of its own threads");
  impl_->join();
}

const ServerStats& Server::stats() const noexcept {
  return impl_->stats;
}

const ServerOptions& Server::options() const noexcept {
  return impl_->options;
}

}  // namespace tenantry::http
