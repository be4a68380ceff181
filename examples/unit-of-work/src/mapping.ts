/**
 * Table mappings: which SQL table stores a mapped class, which attributes are columns, which
 * columns are deferred and how relationships are kept in foreign keys. The Session reads these
 * descriptions; the classes themselves stay plain `@mapped` TypeScript classes.
 */
import type { AttributeKey, Class } from "class-instrumentation";

/** A many-to-one reference (`Post.author`) stored in a foreign-key column of the owner's table. */
export interface ManyToOne {
  /** The referenced class (a thunk, so that models can reference each other). */
  readonly target: () => Class;
  /** The owner's column holding the referenced row's primary key. */
  readonly foreignKey: string;
}

/** A one-to-many collection (`User.posts`) stored in a foreign-key column of the members' table. */
export interface OneToMany {
  /** The members' class. */
  readonly target: () => Class;
  /** The members' column holding the owner's primary key. */
  readonly foreignKey: string;
}

/** What {@link mapTable} is told about a class. */
export interface TableSpec<T extends object> {
  /** The SQL table. */
  readonly table: string;
  /** The primary-key attribute (an integer column; assigned by SQLite on INSERT when unset). */
  readonly primaryKey: AttributeKey<T>;
  /** Scalar attributes stored in the column of the same name (the primary key included). */
  readonly columns: readonly AttributeKey<T>[];
  /** Columns left out of queries and loaded on first read (also listed in `columns`). */
  readonly deferred?: readonly AttributeKey<T>[];
  /** Object attributes referencing one row of another table. */
  readonly manyToOne?: { readonly [K in AttributeKey<T>]?: ManyToOne };
  /** Collection attributes holding the rows of another table that reference this one. */
  readonly oneToMany?: { readonly [K in AttributeKey<T>]?: OneToMany };
}

/** The resolved mapping of one class, as the Session uses it. */
export interface TableMapping<T extends object = object> {
  readonly cls: Class<T>;
  readonly table: string;
  readonly primaryKey: string;
  /** Every column attribute, the primary key included, in declaration order. */
  readonly columns: readonly string[];
  /** The columns a query selects: `columns` minus the deferred ones. */
  readonly eagerColumns: readonly string[];
  readonly deferred: ReadonlySet<string>;
  readonly manyToOne: ReadonlyMap<string, ManyToOne>;
  readonly oneToMany: ReadonlyMap<string, OneToMany>;
}

const mappings = new Map<Class, TableMapping>();

/** Records where `cls` is stored; call once per class, next to its definition. */
export function mapTable<T extends object>(cls: Class<T>, spec: TableSpec<T>): TableMapping<T> {
  const deferred = new Set<string>(spec.deferred ?? []);
  const columns: readonly string[] = spec.columns;
  if (!columns.includes(spec.primaryKey)) throw new Error(`mapTable(${cls.name}): columns must include the primary key '${spec.primaryKey}'.`);
  for (const key of deferred) {
    if (!columns.includes(key)) throw new Error(`mapTable(${cls.name}): deferred column '${key}' is not listed in columns.`);
  }
  const mapping: TableMapping<T> = {
    cls,
    table: spec.table,
    primaryKey: spec.primaryKey,
    columns,
    eagerColumns: columns.filter((c) => !deferred.has(c)),
    deferred,
    manyToOne: new Map(Object.entries(spec.manyToOne ?? {}) as [string, ManyToOne][]),
    oneToMany: new Map(Object.entries(spec.oneToMany ?? {}) as [string, OneToMany][]),
  };
  mappings.set(cls, mapping as unknown as TableMapping);
  return mapping;
}

/** The mapping of `cls` (or of its nearest mapped base class). */
export function mappingOf(cls: Function): TableMapping {
  for (let c: unknown = cls; typeof c === "function"; c = Object.getPrototypeOf(c)) {
    const found = mappings.get(c as Class);
    if (found !== undefined) return found;
  }
  throw new Error(`${cls.name} has no table mapping; call mapTable(${cls.name}, { table, primaryKey, columns }).`);
}
