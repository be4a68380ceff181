// MobX: the same class made observable per instance with makeObservable.
import { makeObservable, observable } from "mobx";

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
    makeObservable(this, {
      s1: observable,
      s2: observable,
      s3: observable,
      s4: observable,
      n1: observable,
      n2: observable,
      n3: observable,
      n4: observable,
    });
  }
}
