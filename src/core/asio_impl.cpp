// The one translation unit that compiles Asio (BOOST_ASIO_SEPARATE_COMPILATION): every other file includes
// only declarations, which keeps clean builds short.
#include <boost/asio/impl/src.hpp>
