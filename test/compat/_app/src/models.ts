import { mapped } from "class-instrumentation";

@mapped
export class Node {
  label: string;
  note?: string;
  children: Node[] = [];
  parent: Node | null = null;
  tag = "initial-tag";
  constructor(label: string) {
    this.label = label;
  }
  describe(): string {
    return `describe-marker ${this.label}(${this.children.length})`;
  }
}
