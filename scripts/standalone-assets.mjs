// Completes `next build`'s standalone output (part of `npm run build`): Next leaves the browser assets out of
// `.next/standalone`, so they are copied in as its docs say, after which that folder runs on its own.
import { cpSync, existsSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const distDir = path.join(root, ".next");
const standalone = path.join(distDir, "standalone");

if (!existsSync(path.join(standalone, "server.js"))) {
  console.error(`${path.relative(root, standalone)}/server.js is missing: run \`next build\` (with output: "standalone") first.`);
  process.exit(1);
}

for (const [from, to] of [
  [path.join(distDir, "static"), path.join(standalone, ".next", "static")],
  [path.join(root, "public"), path.join(standalone, "public")],
]) {
  // A previous build's hashed files would otherwise pile up.
  rmSync(to, { recursive: true, force: true });
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
console.log(`Standalone server ready: ${path.relative(root, standalone)}/server.js (start it with \`npm start\`).`);
