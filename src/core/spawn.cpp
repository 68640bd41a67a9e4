#include "tenantry/core/spawn.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>

namespace tenantry {

void spawn(boost::asio::io_context& io, Task<void> task, std::string what) {
  boost::asio::co_spawn(io, std::move(task), [what = std::move(what)](std::exception_ptr failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      spdlog::error("{} ended: {}", what, e.what());
    } catch (...) {
      spdlog::error("{} ended: non-standard exception", what);
    }
  });
}

}  // namespace tenantry
