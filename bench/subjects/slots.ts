// The limit: a hand-written class with the same tracking as ours, written for one class only.
// Values live in fixed per-class slots on the instance (assigned in the constructor in one
// order), the committed values of a commit cycle in a lazily created per-instance record, the
// modified flag in per-instance dirty bits, and modified instances in an array registry. No
// generality, no events, no loaders: what storage without indirection reaches.

const BITS = { s1: 1, s2: 2, s3: 4, s4: 8, n1: 16, n2: 32, n3: 64, n4: 128 } as const;
type Key = keyof typeof BITS;
const KEYS = Object.keys(BITS) as Key[];

/** Committed values of one instance's changed attributes (an entry is meaningful when its bit is set). */
class Committed {
  s1: unknown = undefined;
  s2: unknown = undefined;
  s3: unknown = undefined;
  s4: unknown = undefined;
  n1: unknown = undefined;
  n2: unknown = undefined;
  n3: unknown = undefined;
  n4: unknown = undefined;
}

/** The registry of modified instances (what an identity map keeps). */
export class Registry {
  modified: Row[] = [];

  add(row: Row): void {
    row._registry = this;
    if (row._dirty !== 0) this.modified.push(row);
  }

  /** [instance, [key, old, key, old, ...]] pairs of every modified instance. */
  changes(): unknown[] {
    const out: unknown[] = [];
    const list = this.modified;
    for (let i = 0; i < list.length; i++) {
      const row = list[i]!;
      const changes: unknown[] = [];
      const c = row._committed!;
      for (let k = 0; k < KEYS.length; k++) {
        const key = KEYS[k]!;
        if ((row._dirty & BITS[key]) !== 0) changes.push(key, c[key]);
      }
      out.push(row, changes);
    }
    return out;
  }

  commitAll(): void {
    const list = this.modified;
    for (let i = 0; i < list.length; i++) {
      const row = list[i]!;
      row._dirty = 0;
      row._committed = null;
    }
    list.length = 0;
  }
}

export class Row {
  _s1: string;
  _s2: string;
  _s3: string;
  _s4: string;
  _n1: number;
  _n2: number;
  _n3: number;
  _n4: number;
  _dirty: number;
  _committed: Committed | null;
  _registry: Registry | null;
  constructor(s1: string, s2: string, s3: string, s4: string, n1: number, n2: number, n3: number, n4: number) {
    this._s1 = s1;
    this._s2 = s2;
    this._s3 = s3;
    this._s4 = s4;
    this._n1 = n1;
    this._n2 = n2;
    this._n3 = n3;
    this._n4 = n4;
    this._dirty = 0;
    this._committed = null;
    this._registry = null;
  }

  private first(key: Key, old: unknown): void {
    const c = (this._committed ??= new Committed());
    c[key] = old;
    if (this._dirty === 0 && this._registry !== null) this._registry.modified.push(this);
    this._dirty |= BITS[key];
  }

  get s1(): string { return this._s1; }
  set s1(v: string) { if ((this._dirty & 1) === 0) this.first("s1", this._s1); this._s1 = v; }
  get s2(): string { return this._s2; }
  set s2(v: string) { if ((this._dirty & 2) === 0) this.first("s2", this._s2); this._s2 = v; }
  get s3(): string { return this._s3; }
  set s3(v: string) { if ((this._dirty & 4) === 0) this.first("s3", this._s3); this._s3 = v; }
  get s4(): string { return this._s4; }
  set s4(v: string) { if ((this._dirty & 8) === 0) this.first("s4", this._s4); this._s4 = v; }
  get n1(): number { return this._n1; }
  set n1(v: number) { if ((this._dirty & 16) === 0) this.first("n1", this._n1); this._n1 = v; }
  get n2(): number { return this._n2; }
  set n2(v: number) { if ((this._dirty & 32) === 0) this.first("n2", this._n2); this._n2 = v; }
  get n3(): number { return this._n3; }
  set n3(v: number) { if ((this._dirty & 64) === 0) this.first("n3", this._n3); this._n3 = v; }
  get n4(): number { return this._n4; }
  set n4(v: number) { if ((this._dirty & 128) === 0) this.first("n4", this._n4); this._n4 = v; }
}
