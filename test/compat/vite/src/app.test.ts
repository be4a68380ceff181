import { expect, test } from "vitest";
import { run } from "./app";

test("the class is instrumented by the Vite plugin under Vitest", () => {
  const result = run();
  expect(result.transformed).toBe(true);
  expect(result.own).toEqual([]);
  expect(result.childrenAdded).toEqual(["leaf"]);
  expect(result.label).toEqual({ added: ["renamed"], unchanged: [], deleted: ["root"] });
});
