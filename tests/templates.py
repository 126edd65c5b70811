"""Reading CloudFormation templates as CloudFormation does: their tables,
the logical ids a resource refers to, and a dependency cycle it would refuse."""

import re


def tables_of(template: dict) -> dict:
    return {k: r for k, r in template["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table"}


PSEUDO = re.compile(r"\$\{(?!AWS::|!)([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def references(node, local=frozenset()) -> set[str]:
    """The logical ids a piece of template refers to (Ref, GetAtt, Sub)."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str) and not value.startswith("AWS::"):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                found |= {name for name in PSEUDO.findall(text) if name not in variables}
                found |= references(variables)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def dependency_cycle(resources: dict) -> list[str] | None:
    """A circular dependency CloudFormation would reject, or None."""
    graph = {}
    for name, resource in resources.items():
        depends = resource.get("DependsOn", [])
        graph[name] = (references(resource) | set([depends] if isinstance(depends, str) else depends)) & set(resources)
    state = {}

    def visit(name, path):
        state[name] = "open"
        for other in sorted(graph[name]):
            if state.get(other) == "open":
                return [*path, name, other]
            if other not in state and (cycle := visit(other, [*path, name])):
                return cycle
        state[name] = "done"

    for name in sorted(graph):
        if name not in state and (cycle := visit(name, [])):
            return cycle
    return None
