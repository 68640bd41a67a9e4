#pragma once

// The coroutine type of every asynchronous operation in Tenantry. Only the light awaitable header is
// included here; the rest of Asio is compiled in implementation files.
#include <boost/asio/awaitable.hpp>

namespace tenantry {

/// An asynchronous operation: `co_await` it from another Task.
template <typename T = void>
using Task = boost::asio::awaitable<T>;

}  // namespace tenantry
