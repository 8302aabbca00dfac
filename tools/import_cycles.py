"""Print every import cycle among the project's modules (strongly connected components of grimp's graph).

Exit status 1 when there is one. Counts imports inside functions too: a cycle hidden in a function is still one.
"""
from __future__ import annotations

import sys

import grimp

PACKAGES = ("incident_desk", "webhook_app", "handlers", "checks", "issue_templates", "worker", "incidents",
            "forges", "chat", "alerts", "store")


def imports_of(graph, module: str) -> set[str]:
    """What `module` imports, plus the packages whose `__init__` that runs when it comes from another package
    (grimp reads `from handlers import router` as `handlers.router`; Python runs `handlers/__init__.py`)."""
    direct = set(graph.find_modules_directly_imported_by(module))
    top = module.split(".")[0]
    for imported in list(direct):
        parts = imported.split(".")
        if parts[0] != top:
            direct.update(".".join(parts[:n]) for n in range(1, len(parts)) if ".".join(parts[:n]) in graph.modules)
    return direct


def cycles(graph) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(module: str) -> None:
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for imported in imports_of(graph, module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def main() -> int:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    found = cycles(graph)
    for component in found:
        print(f"cycle of {len(component)} modules: {', '.join(component)}")
    print(f"{len(graph.modules)} modules, {len(found)} import cycle(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
