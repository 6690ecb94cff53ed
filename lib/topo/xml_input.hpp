// SPDX-License-Identifier: GPL-2.0-or-later
// Topology XML as input: read bounded, checked well-formed, and tried in a contained child
// before hwloc parses it in the calling process (slurmstepd, the CLI). See docs/security.md.
#pragma once
#ifdef AIF_PLUGIN
#error "xml_input.hpp is internal to lib/topo: include topo/topo.hpp"
#endif
#include <cstddef>
#include <functional>
#include <string>

namespace aif::topo {

// Largest topology XML accepted. Real nodes export 0.1-0.5 MB (a 4-socket, 8-GPU node with
// every I/O object is under 1 MB); 16 MiB leaves room and bounds memory and parse time.
constexpr std::size_t max_topology_xml_bytes = std::size_t{16} << 20;

// The whole of a regular file of at most max_topology_xml_bytes. Never blocks (FIFOs, devices
// are refused without reading). Throws InputError starting with the path:
// "t.xml: not a regular file", "t.xml: 17.0 MiB is over the 16 MiB limit".
std::string read_topology_file(const std::string& path);

// Throws InputError "<origin>: is not valid XML (line N: reason)" unless `xml` is well-formed
// XML within the size limit and without NUL bytes (libxml2's reader: no network, no DTD, no
// entity expansion).
void check_well_formed_xml(const std::string& xml, const std::string& origin);

// Runs `fn` in a forked child under a CPU-time, wall-time and address-space limit. Returns ""
// when fn returned "" and the child exited normally, else what went wrong (fn's own message,
// "crashed (signal 11)", "took longer than 10 s"). Bounded and never throws past its caller's
// catch: the caller turns a non-empty answer into an InputError.
std::string run_contained(const std::function<std::string()>& fn, int seconds = 10);

}  // namespace aif::topo
