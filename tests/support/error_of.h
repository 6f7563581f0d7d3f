// The message of the exception a call must throw, for matching with
// HasSubstr; a test failure when it throws nothing.
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace dwtest {

// Runs f and returns the what() of the runtime_error it must throw.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return "";
}

}  // namespace dwtest
