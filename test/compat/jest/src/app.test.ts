import { expect, test } from "@jest/globals";
import { run } from "./app";

test("the class is instrumented at build time", () => {
  const result = run();
  expect(result.transformed).toBe(true);
  expect(result.own).toEqual([]);
  expect(result.childrenAdded).toEqual(["leaf"]);
  expect(result.label).toEqual({ added: ["renamed"], unchanged: [], deleted: ["root"] });
});
