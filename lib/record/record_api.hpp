// SPDX-License-Identifier: GPL-2.0-or-later
// Public header of the record schema (libaifrecord): the typed record, the prediction, hashes and the schema.
// Other components include this header only; the rest of lib/record/ is its own.
#pragma once

#include "record/hash.hpp"
#include "record/prediction.hpp"
#include "record/record.hpp"
#include "record/schema.hpp"
