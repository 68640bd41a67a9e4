#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "http/detail/server_impl.hpp"

namespace tenantry::http {

using detail::error_code;
namespace asio = boost::asio;

namespace {

// After cancelling connections on stop, how long they get to unwind before the io_context is stopped anyway.
constexpr std::chrono::milliseconds kCancelGrace{1000};

}  // namespace

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

}  // namespace tenantry::http
