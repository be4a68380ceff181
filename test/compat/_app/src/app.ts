import { getHistory, instanceState, managerOfClass } from "class-instrumentation";
import { Node } from "./models";

/** What the compat test checks; `transformed` tells the build-time path from the runtime path. */
export function run(): Record<string, unknown> {
  const keysBefore = [...managerOfClass(Node)].map(([key]) => key);
  const root = new Node("root");
  instanceState(root).commitAll();
  root.label = "renamed";
  root.children.push(new Node("leaf"));
  const leaf = root.children[0]!;
  return {
    transformed: keysBefore.includes("label"),
    keysBefore,
    own: Object.keys(root),
    label: getHistory(root, "label"),
    childrenAdded: getHistory(root, "children").added.map((n) => (n as Node).label),
    describe: root.describe(),
    json: JSON.parse(JSON.stringify(leaf)) as unknown,
  };
}
