/**
 * The demo's model: plain TypeScript classes. `@mapped` (compiled away by the transformer) makes
 * every field an instrumented attribute; kinds come from the declared types.
 */
import { mapped, transient, type InstanceState } from "class-instrumentation";

/** A pretend database row store, by class name and id. */
export const database = new Map<string, Record<string, unknown>>();

/**
 * Reloads expired attributes from the pretend database (called on first read after expiry).
 * The row is found by `state.key`, the identity the flush recorded when it saved the object: a
 * loader must not read the object's own attributes (they may be the very ones being loaded).
 * It stores a value for every key it is given; collections may be stored as plain arrays, Sets
 * or Maps, and the runtime turns them into the attribute's instrumented collection.
 */
function reload(state: InstanceState, keys: ReadonlySet<string>): void {
  const row = database.get(String(state.key));
  if (row === undefined) throw new Error(`${String(state.key)} is not in the database`);
  console.log(`    [loader] ${String(state.key)}: reloading ${[...keys].join(", ")}`);
  for (const key of keys) state.dict[key] = row[key];
}

@mapped
export class Tag {
  constructor(public label: string) {}
}

@mapped({ expiredAttributeLoader: reload })
export class Customer {
  id: number;
  name: string;
  email = "";
  tags = new Set<Tag>();
  @transient lastViewed = "never";
  constructor(id: number, name: string) {
    this.id = id;
    this.name = name;
  }
}

@mapped({ expiredAttributeLoader: reload })
export class Order {
  id: number;
  customer: Customer | null = null;
  lines: LineItem[] = [];
  status = "draft";
  constructor(id: number) {
    this.id = id;
  }
  get total(): number {
    return this.lines.reduce((sum, line) => sum + line.price * line.quantity, 0);
  }
}

@mapped
export class LineItem {
  constructor(
    public product: string,
    public price: number,
    public quantity = 1,
  ) {}
}

/** A subclass of a mapped class is mapped too: it adds `priority` and keeps everything else. */
export class RushOrder extends Order {
  priority = 1;
}
