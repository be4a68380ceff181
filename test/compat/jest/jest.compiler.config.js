// ts-jest with ts-patch's live compiler: the tsconfig's `plugins` entry applies.
module.exports = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { compiler: "ts-patch/compiler", tsconfig: "tsconfig.json" }] },
};
