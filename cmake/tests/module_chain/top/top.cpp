#include "high/high.hpp"
#include "low/low.hpp"
int top() {
  return high() + low();
}
