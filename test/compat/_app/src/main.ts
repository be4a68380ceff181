import { run } from "./app";

console.log(JSON.stringify(run()));
