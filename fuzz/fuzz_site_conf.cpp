// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the aifactory.conf parser (read by slurmctld at plugin init and on reload).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.hpp"
#include "site/site_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        aif::site::SiteConfig c = aif::site::parse_site_config(text, "aifactory.conf", "/etc/slurm");
        for (const auto& p : c.partitions) (void)c.find(p.slurm_name);
        (void)c.exempt("a", "u", "q");
    } catch (const aif::InputError&) {
    }
    (void)aif::site::default_partition_of_slurm_conf(text);
    return 0;
}
