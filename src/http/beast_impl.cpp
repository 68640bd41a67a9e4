// The one translation unit that compiles Beast (BOOST_BEAST_SEPARATE_COMPILATION), like core/asio_impl.cpp
// does for Asio.
#include <boost/beast/src.hpp>
