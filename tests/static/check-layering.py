#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Static check of the core's layering (docs/design.md, "Layering").

Reads the core library's objects with nm and maps each call (an undefined
symbol of one object that another object defines) to the units of the core:
a top-level directory of src/core (base, pci, vfio, ...) or a file at its top
(world.c, tree.c, race.c). Fails when
  1. an object of base/ calls into pci/, iommu/, vfio/, mdev/, kvm/,
     devices/, machine/ or world.c (base knows no subsystem), or
  2. units call each other in a cycle that spans more than two units
     (a strongly connected component of more than two).

Usage: check-layering.py SRCDIR LIBRARY   (SRCDIR: src/core; LIBRARY: libuvfio-core.a)
"""
import collections
import os
import subprocess
import sys

FORBIDDEN_FOR_BASE = {'pci', 'iommu', 'vfio', 'mdev', 'kvm', 'devices', 'machine', 'world.c'}


def units_of_members(srcdir):
    """Object member name (meson: the source path with '/' as '_', plus .o) -> unit."""
    units = {}
    for root, _, files in os.walk(srcdir):
        for name in files:
            if name.endswith('.c'):
                rel = os.path.relpath(os.path.join(root, name), srcdir)
                parts = rel.split(os.sep)
                units[rel.replace(os.sep, '_') + '.o'] = (parts[0], rel)
    return units


def symbols(library):
    """(definitions: symbol -> member, uses: member -> set of undefined symbols)."""
    out = subprocess.run(['nm', '-A', library], capture_output=True, text=True,
                         check=True).stdout
    defs, uses = {}, collections.defaultdict(set)
    for line in out.splitlines():
        if ':' not in line:
            continue
        head, rest = line.rsplit(':', 1)
        member = os.path.basename(head.split(':')[-1])
        fields = rest.split()
        if len(fields) == 2 and fields[0] == 'U':
            uses[member].add(fields[1])
        elif len(fields) == 3 and fields[1] in 'TDBRGVW':
            defs[fields[2]] = member
    return defs, uses


def components(nodes, edges):
    """Strongly connected components (Tarjan), each a sorted list."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    srcdir, library = sys.argv[1], sys.argv[2]
    units = units_of_members(srcdir)
    defs, uses = symbols(library)
    calls = collections.defaultdict(set)  # (unit, unit) -> {"file -> symbol (file)"}
    failures = []
    for member, syms in uses.items():
        if member not in units:
            failures.append(f'object {member} has no source under {srcdir}')
            continue
        src_unit, src_file = units[member]
        for sym in syms:
            target = defs.get(sym)
            if target is None or target == member:
                continue
            dst_unit, dst_file = units[target]
            if dst_unit == src_unit:
                continue
            calls[(src_unit, dst_unit)].add(f'{src_file} -> {sym} ({dst_file})')
            if src_unit == 'base' and dst_unit in FORBIDDEN_FOR_BASE:
                failures.append(f'base/ calls up: {src_file} -> {sym} ({dst_file})')
    edges = collections.defaultdict(set)
    for a, b in calls:
        edges[a].add(b)
    nodes = {u for u, _ in units.values()}
    for comp in components(nodes, edges):
        if len(comp) > 2:
            failures.append('a call cycle spans ' + ', '.join(comp) + ':')
            for a, b in sorted(calls):
                if a in comp and b in comp:
                    example = sorted(calls[(a, b)])[0]
                    failures.append(f'    {a} -> {b}: {example}')
    for f in failures:
        print(f)
    if not uses:
        print(f'no objects read from {library}')
        return 1
    print(f'{len(units)} sources, {len(calls)} unit-to-unit call edges checked')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
