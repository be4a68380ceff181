// The unit-of-work subjects. Each one loads every row of the same SQLite table into objects,
// changes 2 columns of 1% of them, finds the changes, and writes them in one transaction:
//
//   session  the example Session (examples/unit-of-work) over class-instrumentation
//   mikroorm MikroORM 6 (EntitySchema, @mikro-orm/better-sqlite): snapshot comparison at flush
//   hand     plain objects and a dirty list the application keeps itself (the lower bound)
//
// All three use better-sqlite3 (the one installed in bench/node_modules) on the same database file.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const COLUMNS = ["s1", "s2", "s3", "s4", "i1", "i2", "d1", "d2"];

/**
 * Changes 2 columns of every 100th row. `stamp` is unique per (round, subject), so every run
 * writes values the table does not hold yet (the subjects share the table).
 */
export function modify(rows, stamp, set) {
  for (let i = 0, k = 0; i < rows.length; i += 100, k++) {
    set(rows[i], "s1", `changed-${stamp}-${k}`);
    set(rows[i], "i1", -(stamp * 1_000_000 + k));
  }
}

/** @param {string} rowsModule compiled bench/uow/rows.ts */
export function sessionSubject(rowsModule) {
  const { Row, Session } = require(rowsModule);
  const Database = require("better-sqlite3");
  return {
    id: "session",
    label: "example Session (class-instrumentation)",
    async open(file) {
      const db = new Database(file);
      return { db, session: new Session(db, { expireOnCommit: false }) };
    },
    async load(ctx) {
      ctx.rows = ctx.session.query(Row);
      return ctx.rows.length;
    },
    modify(ctx, stamp) {
      modify(ctx.rows, stamp, (row, key, value) => {
        row[key] = value;
      });
    },
    detect(ctx) {
      let n = 0;
      for (const change of ctx.session.changes()) n += change.values.length;
      return n;
    },
    async flush(ctx) {
      ctx.session.commit();
    },
    async close(ctx) {
      ctx.session.close();
      ctx.db.close();
    },
  };
}

export async function mikroSubject() {
  const { MikroORM, EntitySchema } = await import("@mikro-orm/core");
  const { BetterSqliteDriver } = await import("@mikro-orm/better-sqlite");
  class MikroRow {}
  const properties = { id: { type: "number", primary: true } };
  for (const c of COLUMNS) properties[c] = { type: c.startsWith("s") ? "string" : c.startsWith("i") ? "integer" : "double" };
  const schema = new EntitySchema({ class: MikroRow, tableName: "rows", properties });
  let orm;
  return {
    id: "mikroorm",
    label: "MikroORM 6 (EntitySchema, better-sqlite)",
    async open(file) {
      orm ??= await MikroORM.init({ driver: BetterSqliteDriver, dbName: file, entities: [schema], debug: false, allowGlobalContext: false });
      return { em: orm.em.fork() };
    },
    async load(ctx) {
      ctx.rows = await ctx.em.find(MikroRow, {});
      return ctx.rows.length;
    },
    modify(ctx, stamp) {
      modify(ctx.rows, stamp, (row, key, value) => {
        row[key] = value;
      });
    },
    detect(ctx) {
      const uow = ctx.em.getUnitOfWork();
      uow.computeChangeSets();
      let n = 0;
      for (const cs of uow.getChangeSets()) n += Object.keys(cs.payload).length;
      return n;
    },
    async flush(ctx) {
      await ctx.em.flush();
    },
    async close(ctx) {
      ctx.em.clear();
    },
    async dispose() {
      await orm?.close(true);
      orm = undefined;
    },
  };
}

export function handSubject() {
  const Database = require("better-sqlite3");
  return {
    id: "hand",
    label: "plain objects + hand-kept dirty list",
    async open(file) {
      const db = new Database(file);
      return { db, statements: new Map(), dirty: new Map() };
    },
    async load(ctx) {
      ctx.rows = ctx.db.prepare(`SELECT id, ${COLUMNS.join(", ")} FROM rows`).all();
      ctx.byId = new Map();
      for (const row of ctx.rows) ctx.byId.set(row.id, row);
      return ctx.rows.length;
    },
    modify(ctx, stamp) {
      modify(ctx.rows, stamp, (row, key, value) => {
        if (row[key] === value) return;
        row[key] = value;
        let keys = ctx.dirty.get(row);
        if (keys === undefined) ctx.dirty.set(row, (keys = new Set()));
        keys.add(key);
      });
    },
    detect(ctx) {
      let n = 0;
      for (const keys of ctx.dirty.values()) n += keys.size;
      return n;
    },
    async flush(ctx) {
      ctx.db.exec("BEGIN");
      for (const [row, keys] of ctx.dirty) {
        const names = [...keys];
        const sql = `UPDATE rows SET ${names.map((n) => `${n} = ?`).join(", ")} WHERE id = ?`;
        let statement = ctx.statements.get(sql);
        if (statement === undefined) ctx.statements.set(sql, (statement = ctx.db.prepare(sql)));
        statement.run(...names.map((n) => row[n]), row.id);
      }
      ctx.db.exec("COMMIT");
      ctx.dirty.clear();
    },
    async close(ctx) {
      ctx.db.close();
    },
  };
}

/** Creates the table with `n` rows (4 strings from a pool, 2 integers, 2 doubles). */
export function seed(file, n) {
  const Database = require("better-sqlite3");
  const db = new Database(file);
  db.exec("DROP TABLE IF EXISTS rows");
  db.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, s1 TEXT, s2 TEXT, s3 TEXT, s4 TEXT, i1 INTEGER, i2 INTEGER, d1 REAL, d2 REAL)");
  const insert = db.prepare("INSERT INTO rows (id, s1, s2, s3, s4, i1, i2, d1, d2) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  db.transaction(() => {
    for (let i = 1; i <= n; i++) insert.run(i, `name-${i % 97}`, `city-${i % 31}`, `tag-${i % 13}`, `note-${i % 7}`, i, i % 1000, i / 7, i / 3);
  })();
  db.close();
}
