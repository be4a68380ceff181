// The runtime has named exports only: from an ES module a default import must be a type error
// (TS1192), not a value that is undefined at run time.
import ci from "class-instrumentation";
console.log(ci);
