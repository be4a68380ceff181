// The unit-of-work benchmark's entity, mapped for the example Session (examples/unit-of-work):
// 8 columns besides the key, like the other benchmarks' Row (4 strings, 2 integers, 2 doubles).
import { mapped } from "class-instrumentation";
import { mapTable } from "./mapping";
import { loadExpiredAttributes } from "./session";

@mapped({ expiredAttributeLoader: loadExpiredAttributes })
export class Row {
  id!: number;
  s1: string;
  s2: string;
  s3: string;
  s4: string;
  i1: number;
  i2: number;
  d1: number;
  d2: number;
  constructor(s1: string, s2: string, s3: string, s4: string, i1: number, i2: number, d1: number, d2: number) {
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    this.s4 = s4;
    this.i1 = i1;
    this.i2 = i2;
    this.d1 = d1;
    this.d2 = d2;
  }
}

mapTable(Row, { table: "rows", primaryKey: "id", columns: ["id", "s1", "s2", "s3", "s4", "i1", "i2", "d1", "d2"] });

export { Session } from "./session";
