/**
 * The custom-management example (port of SQLAlchemy's
 * examples/custom_attributes/custom_management.py): its trace, its instance layout, and running
 * it as a script.
 */
import test from "ava";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { type Class, instanceState, managerOfClass, optManagerOfClass } from "../runtime/index.js";
import { ClassInstrumentationAdapter } from "../runtime/ext/index.js";
import { Author, Book, VALUES_SLOT, STATE_SLOT, ProxyModel, ProxyStorageManager, main } from "../examples/custom-management/custom-management.js";

const EXPECTED = [
  'ada.name = "ada"',
  'ada.books[0].name = "book1"',
  "ada.books = [Book(book1), Book(book2)]",
  "book2.author = Author(ada) (set by the backref)",
  "own keys of ada: _values, _state",
  "ada._values holds: name, books",
  "accessors on Author.prototype: none",
  'ada.nickname = "first"; instrumented: false; in _values: true',
  'history of ada.name: added=["ada"] unchanged=[] deleted=[]',
  "flushed ada, book1, book2",
  'history of ada.name: added=[] unchanged=["ada"] deleted=[]',
  "modified: ada=false book1=false",
  "removed ada.books[0]: ada.books = [Book(book2)], book1.author = none",
  "history of ada.books: added=[] unchanged=[Book(book2)] deleted=[Book(book1)]",
  "history of book1.author: added=[none] unchanged=[] deleted=[Author(ada)]",
  'set event: Author(ada).name "ada" -> "ada renamed"',
  'history of ada.name: added=["ada renamed"] unchanged=[] deleted=["ada"]',
  "expired ada.name; in _values: false",
  'ada.name = "ada" (loader: Author [name])',
  "deleted ada.nickname: none",
  'deleted ada.name: none; history: added=[] unchanged=[] deleted=["ada"]',
  "len(ada.books) = 1",
];

test.serial("main() returns the expected trace", (t) => {
  t.deepEqual(main(), EXPECTED);
});

test.serial("main() can run again with the same result (no listener or loader bookkeeping leaks)", (t) => {
  main();
  t.deepEqual(main(), EXPECTED);
});

test.serial("the example's classes are managed by ProxyStorageManager through the adapter", (t) => {
  t.is(Author.__sa_instrumentation_manager__, ProxyStorageManager);
  for (const cls of [Author, Book] as Class[]) {
    const manager = managerOfClass(cls);
    t.true(manager instanceof ClassInstrumentationAdapter);
    t.is(manager.factory as unknown, ProxyStorageManager);
  }
  t.is(optManagerOfClass(ProxyModel), undefined, "the base class itself is not instrumented");
});

test.serial("an instance keeps its values in _values and its state in _state", (t) => {
  const b = new Book({ name: "solo" });
  const slots = b as unknown as Record<string, unknown>;
  t.deepEqual(Reflect.ownKeys(b).sort(), [STATE_SLOT, VALUES_SLOT]);
  t.is(slots[STATE_SLOT], instanceState(b));
  t.deepEqual({ ...(slots[VALUES_SLOT] as object) }, { name: "solo" });
  t.is(instanceState(b).dict as unknown, slots[VALUES_SLOT]);
});

test.serial("running the compiled example as a script prints the trace", (t) => {
  const script = path.join(__dirname, "../examples/custom-management/custom-management.js");
  const out = execFileSync(process.execPath, [script], { encoding: "utf8" });
  const [blank, header, ...lines] = out.trimEnd().split("\n");
  t.is(blank, "");
  t.regex(header!, /^== custom instrumentation/);
  t.deepEqual(lines, EXPECTED.map((line) => `  ${line}`));
});
