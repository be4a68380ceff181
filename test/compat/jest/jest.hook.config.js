// ts-jest's own astTransformers hook (no ts-patch).
module.exports = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", astTransformers: { before: ["<rootDir>/ts-jest-transformer.js"] } }] },
};
