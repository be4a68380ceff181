// The same class, instrumented with @mapped. Built twice: by tspc with the transformer (accessors
// and constructor generated at build time) and by plain tsc (the decorator's runtime path).
import { mapped } from "class-instrumentation";

@mapped
export class Row {
  s1: string;
  s2: string;
  s3: string;
  s4: string;
  n1: number;
  n2: number;
  n3: number;
  n4: number;
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

// `new Owner()` with one list attribute, against the same class without it (Named).
@mapped
export class Owner {
  name: string;
  items: string[] = [];
  constructor(name: string) {
    this.name = name;
  }
}

@mapped
export class Named {
  name: string;
  constructor(name: string) {
    this.name = name;
  }
}
