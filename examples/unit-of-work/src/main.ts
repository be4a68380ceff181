/**
 * A walkthrough of the unit of work over an in-memory SQLite database, printing every SQL
 * statement the session runs.
 *
 *   npm run demo
 */
import Database from "better-sqlite3";
import { ExpiredAttributeError, getHistory, listen, loadExpired } from "class-instrumentation";
import { Post, SCHEMA, User } from "./models";
import { Session, type ExecutedStatement } from "./session";

function section(title: string): void {
  console.log(`\n== ${title}`);
}

const db = new Database(":memory:");
db.exec(SCHEMA);

/** Prints each statement of the session named `name`. */
function printSql(name: string): (statement: ExecutedStatement) => void {
  return ({ sql, params }) => console.log(`  ${name}> ${sql}${params.length > 0 ? `  ${JSON.stringify(params)}` : ""}`);
}

const session = new Session(db, { onStatement: printSql("s1") });
listen(User, "load", (user) => console.log(`  load event: User#${user.id}`));

section("add + commit: INSERTs in one transaction, parents before children");
const ada = new User("Ada", "ada@example.com");
ada.bio = "Wrote the first program.";
ada.posts.push(new Post("Notes on the Analytical Engine"), new Post("Bernoulli numbers"));
session.add(ada);
session.commit();

section("a second session: query builds instances, fires load; the deferred bio is not selected");
const s2 = new Session(db, { onStatement: printSql("s2") });
const [user] = s2.query(User, "name = ?", "Ada");
if (user === undefined) throw new Error("Ada was not saved");
const adaId = user.id;
console.log(`  same object on get: ${s2.get(User, adaId) === user}`);
console.log(`  bio (deferred, loads now): ${user.bio}`);

section("flush writes only the columns whose history has changes");
user.email = "ada@lovelace.org";
user.name = "Ada"; // a same-value write: no history, nothing written
console.log(`  email history: ${JSON.stringify(getHistory(user, "email"))}`);
console.log(`  changes: ${JSON.stringify([...s2.changes()].map((c) => ({ values: c.values, collections: c.collections })))}`);
s2.flush();

section("change and change back: nothing to write");
user.email = "someone@else.org";
user.email = "ada@lovelace.org";
s2.flush();
console.log("  (no UPDATE)");

section("one-to-many through the collection history: posts load lazily, moves become FK updates");
const grace = new User("Grace", "grace@example.com");
s2.add(grace);
const [first] = user.posts;
if (first === undefined) throw new Error("no posts");
grace.posts.push(first); // the backref removes it from Ada's posts and sets first.author
console.log(`  Ada has ${user.posts.length} post(s), Grace has ${grace.posts.length}; first.author = ${first.author?.name}`);
s2.flush();

section("commit expires everything; the next read reloads through the expiredAttributeLoader");
s2.commit();
console.log(`  user.name = ${user.name}`);

section("rollback restores the committed values of unflushed changes (no SQL)");
user.name = "Lady Lovelace";
s2.rollback();
console.log(`  after rollback: user.name = ${user.name}`);

section("delete");
s2.delete(grace);
s2.commit();
console.log(`  first.author after commit = ${String(first.author)}`);

section("an asynchronous loader: await loadExpired(obj) before reading expired attributes");
const s3 = new Session(db, { loading: "async", onStatement: printSql("s3") });
const [again] = s3.query(User, "id = ?", adaId);
if (again === undefined) throw new Error("Ada is gone");
again.name = "Augusta Ada King";
s3.commit();
try {
  console.log(again.name);
} catch (error) {
  if (!(error instanceof ExpiredAttributeError)) throw error;
  console.log(`  a synchronous read: ${error.message}`);
}
void loadExpired(again).then(() => console.log(`  after await loadExpired: name = ${again.name}`));
