// SPDX-License-Identifier: GPL-2.0-or-later
// Errors the library reports to people: each names what was wrong and why.
#pragma once
#include <stdexcept>
#include <string>

namespace aif {

// Bad input from a user or a config file. `what()` is a message fit to show as is.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace aif
