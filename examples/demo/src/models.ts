/**
 * The demo's model: plain TypeScript classes. `@mapped` (compiled away by the transformer) makes
 * every field an instrumented attribute; kinds come from the declared types.
 */
import { mapped, transient, type InstanceState } from "class-instrumentation";

/** A pretend database row store, by class name and id. */
export const database = new Map<string, Record<string, unknown>>();

/** Reloads expired attributes from the pretend database (called on first read after expiry). */
function reload(state: InstanceState, keys: ReadonlySet<string>): void {
  const obj = state.obj() as { id: number } | undefined;
  if (obj === undefined) return;
  const row = database.get(`${state.class_.name}#${obj.id}`) ?? {};
  console.log(`    [loader] ${state.class_.name}#${obj.id}: reloading ${[...keys].join(", ")}`);
  for (const key of keys) if (key in row) state.dict[key] = row[key];
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
