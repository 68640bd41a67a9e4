#pragma once

// The coroutine type of every asynchronous operation in Tenantry. Only the light awaitable header is
// included here; the rest of Asio is compiled in implementation files.
#include <boost/asio/awaitable.hpp>

namespace tenantry {

/// An asynchronous operation: `co_await` it from another Task.
///
/// The coroutine rule (written here once; everything else points here). GCC 12, our main compiler,
/// mishandles class-type temporaries that live in a coroutine frame across the suspension of the co_await
/// expression holding them: it runs a destructor on a bitwise copy and destroys more objects than it
/// constructed, a double free once a std::string is inside (GCC bugs 100611 and 99576; workarounds in
/// other projects keep them for GCC < 13). src/core/coroutine_rule_test.cpp shows it on `?:`, lambda and
/// braced temporaries. So, in code that GCC 12 compiles:
///   1. No class-type temporary inside a co_await operand: name it first. Not
///      `co_await db::Session(pool).query(...)` but `co_await pool.session().query(...)`, or a named
///      `const db::Session session(pool, schema);`; not `co_await tx.execute_script("DROP " + name)` but a
///      named string. (A plain `Type(args)` argument did not misbehave in the reproducer; it is named too,
///      so that there is one rule to remember.)
///   2. No lambda, braced initialiser or `?:` producing a class object inside the operand: name the
///      lambda or the value in a local first; for `c ? co_await a : co_await b` write an if/else.
///   3. No co_await inside a catch handler: catch into a variable (std::exception_ptr, a flag, the
///      message), leave the handler, then co_await.
/// The helpers that make the safe form the easy one: tenantry::spawn (background loops, core/spawn.hpp),
/// tenantry::run_on and tenantry::offload (other threads, core/offload.hpp), db::Pool::session().
template <typename T = void>
using Task = boost::asio::awaitable<T>;

}  // namespace tenantry
