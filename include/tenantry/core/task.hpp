#pragma once

// The coroutine type of every asynchronous operation in Tenantry. Only the light awaitable header is
// included here; the rest of Asio is compiled in implementation files.
#include <boost/asio/awaitable.hpp>

namespace tenantry {

/// An asynchronous operation: `co_await` it from another Task.
///
/// The coroutine rule (the one place it is written; docs/coroutines.md shows the forms and their tests).
/// GCC 12, our main compiler, mishandles class-type temporaries whose lifetime spans a suspension of the
/// co_await expression that holds them: it may destroy them twice, or copy a closure bitwise and free what
/// the copy still uses (GCC bugs 100611 and 99576, fixed in GCC 13). So, in code that GCC 12 compiles:
///   1. No class-type temporary inside a co_await operand: name it first.
///      Not `co_await db::Session(pool).query(...)` but `const db::Session session(pool);` and then
///      `co_await session.query(...)`, or use a named session (db::Pool::session(), RequestContext::db).
///   2. No lambda, braced initialiser or `?:` producing a class object inside the operand: name the lambda
///      (or the value) in a local first; for `c ? co_await a : co_await b` write an if/else.
///   3. No co_await inside a catch handler: catch into a variable (std::exception_ptr, a flag, the
///      message), leave the handler, then co_await.
/// The helpers that make the safe form the easy one: tenantry::spawn (background loops,
/// tenantry/core/spawn.hpp), tenantry::run_on and tenantry::offload (other threads,
/// tenantry/core/offload.hpp). tests: src/core/coroutine_rule_test.cpp.
template <typename T = void>
using Task = boost::asio::awaitable<T>;

}  // namespace tenantry
