/**
 * The default storage (issue 10): values in per-attribute slots on the instance, a dirty word
 * beside them, the state a non-enumerable companion made on first need, and `instanceDict` a
 * live view of the slots. What users see of it: copies, proxies, the dict view, and that the
 * setters' fast paths never skip what must be recorded.
 */
import test from "ava";
import {
  IdentityMap,
  DIRTY_ATTR,
  STATE_ATTR,
  UnmappedInstanceError,
  attributeOf,
  getHistory,
  instanceDict,
  instanceState,
  listen,
  registerAttribute,
  registerClass,
  removeListener,
} from "class-instrumentation";

const slot = (key: string): symbol => Symbol.for(`class-instrumentation.slot:${key}`);

function makeUser() {
  class User {
    declare name: string;
    declare nick: string | undefined;
    declare age: number;
  }
  registerClass(User);
  registerAttribute(User, "name");
  registerAttribute(User, "nick");
  registerAttribute(User, "age");
  return User;
}

test("values live on the instance, under the attribute's slot; no dict object", (t) => {
  const User = makeUser();
  const u = new User();
  u.name = "ada";
  const own = u as unknown as Record<symbol, unknown>;
  t.is(own[slot("name")], "ada");
  t.deepEqual(Object.keys(u), [], "no string keys on the instance");
  t.false(Object.getOwnPropertySymbols(u).includes(Symbol.for("class-instrumentation.dict")));
  t.is(own[DIRTY_ATTR], -1, "a stateless instance inherits its class's dirty word");
  t.false(Object.prototype.hasOwnProperty.call(u, DIRTY_ATTR));
  instanceState(u);
  t.true(Object.prototype.hasOwnProperty.call(u, DIRTY_ATTR), "a state gives the instance its own word");
  t.false(Object.prototype.propertyIsEnumerable.call(u, DIRTY_ATTR));
});

test("instanceDict is a live view of the slots with dict semantics", (t) => {
  const User = makeUser();
  const u = new User();
  u.name = "ada";
  const dict = instanceDict(u);
  t.true("name" in dict);
  t.false("age" in dict, "never set: absent");
  t.deepEqual(Object.keys(dict), ["name"]);
  dict.age = 36;
  t.is(u.age, 36, "a store through the view is the attribute's value");
  t.true(delete dict.name);
  t.false("name" in dict);
  t.is(u.name as unknown, undefined);
  t.deepEqual({ ...dict }, { age: 36 });
  t.deepEqual({ ...instanceDict(u) }, { ...instanceState(u).dict }, "every view shows the same values");
});

test("an explicit undefined is a loaded value; an expired one is absent", (t) => {
  const User = makeUser();
  const u = new User();
  u.nick = undefined;
  t.true("nick" in instanceDict(u));
  t.deepEqual(getHistory(u, "nick").added as unknown[], [undefined]);
  instanceState(u).commitAll();
  instanceState(u).expireAttributes(["nick"]);
  t.false("nick" in instanceDict(u));
});

test("issue 9 bug 12: spread and Object.assign carry no state", (t) => {
  const User = makeUser();
  const u = new User();
  u.name = "ada";
  const state = instanceState(u);
  state.commitAll();
  t.false(Object.prototype.propertyIsEnumerable.call(u, STATE_ATTR), "the state is not enumerable");
  for (const copy of [{ ...u }, Object.assign({}, u)]) {
    t.false(Object.getOwnPropertySymbols(copy).includes(STATE_ATTR), "no state key on the copy");
    t.deepEqual(Object.getOwnPropertySymbols(copy), [slot("name")], "only the values, under their slot keys");
    t.throws(() => instanceState(copy), { instanceOf: UnmappedInstanceError });
    t.deepEqual(Object.keys(copy), []);
    t.is(JSON.stringify(copy), "{}");
  }
  t.is(instanceState(u), state, "the instance keeps its state");
});

test("an object inheriting from an instance does not write into the instance's record", (t) => {
  const User = makeUser();
  const u = new User();
  u.name = "ada";
  instanceState(u).commitAll();
  const child = Object.create(u) as InstanceType<typeof User>;
  child.name = "bob";
  t.is(u.name, "ada", "the instance's value is untouched");
  t.false(instanceState(u).modified, "and its state records no change");
});

test("a listener added after an attribute was modified still sees every later write", (t) => {
  const User = makeUser();
  const u = new User();
  u.name = "a";
  instanceState(u).commitAll();
  u.name = "b"; // recorded: later writes take the store-only path
  const seen: unknown[] = [];
  const fn = (_target: object, value: unknown) => void seen.push(value);
  listen(attributeOf(User, "name"), "set", fn);
  u.name = "c";
  u.name = "d";
  t.deepEqual(seen, ["c", "d"]);
  removeListener(attributeOf(User, "name"), "set", fn);
  u.name = "e";
  t.deepEqual(seen, ["c", "d"]);
  t.deepEqual(getHistory(u, "name").added, ["e"]);
  t.deepEqual(getHistory(u, "name").deleted, ["a"]);
});

test("the first write after a commit, through a Proxy of the instance, is tracked on the instance", (t) => {
  const User = makeUser();
  const map = new IdentityMap<InstanceType<typeof User>>();
  const u = new User();
  u.name = "ada";
  map.add(u);
  map.commitAll();
  const p = new Proxy(u, {});
  p.name = "eve";
  t.is(u.name, "eve");
  t.deepEqual(getHistory(u, "name").deleted, ["ada"]);
  const states = [...map.modifiedStates()];
  t.is(states.length, 1);
  t.is(states[0]!.obj(), u, "the state's object is the instance, not the proxy");
  t.is(instanceState(p), instanceState(u));
});

test("first writes after each commit record the committed value once, cycle after cycle", (t) => {
  const User = makeUser();
  const map = new IdentityMap<InstanceType<typeof User>>();
  const u = new User();
  u.name = "v0";
  u.age = 0;
  map.add(u);
  for (let cycle = 1; cycle <= 3; cycle++) {
    map.commitAll();
    u.name = `v${cycle}`;
    u.name = `v${cycle}b`;
    u.age = cycle;
    const changes = [...map.changes()];
    t.is(changes.length, 1);
    t.deepEqual(changes[0]!.values, ["name", "age"]);
    t.deepEqual(getHistory(u, "name").deleted, [`v${cycle - 1}${cycle === 1 ? "" : "b"}`]);
    t.deepEqual([...instanceState(u).committedState.keys()], ["name", "age"]);
  }
});

test("a state attached to a new instance brings its recorded changes along (newInstance)", (t) => {
  const User = makeUser();
  const u = new User();
  u.name = "ada";
  const manager = instanceState(u).manager;
  const v = manager.newInstance();
  v.name = "eve";
  t.deepEqual(getHistory(v, "name").added, ["eve"]);
  instanceState(v).commitAll();
  v.name = "zoe";
  t.deepEqual(getHistory(v, "name").deleted, ["eve"]);
});
