#pragma once

// Internals of http::Server, shared by its source files: server.cpp (start-up and threads), connection.cpp
// (accepting and serving connections), request_limits.cpp (parsing and what a request must satisfy),
// access_log.cpp (the access and error lines) and shutdown.cpp (stopping).
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tenantry/http/server.hpp"

namespace tenantry::http {

namespace detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// Completion token that returns errors as values: closed connections and timeouts are routine, not
// exceptional, on a server.
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kReadChunk = 4096;

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

/// The logger of access lines (kAccessLogger), created on first use.
std::shared_ptr<spdlog::logger> access_logger();

}  // namespace detail

struct Server::Impl {
  using Worker = detail::Worker;
  using Connection = detail::Connection;
  using Clock = detail::Clock;

  Impl(ServerOptions o, Handler h, ThreadHook start_hook, ThreadHook stop_hook)
      : options(std::move(o)),
        handler(std::move(h)),
        on_thread_start(std::move(start_hook)),
        on_thread_stop(std::move(stop_hook)),
        access(options.access_log ? detail::access_logger() : nullptr) {}

  // server.cpp
  void start();
  void run_thread(Worker& w);

  // connection.cpp
  class LinkedConnection;
  Task<void> accept_loop(Worker& w);
  void refuse(detail::tcp::socket& socket);
  Task<void> serve(Worker& w, std::shared_ptr<Connection> c, detail::tcp::socket socket);
  /// The handler's answer (invoke), bounded by the request timeout when there is one.
  Task<Response> answer(Request& req, bool& timed_out);
  Task<Response> invoke(Request& req);
  Task<Response> invoke_with_timeout(Request& req, bool& timed_out);
  Task<bool> respond(std::size_t thread, detail::beast::tcp_stream& stream, std::string& head,
                     const Request& req, const Response& res, bool keep_alive, Clock::time_point started);
  Task<void> linger(detail::beast::tcp_stream& stream, detail::beast::flat_buffer& buffer);

  // access_log.cpp
  void log_access(const Request& req, const Response& res, Clock::duration elapsed);
  void log_request_event(spdlog::level::level_enum level, const Request& req, std::string_view what) const;

  // shutdown.cpp
  void request_stop(bool graceful);
  void join();
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

}  // namespace tenantry::http
