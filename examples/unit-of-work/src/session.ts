/**
 * A unit of work over SQLite (better-sqlite3), written only against class-instrumentation's public
 * API. It is the part an ORM adds on top of instrumentation, kept small enough to read in one go:
 *
 * - an identity map keyed by primary key: a row is one object per session;
 * - `query` / `get` build instances without running their constructors and fire the `load` event;
 * - `add` → INSERT, `delete` → DELETE, and `flush` → UPDATEs of only the columns whose history
 *   has changes, found through the runtime's `IdentityMap` in O(changed);
 * - `commit` expires every instance (expire-on-commit); expired attributes reload through the
 *   classes' `expiredAttributeLoader`, synchronously or (option `loading: "async"`) through a
 *   Promise that `await loadExpired(obj)` waits for;
 * - deferred columns and lazy relationships load on first read through class-level callables;
 * - `rollback` restores the committed values of unflushed changes and expires what was flushed;
 * - one-to-many collections are persisted through their history (added and removed members).
 *
 * Every statement run is recorded in `session.executed`.
 */
import type { Database, Statement } from "better-sqlite3";
import {
  ATTR_EMPTY,
  attributeOf,
  IdentityMap,
  InvalidRequestError,
  instanceState,
  listen,
  managerOfClass,
  PASSIVE_NO_RESULT,
  SQL_OK,
  type Class,
  type InstanceChanges,
  type InstanceState,
  type LoaderCallable,
  type PassiveFlag,
} from "class-instrumentation";
import { mappingOf, type ManyToOne, type OneToMany, type TableMapping } from "./mapping";

/** A primary-key value as SQLite returns it. */
export type PrimaryKey = number | bigint | string;

/** The identity of a persistent instance, kept in its `InstanceState.key`. */
export interface IdentityKey {
  readonly mapping: TableMapping;
  readonly id: PrimaryKey;
}

/** One statement the session ran, with its parameters. */
export interface ExecutedStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Options of {@link Session}. */
export interface SessionOptions {
  /**
   * `"sync"` (default): an expired attribute reloads when read. `"async"`: the loader returns a
   * Promise, as it would over an asynchronous driver; `await loadExpired(obj)` before reading.
   */
  readonly loading?: "sync" | "async";
  /** Expire every instance after `commit` so the next read sees the database (default true, as SQLAlchemy's `expire_on_commit`). */
  readonly expireOnCommit?: boolean;
  /** Called with every statement, after it is recorded in `executed`. */
  readonly onStatement?: (statement: ExecutedStatement) => void;
}

/** An instance was used with a session it does not belong to, or after it left its session. */
export class SessionError extends Error {
  override readonly name = "SessionError";
}

/** The row of a persistent instance is gone from the database. */
export class ObjectDeletedError extends SessionError {}

/**
 * The identity key a session stores in `state.key`; it also names the session the instance
 * belongs to (`null` once detached), as SQLAlchemy keeps a session id on the state. One object per
 * loaded row, so belonging to a session costs no extra lookup table.
 */
class Identity implements IdentityKey {
  constructor(
    readonly mapping: TableMapping,
    readonly id: PrimaryKey,
    public session: Session | null,
  ) {}
}

/** The session of each pending instance (added, not inserted yet: no identity key). */
const pendingIn = new WeakMap<InstanceState, Session>();

/** The session `state`'s instance belongs to, persistent or pending. */
function ownerOf(state: InstanceState): Session | undefined {
  const key = state.key;
  return key instanceof Identity ? (key.session ?? undefined) : pendingIn.get(state);
}

function sessionFor(state: InstanceState, key: string): Session {
  const session = ownerOf(state);
  if (session === undefined) {
    throw new SessionError(`${state.class_.name}.${key} is not loaded and the instance belongs to no session; query it through a Session.`);
  }
  return session;
}

/** The `expiredAttributeLoader` of mapped classes: reloads expired attributes through the instance's session. */
export function loadExpiredAttributes(state: InstanceState, keys: ReadonlySet<string>): void | Promise<void> {
  return sessionFor(state, [...keys].join(", ")).refresh(state, keys);
}

/** A class-level loader for a deferred column: `@attribute({ callable: deferredColumn("bio"), loadOnUnexpire: false })`. */
export function deferredColumn(key: string): LoaderCallable {
  return (state, passive) => onFirstRead(state, passive, key, (session) => session.loadDeferred(state, key));
}

/** A class-level loader for a relationship, run on its first read: `@attribute({ callable: lazyRelationship("posts") })`. */
export function lazyRelationship(key: string): LoaderCallable {
  return (state, passive) => onFirstRead(state, passive, key, (session) => session.loadRelationship(state, key));
}

/**
 * The common part of the class-level callables (SQLAlchemy's deferred and lazy loaders): a new
 * object has no row to load from (ATTR_EMPTY: the attribute's default applies), and a read that
 * allows no SQL gets PASSIVE_NO_RESULT.
 */
function onFirstRead(state: InstanceState, passive: PassiveFlag, key: string, load: (session: Session) => unknown): unknown {
  if (state.key === undefined) return ATTR_EMPTY;
  if ((passive & SQL_OK) === 0) return PASSIVE_NO_RESULT;
  return load(sessionFor(state, key));
}

/** Mappings whose relationship attributes already cascade new objects into sessions. */
const cascading = new WeakSet<TableMapping>();

/**
 * The save-update cascade, as SQLAlchemy runs it: a new object appended to a relationship of an
 * object in a session (or assigned to its many-to-one) joins that session at once, so it is
 * INSERTed even if it leaves the relationship again before the flush. Installed once per mapping.
 */
function installCascade(mapping: TableMapping): void {
  if (cascading.has(mapping)) return;
  cascading.add(mapping);
  const join = (owner: object, value: unknown): void => {
    if (typeof value !== "object" || value === null) return;
    const session = ownerOf(instanceState(owner));
    const state = instanceState(value);
    if (session !== undefined && state.key === undefined && ownerOf(state) === undefined) session.add(value);
  };
  const cls = mapping.cls as Class<Record<string, unknown>>;
  for (const key of mapping.oneToMany.keys()) listen(attributeOf(cls, key), "append", (target, value) => join(target, value));
  for (const key of mapping.manyToOne.keys()) listen(attributeOf(cls, key), "set", (target, value) => join(target, value));
}

/** A foreign-key value taken from an instance when the statement runs (its key may come from an INSERT of the same flush). */
class Reference {
  readonly target: object | null;
  /** `undefined` (what a backref stores when a member leaves a collection) counts as no reference. */
  constructor(target: object | null | undefined) {
    this.target = target ?? null;
  }
}

/** What a transaction changed in memory, for `rollback`. */
interface TransactionRecord {
  readonly inserted: Set<object>;
  readonly deleted: Set<object>;
  readonly flushed: Set<InstanceState>;
}

type Row = Record<string, unknown>;

/** A unit of work over one better-sqlite3 connection. */
export class Session {
  /** Every statement run by this session, in order. */
  readonly executed: ExecutedStatement[] = [];
  private readonly tracker = new IdentityMap();
  private readonly identities = new Map<TableMapping, Map<PrimaryKey, object>>();
  private readonly pending = new Set<object>();
  private readonly deleted = new Set<object>();
  private readonly statements = new Map<string, Statement>();
  private transaction: TransactionRecord | null = null;
  private readonly loading: "sync" | "async";
  private readonly expireOnCommit: boolean;
  private readonly onStatement: ((statement: ExecutedStatement) => void) | undefined;

  constructor(
    readonly db: Database,
    options: SessionOptions = {},
  ) {
    this.loading = options.loading ?? "sync";
    this.expireOnCommit = options.expireOnCommit ?? true;
    this.onStatement = options.onStatement;
  }

  // -------------------------------------------------------------------------------------------
  // Loading

  /** Instances of `cls` for the rows matching `where` (an SQL condition with `?` parameters). */
  query<T extends object>(cls: Class<T>, where?: string, ...params: unknown[]): T[] {
    const mapping = mappingOf(cls);
    const sql = `SELECT ${selectList(mapping)} FROM ${mapping.table}${where === undefined ? "" : ` WHERE ${where}`}`;
    return this.all(sql, params).map((row) => this.instanceFor(mapping, row) as T);
  }

  /** The instance of `cls` with primary key `id`: from the identity map, else loaded. */
  get<T extends object>(cls: Class<T>, id: PrimaryKey): T | undefined {
    const mapping = mappingOf(cls);
    const known = this.identities.get(mapping)?.get(id);
    if (known !== undefined) return known as T;
    return this.query(cls, `${mapping.primaryKey} = ?`, id)[0];
  }

  /** The instance for `row`: the one already in the identity map (its unloaded columns filled), or a new one. */
  private instanceFor(mapping: TableMapping, row: Row): object {
    const id = row[mapping.primaryKey] as PrimaryKey;
    const known = this.identities.get(mapping)?.get(id);
    if (known !== undefined) {
      this.populateUnloaded(mapping, instanceState(known), row);
      return known;
    }
    const obj = managerOfClass(mapping.cls).newInstance();
    const state = instanceState(obj);
    const dict = state.dict;
    for (const column of mapping.eagerColumns) dict[column] = row[column];
    this.attach(obj, state, new Identity(mapping, id, this));
    for (const [key, rel] of mapping.manyToOne) dict[key] = this.referenced(rel, row[rel.foreignKey]);
    state.fireLoad(this);
    return obj;
  }

  /** A query met an instance already in the map: fill the columns that are expired, keep the rest. */
  private populateUnloaded(mapping: TableMapping, state: InstanceState, row: Row): void {
    const unloaded = state.unloaded;
    if (unloaded.size === 0) return;
    const loaded: string[] = [];
    for (const column of mapping.eagerColumns) {
      if (unloaded.has(column) && !state.committedState.has(column)) {
        state.dict[column] = row[column];
        loaded.push(column);
      }
    }
    if (loaded.length > 0) {
      state.commit(loaded);
      state.fireRefresh(this, new Set(loaded));
    }
  }

  private attach(obj: object, state: InstanceState, key: Identity): void {
    installCascade(key.mapping);
    key.session = this;
    state.key = key;
    let byId = this.identities.get(key.mapping);
    if (byId === undefined) this.identities.set(key.mapping, (byId = new Map()));
    byId.set(key.id, obj);
    this.tracker.add(obj);
  }

  private detach(obj: object, state: InstanceState): void {
    const key = identityOf(state);
    this.identities.get(key.mapping)?.delete(key.id);
    this.tracker.remove(obj);
    key.session = null;
  }

  private referenced(rel: ManyToOne, id: unknown): object | null {
    if (id === null || id === undefined) return null;
    return this.get(rel.target(), id as PrimaryKey) ?? null;
  }

  private children(rel: OneToMany, parentId: PrimaryKey): object[] {
    const mapping = mappingOf(rel.target());
    const rows = this.all(`SELECT ${selectList(mapping)} FROM ${mapping.table} WHERE ${rel.foreignKey} = ?`, [parentId]);
    return rows.map((row) => this.instanceFor(mapping, row));
  }

  /**
   * @internal The expired-attribute loader's work: one SELECT of the expired columns, by the
   * identity kept in `state.key` (a loader must not read the expired attributes of its own object).
   */
  refresh(state: InstanceState, keys: ReadonlySet<string>): void | Promise<void> {
    if (this.loading === "sync") return this.refreshNow(state, keys);
    // Stands in for an asynchronous driver: the rows arrive in a later turn of the event loop.
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.refreshNow(state, keys));
  }

  private refreshNow(state: InstanceState, keys: ReadonlySet<string>): void {
    const { mapping, id } = identityOf(state);
    const columns = mapping.columns.filter((c) => keys.has(c));
    const references = [...mapping.manyToOne].filter(([key]) => keys.has(key));
    const selected = [...columns, ...references.map(([, rel]) => rel.foreignKey)];
    const dict = state.dict;
    if (selected.length > 0) {
      const row = this.one(`SELECT ${selected.join(", ")} FROM ${mapping.table} WHERE ${mapping.primaryKey} = ?`, [id]);
      if (row === undefined) throw new ObjectDeletedError(`${mapping.cls.name} ${String(id)} was deleted from table ${mapping.table}.`);
      for (const column of columns) dict[column] = row[column];
      for (const [key, rel] of references) dict[key] = this.referenced(rel, row[rel.foreignKey]);
    }
    for (const [key, rel] of mapping.oneToMany) if (keys.has(key)) dict[key] = this.children(rel, id);
    for (const key of keys) {
      if (!(key in dict)) throw new SessionError(`${mapping.cls.name}.${key} is not mapped to a column or relationship of ${mapping.table}.`);
    }
    state.fireRefresh(this, keys);
  }

  /** @internal Loads one deferred column on first read. */
  loadDeferred(state: InstanceState, key: string): unknown {
    const { mapping, id } = identityOf(state);
    const row = this.one(`SELECT ${key} FROM ${mapping.table} WHERE ${mapping.primaryKey} = ?`, [id]);
    if (row === undefined) throw new ObjectDeletedError(`${mapping.cls.name} ${String(id)} was deleted from table ${mapping.table}.`);
    return row[key];
  }

  /** @internal Loads a relationship on first read. */
  loadRelationship(state: InstanceState, key: string): unknown {
    const { mapping, id } = identityOf(state);
    const many = mapping.oneToMany.get(key);
    if (many !== undefined) return this.children(many, id);
    const one = mapping.manyToOne.get(key);
    if (one === undefined) throw new SessionError(`${mapping.cls.name}.${key} is not a relationship of ${mapping.table}.`);
    const row = this.one(`SELECT ${one.foreignKey} FROM ${mapping.table} WHERE ${mapping.primaryKey} = ?`, [id]);
    return this.referenced(one, row?.[one.foreignKey]);
  }

  // -------------------------------------------------------------------------------------------
  // Changing

  /** Makes `obj` pending: the next flush INSERTs it (and the new objects it references). */
  add(obj: object): void {
    const state = instanceState(obj);
    const owner = ownerOf(state);
    if (owner !== undefined && owner !== this) throw new SessionError(`${state.class_.name} instance already belongs to another session.`);
    if (state.key !== undefined) {
      if (owner === undefined) throw new SessionError(`${state.class_.name} instance is detached; it cannot join another session.`);
      this.deleted.delete(obj);
      return;
    }
    installCascade(mappingOf(obj.constructor));
    pendingIn.set(state, this);
    this.pending.add(obj);
  }

  /** Marks `obj` for deletion at the next flush (a pending object is simply forgotten). */
  delete(obj: object): void {
    const state = instanceState(obj);
    if (this.pending.delete(obj)) {
      pendingIn.delete(state);
      return;
    }
    if (state.key === undefined || ownerOf(state) !== this) {
      throw new SessionError(`${state.class_.name} instance is not persistent in this session.`);
    }
    this.deleted.add(obj);
  }

  /**
   * The persistent instances with changes a flush would write, with the changed attribute names
   * (`values`: columns and references, `collections`: one-to-many collections). O(changed): the
   * runtime's IdentityMap learns of each instance's first change when it happens.
   */
  changes(): IterableIterator<InstanceChanges<object>> {
    return this.tracker.changes();
  }

  /**
   * Writes every change in one transaction step: INSERTs (parents first), UPDATEs of the changed
   * columns only, DELETEs (children first). Afterwards history is committed; nothing is expired.
   */
  flush(): void {
    const changes = [...this.changes()].filter((c) => !this.deleted.has(c.obj));
    const inserts = this.cascadePending(changes);
    const rows = this.rowChanges(changes);
    if (inserts.length === 0 && rows.size === 0 && this.deleted.size === 0) {
      this.tracker.commitAll();
      return;
    }
    const tx = this.begin();
    const deletes = [...this.deleted].sort((a, b) => rank(mappingOfObj(b)) - rank(mappingOfObj(a)));
    const assigned: object[] = [];
    this.run("SAVEPOINT flush", []);
    try {
      for (const obj of inserts) if (this.insert(obj, rows.get(obj))) assigned.push(obj);
      for (const [obj, columns] of rows) if (!this.pending.has(obj)) this.update(obj, columns);
      for (const obj of deletes) this.deleteRow(obj);
      this.run("RELEASE flush", []);
    } catch (error) {
      this.run("ROLLBACK TO flush", []);
      this.run("RELEASE flush", []);
      for (const obj of assigned) delete instanceState(obj).dict[mappingOfObj(obj).primaryKey];
      throw error;
    }
    for (const change of changes) tx.flushed.add(change.state);
    for (const obj of inserts) {
      const state = instanceState(obj);
      const mapping = mappingOfObj(obj);
      this.pending.delete(obj);
      pendingIn.delete(state);
      this.attach(obj, state, new Identity(mapping, state.dict[mapping.primaryKey] as PrimaryKey, this));
      tx.inserted.add(obj);
    }
    for (const obj of deletes) {
      this.detach(obj, instanceState(obj));
      tx.deleted.add(obj);
    }
    this.deleted.clear();
    this.tracker.commitAll();
    for (const obj of inserts) instanceState(obj).commitAll();
  }

  /** Flushes, commits the database transaction, and expires every instance (unless `expireOnCommit: false`). */
  commit(): void {
    this.flush();
    if (this.transaction !== null) {
      this.run("COMMIT", []);
      for (const obj of this.transaction.deleted) instanceState(obj).key = undefined;
      this.transaction = null;
    }
    if (this.expireOnCommit) for (const state of this.tracker.allStates()) state.expire();
  }

  /**
   * Undoes the transaction: the database rolls back; unflushed changes get their committed values
   * back from history; what was flushed is expired (the database has the old values again);
   * pending objects leave the session and deleted ones come back.
   */
  rollback(): void {
    this.tracker.rollbackAll();
    for (const obj of this.pending) pendingIn.delete(instanceState(obj));
    this.pending.clear();
    this.deleted.clear();
    const tx = this.transaction;
    if (tx === null) return;
    this.run("ROLLBACK", []);
    this.transaction = null;
    for (const obj of tx.inserted) {
      const state = instanceState(obj);
      this.detach(obj, state);
      state.key = undefined;
    }
    for (const obj of tx.deleted) this.attach(obj, instanceState(obj), identityOf(instanceState(obj)));
    for (const state of tx.flushed) if (ownerOf(state) === this) state.expire();
    for (const obj of tx.deleted) instanceState(obj).expire();
  }

  /** Leaves every instance detached (loaded values stay readable) and ends the session. */
  close(): void {
    if (this.transaction !== null) this.rollback();
    for (const state of this.tracker.allStates()) identityOf(state).session = null;
    for (const obj of this.pending) pendingIn.delete(instanceState(obj));
    this.pending.clear();
    this.identities.clear();
    for (const state of this.tracker.allStates()) {
      const obj = state.obj();
      if (obj !== undefined) this.tracker.remove(obj);
    }
  }

  /** Whether `obj` is persistent (in the identity map) or pending in this session. */
  contains(obj: object): boolean {
    return ownerOf(instanceState(obj)) === this;
  }

  // -------------------------------------------------------------------------------------------
  // Flush internals

  /** The pending objects plus the new objects reachable from them or from changed relationships (save-update cascade), parents first. */
  private cascadePending(changes: readonly InstanceChanges<object>[]): object[] {
    const visit = (value: unknown): void => {
      if (typeof value !== "object" || value === null) return;
      const state = instanceState(value);
      if (state.key !== undefined || this.pending.has(value)) return;
      const owner = ownerOf(state);
      if (owner !== undefined && owner !== this) throw new SessionError(`${state.class_.name} instance already belongs to another session.`);
      this.add(value);
      walk(value);
    };
    const walk = (obj: object): void => {
      const mapping = mappingOfObj(obj);
      const dict = instanceState(obj).dict;
      for (const key of mapping.manyToOne.keys()) visit(dict[key]);
      for (const key of mapping.oneToMany.keys()) for (const member of (dict[key] as Iterable<unknown> | undefined) ?? []) visit(member);
    };
    for (const obj of [...this.pending]) walk(obj);
    for (const change of changes) {
      const mapping = mappingOfObj(change.obj);
      for (const key of change.values) if (mapping.manyToOne.has(key)) visit(change.state.dict[key]);
      for (const key of change.collections) for (const member of change.state.getHistory(key).added) visit(member);
    }
    return [...this.pending].sort((a, b) => rank(mappingOfObj(a)) - rank(mappingOfObj(b)));
  }

  /**
   * The columns to write per row: each change's changed columns, its changed references as
   * foreign keys, and for a changed one-to-many collection the members' foreign keys (added
   * members point at the owner, removed ones at nothing unless something else claims them).
   */
  private rowChanges(changes: readonly InstanceChanges<object>[]): Map<object, Map<string, unknown>> {
    const rows = new Map<object, Map<string, unknown>>();
    const columnsOf = (obj: object): Map<string, unknown> => {
      let columns = rows.get(obj);
      if (columns === undefined) rows.set(obj, (columns = new Map()));
      return columns;
    };
    for (const { obj, state, values, collections } of changes) {
      const mapping = mappingOfObj(obj);
      for (const key of values) {
        if (key === mapping.primaryKey) throw new InvalidRequestError(`${mapping.cls.name}.${key} is the primary key; it cannot change.`);
        const rel = mapping.manyToOne.get(key);
        if (rel !== undefined) columnsOf(obj).set(rel.foreignKey, new Reference(state.dict[key] as object | null | undefined));
        else if (mapping.columns.includes(key)) columnsOf(obj).set(key, state.dict[key]);
      }
      for (const key of collections) {
        const rel = mapping.oneToMany.get(key);
        if (rel === undefined) continue;
        const history = state.getHistory(key);
        for (const member of history.deleted as readonly object[]) {
          if (this.deleted.has(member)) continue;
          const columns = columnsOf(member);
          if (!columns.has(rel.foreignKey)) columns.set(rel.foreignKey, new Reference(null));
        }
        for (const member of history.added as readonly object[]) columnsOf(member).set(rel.foreignKey, new Reference(obj));
      }
    }
    return rows;
  }

  /** INSERTs `obj`; returns whether SQLite assigned its primary key. */
  private insert(obj: object, overrides: Map<string, unknown> | undefined): boolean {
    const mapping = mappingOfObj(obj);
    const dict = instanceState(obj).dict;
    const values = new Map<string, unknown>();
    for (const column of mapping.columns) if (column in dict && dict[column] !== undefined) values.set(column, dict[column]);
    for (const [key, rel] of mapping.manyToOne) values.set(rel.foreignKey, new Reference(dict[key] as object | null | undefined));
    for (const [column, value] of overrides ?? []) values.set(column, value);
    const names = [...values.keys()];
    const sql = `INSERT INTO ${mapping.table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`;
    const result = this.run(sql, [...values.values()].map(sqlValue));
    if (values.has(mapping.primaryKey)) return false;
    dict[mapping.primaryKey] = Number(result.lastInsertRowid);
    return true;
  }

  private update(obj: object, columns: Map<string, unknown>): void {
    const { mapping, id } = identityOf(instanceState(obj));
    const names = mapping.columns.filter((c) => columns.has(c));
    for (const name of columns.keys()) if (!names.includes(name)) names.push(name);
    const sql = `UPDATE ${mapping.table} SET ${names.map((n) => `${n} = ?`).join(", ")} WHERE ${mapping.primaryKey} = ?`;
    this.run(sql, [...names.map((n) => sqlValue(columns.get(n))), id]);
  }

  private deleteRow(obj: object): void {
    const { mapping, id } = identityOf(instanceState(obj));
    for (const rel of mapping.oneToMany.values()) {
      this.run(`UPDATE ${mappingOf(rel.target()).table} SET ${rel.foreignKey} = NULL WHERE ${rel.foreignKey} = ?`, [id]);
    }
    this.run(`DELETE FROM ${mapping.table} WHERE ${mapping.primaryKey} = ?`, [id]);
  }

  private begin(): TransactionRecord {
    if (this.transaction === null) {
      this.run("BEGIN", []);
      this.transaction = { inserted: new Set(), deleted: new Set(), flushed: new Set() };
    }
    return this.transaction;
  }

  // -------------------------------------------------------------------------------------------
  // SQL

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  private record(sql: string, params: readonly unknown[]): void {
    const entry = { sql, params };
    this.executed.push(entry);
    this.onStatement?.(entry);
  }

  private all(sql: string, params: readonly unknown[]): Row[] {
    this.record(sql, params);
    return this.prepare(sql).all(...params) as Row[];
  }

  private one(sql: string, params: readonly unknown[]): Row | undefined {
    this.record(sql, params);
    return this.prepare(sql).get(...params) as Row | undefined;
  }

  private run(sql: string, params: readonly unknown[]): { lastInsertRowid: number | bigint } {
    this.record(sql, params);
    return this.prepare(sql).run(...params);
  }
}

function identityOf(state: InstanceState): Identity {
  const key = state.key;
  if (!(key instanceof Identity)) throw new SessionError(`${state.class_.name} instance is not persistent (it has no identity key).`);
  return key;
}

function mappingOfObj(obj: object): TableMapping {
  return mappingOf(obj.constructor);
}

function selectList(mapping: TableMapping): string {
  return [...mapping.eagerColumns, ...[...mapping.manyToOne.values()].map((rel) => rel.foreignKey)].join(", ");
}

/** Parents before children: a table's rank is one more than the highest rank it references. */
function rank(mapping: TableMapping): number {
  let r = 0;
  for (const rel of mapping.manyToOne.values()) {
    const target = mappingOf(rel.target());
    if (target !== mapping) r = Math.max(r, rank(target) + 1);
  }
  return r;
}

/** A value as SQLite binds it: a foreign-key reference becomes the referenced primary key. */
function sqlValue(value: unknown): unknown {
  if (value instanceof Reference) {
    if (value.target === null) return null;
    const state = instanceState(value.target);
    const key = state.key as IdentityKey | undefined;
    return key?.id ?? state.dict[mappingOf(state.class_).primaryKey] ?? null;
  }
  if (value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}
