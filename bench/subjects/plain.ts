// The baseline: an ordinary class with 8 fields (4 strings, 4 numbers), no instrumentation.
// Compiled twice: useDefineForClassFields true (fields defined, then assigned) and false
// (constructor assignments only).
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
export class Owner {
  name: string;
  items: string[] = [];
  constructor(name: string) {
    this.name = name;
  }
}

export class Named {
  name: string;
  constructor(name: string) {
    this.name = name;
  }
}
