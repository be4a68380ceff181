/**
 * Custom instrumentation management — a TypeScript port of SQLAlchemy's
 * `examples/custom_attributes/custom_management.py`.
 *
 * The classes here choose their own instrumentation through the static
 * `__sa_instrumentation_manager__` member (read by `class-instrumentation/ext`):
 *
 * - `ProxyStorageManager`, the user manager, installs no accessors on the classes at all. Attribute
 *   values live in the instance's own `_values` object and the instance state in its own
 *   `_state` slot, instead of the runtime's hidden defaults.
 * - `ProxyModel`, the base class, makes every instance a Proxy that routes property access: a key
 *   the class instruments goes through `getAttribute` / `setAttribute` / `delAttribute` (so
 *   history, events, backrefs and loaders all work), any other key is stored in `_values`
 *   untracked. This is what SQLAlchemy's `__getattr__` / `__setattr__` / `__delattr__` do; a
 *   Proxy also catches `delete obj.key`, which an accessor cannot.
 *
 * `Author` has a collection `books` of `Book`s, mirrored by the backref `Book.author` (SQLAlchemy's
 * example calls them `A`, `B`, `bs` and `a`). Instead of a database, a small in-memory "store"
 * plays the part of the Session: `flush()` snapshots the loaded values and commits the states,
 * and the classes' `expiredAttributeLoader` reads expired values back.
 *
 * Run it with `node build/examples/custom-management/custom-management.js` after
 * `npm run build:test`; `main()` returns the trace it prints.
 */
import {
  type Class,
  type History,
  type InstanceState,
  attributeOf,
  delAttribute,
  getAttribute,
  getHistory,
  instanceDict,
  instanceState,
  isInstrumented,
  listen,
  managerOfClass,
  optManagerOfClass,
  registerAttribute,
  registerClass,
  removeListener,
  setAttribute,
} from "../../runtime/index.js";
import { InstrumentationManager } from "../../runtime/ext/index.js";

/** Where `ProxyStorageManager` keeps an instance's attribute values. */
export const VALUES_SLOT = "_values";
/** Where `ProxyStorageManager` keeps an instance's state. */
export const STATE_SLOT = "_state";

type Slots = { [VALUES_SLOT]?: Record<PropertyKey, unknown>; [STATE_SLOT]?: InstanceState };

function defineSlot(instance: object, key: string, value: unknown): void {
  // Defined, not assigned: on a ProxyModel instance an assignment would go through the Proxy's
  // `set` trap, as `instance.__dict__[...] = ...` bypasses `__setattr__` in Python.
  Object.defineProperty(instance, key, { value, writable: true, configurable: true, enumerable: true });
}

/** The user-defined instrumentation: no accessors, values in `_values`, state in `_state`. */
export class ProxyStorageManager extends InstrumentationManager {
  override instrumentAttribute(): void {}

  override installDescriptor(): void {}

  override uninstallDescriptor(): void {}

  override getInstanceDict(_cls: Class, instance: object): Record<string, unknown> {
    return (instance as Slots)[VALUES_SLOT] as Record<string, unknown>;
  }

  override initializeInstanceDict(_cls: Class, instance: object): void {
    defineSlot(instance, VALUES_SLOT, {});
  }

  override installState(_cls: Class, instance: object, state: InstanceState): void {
    defineSlot(instance, STATE_SLOT, state);
  }

  override removeState(_cls: Class, instance: object): void {
    delete (instance as Slots)[STATE_SLOT];
  }

  override stateGetter(): (instance: object) => InstanceState | undefined {
    return (instance) => (instance as Slots)[STATE_SLOT];
  }
}

/** Whether property `key` of `obj` is an attribute its class instruments. */
function instrumentedKey(obj: object, key: PropertyKey): key is string {
  if (typeof key !== "string") return false;
  const cls = (Object.getPrototypeOf(obj) as { constructor?: Class } | null)?.constructor;
  return cls !== undefined && optManagerOfClass(cls) !== undefined && isInstrumented(obj, key);
}

/** Base class of the custom-managed classes; `new Sub({ key: value })` assigns through the Proxy. */
export class ProxyModel {
  static readonly __sa_instrumentation_manager__ = ProxyStorageManager;

  constructor(init: Record<string, unknown> = {}) {
    const self: this = new Proxy(this, {
      get(target, key, receiver) {
        // Python's __getattr__ only runs when normal lookup fails: own slots and methods first.
        if (key in target) return Reflect.get(target, key, receiver);
        if (instrumentedKey(receiver, key)) return getAttribute(receiver, key);
        return (target as Slots)[VALUES_SLOT]?.[key];
      },
      set(target, key, value, receiver) {
        if (instrumentedKey(receiver, key)) {
          setAttribute(receiver, key, value);
          return true;
        }
        if (optManagerOfClass((target as object).constructor as Class) === undefined) {
          return Reflect.set(target, key, value, receiver);
        }
        instanceState(receiver); // creates the state and _values on first use
        (target as Slots)[VALUES_SLOT]![key] = value;
        return true;
      },
      deleteProperty(target, key) {
        if (instrumentedKey(self, key)) {
          delAttribute(self as object, key);
          return true;
        }
        const dict = (target as Slots)[VALUES_SLOT];
        if (dict !== undefined && key in dict) return delete dict[key];
        return Reflect.deleteProperty(target, key);
      },
    });
    for (const key of Object.keys(init)) (self as Record<string, unknown>)[key] = init[key];
    return self;
  }
}

/** Has a collection of `Book`s. */
export class Author extends ProxyModel {
  declare name: string;
  declare books: Book[];
  declare nickname: string | undefined;
}

/** Belongs to an `Author` through the backref `author`. */
export class Book extends ProxyModel {
  declare name: string;
  declare author: Author | undefined;
}

// ---------------------------------------------------------------------------------------------
// the in-memory "store" standing in for a database session
// ---------------------------------------------------------------------------------------------

const rows = new WeakMap<object, Record<string, unknown>>();
const loads: string[] = [];

/** Reads expired attributes back from the store. */
function loadFromStore(state: InstanceState, keys: ReadonlySet<string>): void {
  const row = rows.get(state.obj() ?? {}) ?? {};
  loads.push(`${state.class_.name} [${[...keys].join(", ")}]`);
  for (const key of keys) state.dict[key] = row[key];
}

/** Saves the loaded scalar values of each object and commits its state. */
function flush(...objects: object[]): void {
  for (const obj of objects) {
    const dict = instanceDict(obj);
    const row: Record<string, unknown> = {};
    for (const [key, attr] of managerOfClass(instanceState(obj).class_)) {
      if (!attr.impl?.collection && key in dict) row[key] = dict[key];
    }
    rows.set(obj, row);
    instanceState(obj).commitAll();
  }
}

registerClass(Author, { expiredAttributeLoader: loadFromStore });
registerClass(Book, { expiredAttributeLoader: loadFromStore });
registerAttribute(Author, "name");
registerAttribute(Author, "books", { kind: "collection", backref: "author", trackParent: true });
registerAttribute(Book, "name");
registerAttribute(Book, "author", { kind: "object", backref: "books", trackParent: true });

// ---------------------------------------------------------------------------------------------
// the walkthrough
// ---------------------------------------------------------------------------------------------

function show(value: unknown): string {
  if (value === undefined || value === null) return "none";
  if (value instanceof ProxyModel) return `${value.constructor.name}(${(value as { name: string }).name})`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && Symbol.iterator in value) return `[${[...(value as Iterable<unknown>)].map(show).join(", ")}]`;
  return String(value);
}

function showHistory(h: History): string {
  return `added=${show(h.added)} unchanged=${show(h.unchanged)} deleted=${show(h.deleted)}`;
}

/** Runs the example and returns its trace. */
export function main(): string[] {
  const trace: string[] = [];
  const log = (line: string) => void trace.push(line);
  loads.length = 0;

  const ada = new Author({ name: "ada", books: [new Book({ name: "book1" }), new Book({ name: "book2" })] });
  const [book1, book2] = ada.books as [Book, Book];
  log(`ada.name = ${show(ada.name)}`);
  log(`ada.books[0].name = ${show(ada.books[0]!.name)}`);
  log(`ada.books = ${show(ada.books)}`);
  log(`book2.author = ${show(book2.author)} (set by the backref)`);
  log(`own keys of ada: ${Reflect.ownKeys(ada).map(String).join(", ")}`);
  log(`ada._values holds: ${Object.keys((ada as Slots)[VALUES_SLOT]!).join(", ")}`);
  const accessors = Object.getOwnPropertyNames(Author.prototype).filter((k) => k !== "constructor");
  log(`accessors on Author.prototype: ${accessors.length === 0 ? "none" : accessors.join(", ")}`);

  ada.nickname = "first";
  log(`ada.nickname = ${show(ada.nickname)}; instrumented: ${isInstrumented(ada, "nickname")}; in _values: ${"nickname" in (ada as Slots)[VALUES_SLOT]!}`);
  log(`history of ada.name: ${showHistory(getHistory(ada, "name"))}`);

  flush(ada, book1, book2);
  log("flushed ada, book1, book2");
  log(`history of ada.name: ${showHistory(getHistory(ada, "name"))}`);
  log(`modified: ada=${instanceState(ada).modified} book1=${instanceState(book1).modified}`);

  (ada.books as unknown as { remove(item: Book): void }).remove(ada.books[0]!);
  log(`removed ada.books[0]: ada.books = ${show(ada.books)}, book1.author = ${show(book1.author)}`);
  log(`history of ada.books: ${showHistory(getHistory(ada, "books"))}`);
  log(`history of book1.author: ${showHistory(getHistory(book1, "author"))}`);

  const nameAttr = attributeOf(Author, "name");
  const onSet = (target: Author, value: string, oldValue: unknown) =>
    void log(`set event: ${show(target)}.name ${show(oldValue)} -> ${show(value)}`);
  listen(nameAttr, "set", onSet);
  try {
    ada.name = "ada renamed";
  } finally {
    removeListener(nameAttr, "set", onSet);
  }
  log(`history of ada.name: ${showHistory(getHistory(ada, "name"))}`);

  instanceState(ada).expireAttributes(["name"]);
  log(`expired ada.name; in _values: ${"name" in (ada as Slots)[VALUES_SLOT]!}`);
  log(`ada.name = ${show(ada.name)} (loader: ${loads.join("; ")})`);

  delete (ada as { nickname?: string }).nickname;
  log(`deleted ada.nickname: ${show(ada.nickname)}`);
  delete (ada as { name?: string }).name;
  log(`deleted ada.name: ${show(ada.name)}; history: ${showHistory(getHistory(ada, "name"))}`);

  log(`len(ada.books) = ${ada.books.length}`);
  return trace;
}

if (require.main === module) {
  console.log("\n== custom instrumentation (class-instrumentation/ext): values and state kept in the instance's own slots");
  for (const line of main()) console.log(`  ${line}`);
}
