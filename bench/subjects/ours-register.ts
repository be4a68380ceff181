// The same class with the runtime registration API only: `declare` fields (no own data
// properties), then registerClass + registerAttribute (accessors compiled at run time).
import { registerAttribute, registerClass } from "class-instrumentation";

export class Row {
  declare s1: string;
  declare s2: string;
  declare s3: string;
  declare s4: string;
  declare n1: number;
  declare n2: number;
  declare n3: number;
  declare n4: number;
  constructor(s1: string, s2: string, s3: string, s4: string, n1: number, n2: number, n3: number, n4: number) {
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    this.s4 = s4;
    this.n1 = n1;
    this.n2 = n2;
    this.n3 = n3;
    this.n4 = n4;
  }
}

registerClass(Row);
for (const key of ["s1", "s2", "s3", "s4", "n1", "n2", "n3", "n4"] as const) registerAttribute(Row, key);
