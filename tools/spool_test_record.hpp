// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
#include <cstdint>
#include <string>

namespace aif::cli {

// Writes one synthetic step-end record (step "test", this host, this uid, the last minute) with
// the producer configured in acct.conf (`acct_config`, empty: $AIFACTORY_ACCT_CONF or the
// default) for `cluster` (empty: acct.conf's) and prints its id. Throws std::runtime_error
// saying why nothing was written.
int write_test_record(const std::string& acct_config, const std::string& cluster, std::uint32_t job_id);

}  // namespace aif::cli
