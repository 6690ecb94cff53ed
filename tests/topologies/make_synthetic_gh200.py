#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes synthetic_gh200.xml: a SYNTHETIC hwloc 2.x XML of a 4x GH200 node (CSCS Alps-like).

No public GH200 XML with PCI devices exists (pinning.md §5.3), so this one is built from the
published facts (pinning.md §4.2): 4 Grace CPUs of 72 cores (SMT off), CPU NUMA nodes 0-3,
GPU i local to cores 72i..72i+71, one Slingshot NIC per module, and the GPU HBM seen as
memory-only NUMA nodes 4-35 (8 per GPU, as hwloc >= 2.11 shows them) that hwloc hangs off the
package, so they carry the package's cpuset. PCI ids are made up but plausible.
Run: python3 make_synthetic_gh200.py > synthetic_gh200.xml
"""

CORES, PKGS, GPU_NODES = 72, 4, 8
TOTAL = CORES * PKGS
NODES = PKGS + PKGS * GPU_NODES


def bitmap(bits):
    words = [0] * ((max(bits, default=0) // 32) + 1)
    for b in bits:
        words[b // 32] |= 1 << (b % 32)
    return ",".join("0x%08x" % w for w in reversed(words))


gp = [0]


def gpi():
    gp[0] += 1
    return gp[0]


def sets(cpus, nodes):
    c, n = bitmap(cpus), bitmap(nodes)
    return f'cpuset="{c}" complete_cpuset="{c}" nodeset="{n}" complete_nodeset="{n}"'


out = ['<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE topology SYSTEM "hwloc2.dtd">',
       '<topology version="2.0">']
all_cpus, all_nodes = range(TOTAL), range(NODES)
out.append(f'  <object type="Machine" os_index="0" {sets(all_cpus, all_nodes)} '
           f'allowed_cpuset="{bitmap(all_cpus)}" allowed_nodeset="{bitmap(all_nodes)}" gp_index="{gpi()}">')
out.append('    <info name="Backend" value="Linux"/>')
out.append('    <info name="SyntheticNote" value="SYNTHETIC 4x GH200 node built from published facts; '
           'not captured on hardware (tests/topologies/make_synthetic_gh200.py)"/>')
for p in range(PKGS):
    cpus = range(CORES * p, CORES * (p + 1))
    gpu_nodes = [PKGS + GPU_NODES * p + k for k in range(GPU_NODES)]
    nodes = [p] + gpu_nodes
    out.append(f'    <object type="Package" os_index="{p}" {sets(cpus, nodes)} gp_index="{gpi()}">')
    out.append('      <info name="CPUModel" value="Neoverse-V2 (synthetic)"/>')
    out.append(f'      <object type="NUMANode" os_index="{p}" {sets(cpus, [p])} gp_index="{gpi()}" '
               f'local_memory="128849018880"/>')
    for g in gpu_nodes:
        out.append(f'      <object type="NUMANode" os_index="{g}" subtype="GPUMemory" {sets(cpus, [g])} '
                   f'gp_index="{gpi()}" local_memory="12079595520"/>')
    for c in cpus:
        out.append(f'      <object type="Core" os_index="{c}" {sets([c], nodes)} gp_index="{gpi()}">')
        out.append(f'        <object type="PU" os_index="{c}" {sets([c], nodes)} gp_index="{gpi()}"/>')
        out.append('      </object>')
    dom = 0x9 + 8 * p
    out.append(f'      <object type="Bridge" gp_index="{gpi()}" bridge_type="0-1" depth="0" '
               f'bridge_pci="{dom:04x}:[01-02]">')
    out.append(f'        <object type="PCIDev" gp_index="{gpi()}" pci_busid="{dom:04x}:01:00.0" '
               f'pci_type="0302 [10de:2342] [10de:16eb] a1" pci_link_speed="0.000000">')
    out.append(f'          <object type="OSDev" gp_index="{gpi()}" name="nvml{p}" subtype="NVML" osdev_type="1">')
    out.append(f'            <info name="NVIDIAUUID" value="GPU-00000000-0000-0000-0000-00000000000{p}"/>')
    out.append('          </object>')
    out.append(f'          <object type="OSDev" gp_index="{gpi()}" name="cuda{p}" subtype="CUDA" osdev_type="5"/>')
    out.append('        </object>')
    out.append(f'        <object type="PCIDev" gp_index="{gpi()}" pci_busid="{dom:04x}:02:00.0" '
               f'pci_type="0200 [17db:0501] [17db:0000] 02" pci_link_speed="0.000000">')
    out.append(f'          <object type="OSDev" gp_index="{gpi()}" name="hsi{p}" subtype="Slingshot" osdev_type="2"/>')
    out.append('        </object>')
    out.append('      </object>')
    out.append('    </object>')
out.append('  </object>')
out.append('</topology>')
print("\n".join(out))
