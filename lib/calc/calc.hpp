// SPDX-License-Identifier: GPL-2.0-or-later
// Public header of the calculator (libaifcalc): model and hardware catalogues, the estimate, the sbatch-time check, the --where search and validation.
// Other components include this header only; the rest of lib/calc/ is its own.
#pragma once

#include "calc/arch_spec.hpp"
#include "calc/check.hpp"
#include "calc/estimate.hpp"
#include "calc/hardware.hpp"
#include "calc/hf_config.hpp"
#include "calc/job.hpp"
#include "calc/model.hpp"
#include "calc/models.hpp"
#include "calc/search.hpp"
#include "calc/training.hpp"
#include "calc/validation.hpp"
