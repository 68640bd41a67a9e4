#include "tenantry/http/server.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <stdexcept>

#include "http/detail/server_impl.hpp"

namespace tenantry::http {

namespace asio = boost::asio;
using detail::error_code;
using detail::tcp;

namespace {

// The Server::Impl whose I/O thread this is: stop() must not join its own thread.
thread_local const void* t_current_server = nullptr;

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
