#include "high/high.hpp"
#include "low/low.hpp"
int low() {
  return 1;
}
