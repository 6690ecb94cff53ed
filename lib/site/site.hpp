// SPDX-License-Identifier: GPL-2.0-or-later
// Public header of the site policy (libaifsite): aifactory.conf, the job_submit decision, its wording and the SPANK environment contract.
// Other components include this header only; the rest of lib/site/ is its own.
#pragma once

#include "site/decide.hpp"
#include "site/gpu_request.hpp"
#include "site/runs.hpp"
#include "site/site_config.hpp"
#include "site/snapshot.hpp"
#include "site/spank_env.hpp"
#include "site/watcher.hpp"
#include "site/wording.hpp"
