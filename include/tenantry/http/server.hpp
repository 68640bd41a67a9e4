#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "tenantry/core/task.hpp"
#include "tenantry/http/request.hpp"
#include "tenantry/http/response.hpp"
#include "tenantry/http/server_options.hpp"

namespace boost::asio {
class io_context;
}

namespace tenantry::http {

/// Answers every request. It runs on the I/O thread of its connection; the Request stays valid until the
/// returned Task completes. Throw ProblemError for an error response; any other exception becomes a 500
/// whose body carries only the request id (the message goes to the log).
using Handler = std::function<Task<Response>(Request&)>;

/// Called on each I/O thread with its io_context and index (0..threads-1): on_thread_start before the
/// thread serves anything (e.g. to create a per-thread connection pool), on_thread_stop after every
/// connection of every thread has finished and its io_context has stopped (call io.restart() and run it to
/// await asynchronous clean-up). A handler may thus run part of its work on another I/O thread (co_spawn onto
/// its io_context and await it): stopping drains the connections of all threads before it stops any.
using ThreadHook = std::function<void(boost::asio::io_context& io, std::size_t thread_index)>;

/// Sees every response the server sends, whatever produced it (a handler, a thrown error, a timeout, a
/// protocol error), on the I/O thread of its connection (`thread`), once it is ready to be written.
/// `elapsed` runs from the request's first byte. Must be cheap and must not throw: it is on every request's
/// path.
using ResponseObserver =
    std::function<void(std::size_t thread, const Request& request, const Response& response,
                       std::chrono::steady_clock::duration elapsed)>;

/// Counters for metrics; read them at any time from any thread.
struct ServerStats {
  /// Responses produced (counted when the response is ready, before it is written).
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> active_connections{0};
  std::atomic<std::uint64_t> accepted_connections{0};
  /// Refused because max_connections was reached.
  std::atomic<std::uint64_t> rejected_connections{0};
  /// Requests whose handler threw something other than ProblemError (answered with 500).
  std::atomic<std::uint64_t> handler_errors{0};
};

/// An HTTP/1.1 server: N I/O threads, each with its own io_context, accepting from one listening socket (a
/// port another socket listens on is a start-up error), so a connection lives on one thread from accept to
/// close and handlers need no locks.
/// Protocol errors are answered with problem+json (400, 413, 431) before the connection is closed.
class Server {
 public:
  Server(ServerOptions options, Handler handler, ThreadHook on_thread_start = {},
         ThreadHook on_thread_stop = {});
  /// Stops without draining (stop(false)) if still running. Must not run on one of the server's threads.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds, runs on_thread_start on every thread, then starts accepting. Throws when binding fails (the
  /// message names the address, e.g. "cannot listen on 127.0.0.1:8080: Address already in use") or a
  /// start hook throws (the server is then stopped). Call once.
  void start();

  /// Installs the observer of every response (e.g. request metrics); call before start().
  void observe(ResponseObserver observer);

  /// The bound port (useful with port 0); 0 before start().
  std::uint16_t local_port() const noexcept;

  /// Stops accepting and closes idle connections. Graceful: in-flight requests may finish within the drain
  /// timeout (their responses carry "Connection: close"), then the rest are cancelled; not graceful: they
  /// are cancelled at once. Returns after the threads are joined, except when called from one of the
  /// server's own threads (e.g. a handler), where it only initiates the stop. Safe from any thread and
  /// callable repeatedly; stop(false) after stop(true) cuts the drain short.
  void stop(bool graceful = true);

  /// Blocks until the server has stopped and its threads are joined; returns at once if never started.
  void wait();

  const ServerStats& stats() const noexcept;
  const ServerOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantry::http
