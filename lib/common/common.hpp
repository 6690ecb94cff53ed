// SPDX-License-Identifier: GPL-2.0-or-later
// Public header of libaifcommon: errors, text helpers, bounded files, JSON, enum names and wire names.
// Other components include this header only; the rest of lib/common/ is its own.
#pragma once

#include "common/enum_names.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "common/wire_names.hpp"
