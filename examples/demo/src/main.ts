/**
 * A readable trace of what instrumentation records: construction events, history, dirty
 * tracking through an identity map, attribute and collection events, expiry and reload.
 *
 *   npm run demo
 */
import { attributeOf, getHistory, IdentityMap, instanceDict, instanceState, listen } from "class-instrumentation";
import { Customer, database, LineItem, Order, RushOrder, Tag } from "./models";

function section(title: string): void {
  console.log(`\n== ${title}`);
}
function history(obj: object, key: string): string {
  const h = getHistory(obj, key);
  const show = (values: readonly unknown[]): string => JSON.stringify(values.map((v) => (v instanceof LineItem ? v.product : v instanceof Tag ? v.label : v)));
  return `${key}: added=${show(h.added)} unchanged=${show(h.unchanged)} deleted=${show(h.deleted)}`;
}

section("construction: init fires once, before any field initializer, with the arguments given to new");
listen(Order, "init", (order, args) => console.log(`  init ${order.constructor.name}${JSON.stringify(args)} (no field set yet: ${Object.keys(instanceDict(order)).length === 0})`), { propagate: true });
const ada = new Customer(1, "Ada");
const order = new Order(100);
const rush = new RushOrder(101);
console.log(`  rush order is mapped with its own attribute: ${JSON.stringify(rush)}`);
console.log(`  no own data properties: Object.keys(order) = ${JSON.stringify(Object.keys(order))}`);

section("history of new objects: every value is a pending addition");
console.log(`  ${history(ada, "name")}`);

section("commit, then change: history shows old and new values");
const session = new IdentityMap();
for (const obj of [ada, order, rush]) session.add(obj);
session.commitAll();
ada.name = "Ada Lovelace";
ada.email = "ada@example.com";
console.log(`  ${history(ada, "name")}`);
console.log(`  ${history(ada, "email")}`);
console.log(`  modified objects: ${[...session.modifiedStates()].map((s) => s.class_.name).join(", ")}`);

section("attribute events");
listen(attributeOf(Order, "status"), "set", (o, value, old) => console.log(`  set Order#${o.id}.status: ${String(old)} -> ${String(value)}`));
listen(attributeOf(Order, "lines"), "append", (o, line) => console.log(`  append to Order#${o.id}.lines: ${line.product}`));
listen(attributeOf(Order, "lines"), "remove", (o, line) => console.log(`  remove from Order#${o.id}.lines: ${line.product}`));
order.status = "placed";
order.customer = ada;

section("collections: list mutations are tracked (push, index assignment, splice)");
const pen = new LineItem("pen", 2, 3);
const ink = new LineItem("ink", 5);
order.lines.push(pen, ink);
order.lines[1] = new LineItem("paper", 4, 2);
order.lines.splice(0, 1);
console.log(`  ${history(order, "lines")}; total = ${order.total}`);
ada.tags.add(new Tag("vip"));
console.log(`  ${history(ada, "tags")}`);

section("flush: commit every modified object (cost proportional to what changed)");
for (const { obj, state } of session.changes()) {
  const id = (obj as { id: number }).id;
  state.key ??= `${state.class_.name}#${id}`; // the identity a loader finds the row by
  database.set(String(state.key), { ...JSON.parse(JSON.stringify(obj)) });
  console.log(`  saved ${String(state.key)}: ${JSON.stringify(obj)}`);
}
session.commitAll();
console.log(`  modified after commit: ${[...session.modifiedStates()].length}`);

section("expiry: expired attributes reload on first read");
database.set("Customer#1", { ...database.get("Customer#1"), name: "Countess Lovelace" });
instanceState(ada).expireAttributes(["name", "email"]);
console.log(`  loaded before read: ${JSON.stringify(ada)}`);
console.log(`  ada.name = ${ada.name}`);
console.log(`  ${history(ada, "name")}`);
instanceState(ada).expire(); // everything, id and the tags collection included
console.log(`  after expire(): ada.id = ${ada.id}, tags = ${ada.tags.size}`);

section("rollback: put the committed values back");
ada.name = "typo";
ada.tags.clear();
console.log(`  changed: ${JSON.stringify(instanceState(ada).changedKeys())}`);
session.rollbackAll();
console.log(`  after rollbackAll: name = ${ada.name}, tags = ${ada.tags.size}, modified = ${instanceState(ada).modified}`);

section("inspection: util.inspect and JSON show the loaded attributes");
console.log(" ", order);
console.log(`  JSON: ${JSON.stringify(ada)} (the @transient field is an ordinary property)`);
