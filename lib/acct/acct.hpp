// SPDX-License-Identifier: GPL-2.0-or-later
// Public header of accounting (libaifacct, libaifsender): plugin hooks, the outbox, its producer and the sender.
// Other components include this header only; the rest of lib/acct/ is its own.
#pragma once

#include "acct/config.hpp"
#include "acct/hooks.hpp"
#include "acct/outbox.hpp"
#include "acct/producer.hpp"
#include "acct/sender.hpp"
