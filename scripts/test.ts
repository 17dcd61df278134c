// `npm test`: every check, in order, stopping at the first failure.
//   typecheck    tsc --noEmit
//   lint         eslint --max-warnings=0 .            (when eslint.config.mjs exists)
//   vitest       unit + integration on PGlite (+ on Postgres when TEST_DATABASE_URL is set)
//   production   `npm run build` (standalone), then the built server against fresh Postgres databases:
//                smoke test, refused configurations, two instances sharing the outbox (needs TEST_DATABASE_URL)
//   bench        `npm run bench -- --smoke`: every benchmark part at small N, to prove it works (figures are
//                for people, not a gate: only a broken part fails the step)
//   e2e          playwright test                       (when tests/e2e/playwright.config.ts exists)
// `npm test -- --only=unit` (or integration, production, bench, e2e, typecheck, lint; comma-separated) runs just those.
// With CI=true a skipped step is a failure: CI must run everything.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const ci = process.env.CI === "true" || process.env.CI === "1";
const testDatabaseUrl = process.env.TEST_DATABASE_URL?.trim() || undefined;
const VITEST_CONFIG = "tests/vitest.config.ts";
const PLAYWRIGHT_CONFIG = "tests/e2e/playwright.config.ts";

const SELECTABLE = ["typecheck", "lint", "unit", "integration", "production", "bench", "e2e"] as const;
type Selectable = (typeof SELECTABLE)[number];

function parseArgs(argv: string[]): Set<Selectable> {
  const selected = new Set<Selectable>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let value: string | undefined;
    if (arg.startsWith("--only=")) value = arg.slice("--only=".length);
    else if (arg === "--only") value = argv[++i];
    else if (arg === "--help" || arg === "-h") {
      console.log(`Usage: npm test [-- --only=${SELECTABLE.join("|")}[,…]]`);
      process.exit(0);
    } else {
      console.error(`Unknown argument: ${arg} (expected --only=${SELECTABLE.join("|")})`);
      process.exit(2);
    }
    for (const part of (value ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
      if (!(SELECTABLE as readonly string[]).includes(part)) {
        console.error(`Unknown --only value: ${part} (expected ${SELECTABLE.join(", ")})`);
        process.exit(2);
      }
      selected.add(part as Selectable);
    }
  }
  return selected.size ? selected : new Set(SELECTABLE);
}

const only = parseArgs(process.argv.slice(2));

type Status = "passed" | "failed" | "skipped" | "not run" | "not selected";
interface Result {
  name: string;
  status: Status;
  note?: string;
  seconds?: number;
}
const results: Result[] = [];

// Machine-readable results of each runner, summed into one closing line.
const VITEST_JSON = ".tmp/test-results/vitest.json";
const PRODUCTION_JSON = ".tmp/test-results/vitest-production.json";
const PLAYWRIGHT_JSON = ".tmp/test-results/playwright.json";
for (const file of [VITEST_JSON, PRODUCTION_JSON, PLAYWRIGHT_JSON]) rmSync(path.join(root, file), { force: true });

const env = {
  ...process.env,
  PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(root, PLAYWRIGHT_JSON),
  NEXT_TELEMETRY_DISABLED: "1",
  // Vite warns that a .ts config in a CommonJS package will need `"type": "module"` one day; nothing to act on.
  VITE_CONFIG_NATIVE_IGNORE_WARNING: "true",
};

function header(title: string) {
  console.log(`\n${"=".repeat(78)}\n== ${title}\n${"=".repeat(78)}`);
}

function run(command: string, args: string[], extraEnv: Record<string, string | undefined> = {}): boolean {
  console.log(`$ ${[path.relative(root, command) || command, ...args].join(" ")}`);
  const child = spawnSync(command, args, { cwd: root, env: { ...env, ...extraEnv }, stdio: "inherit" });
  if (child.error) console.error(`Could not start ${command}: ${child.error.message}`);
  if (child.signal) console.error(`${command} was killed by ${child.signal}`);
  return child.status === 0;
}

interface Step {
  name: string;
  selected: boolean;
  /** Why the step cannot run here, or undefined to run it. */
  skipReason?: string;
  command: () => boolean;
}

const vitestProjects = [
  ...(only.has("unit") ? ["unit"] : []),
  ...(only.has("integration") ? ["integration-pglite", ...(testDatabaseUrl ? ["integration-postgres"] : [])] : []),
];
/** Runs these vitest projects, writing the machine-readable results the closing line sums. */
const vitest = (projects: string[], jsonFile: string) =>
  run(bin("vitest"), [
    "run",
    "--config",
    VITEST_CONFIG,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${jsonFile}`,
    ...projects.flatMap((p) => ["--project", p]),
  ]);

const vitestLabel = `vitest (${vitestProjects.join(", ")})`;

const steps: Step[] = [
  {
    name: "typecheck (tsc --noEmit)",
    selected: only.has("typecheck"),
    command: () => run(bin("tsc"), ["--noEmit"]),
  },
  {
    name: "lint (eslint --max-warnings=0 .)",
    selected: only.has("lint"),
    skipReason: existsSync(path.join(root, "eslint.config.mjs")) ? undefined : "lint is not configured (no eslint.config.mjs)",
    command: () => run(bin("eslint"), ["--max-warnings=0", "."]),
  },
  {
    name: vitestLabel,
    selected: vitestProjects.length > 0,
    command: () => vitest(vitestProjects, VITEST_JSON),
  },
  {
    name: "production (standalone build + smoke, config, two instances)",
    selected: only.has("production"),
    skipReason: testDatabaseUrl ? undefined : "set TEST_DATABASE_URL (the built server runs against fresh Postgres databases)",
    command: () => vitest(["production"], PRODUCTION_JSON),
  },
  {
    name: "bench (npm run bench -- --smoke)",
    selected: only.has("bench"),
    skipReason: testDatabaseUrl ? undefined : "set TEST_DATABASE_URL (the bench makes its own Postgres database next to it)",
    // The bench creates and drops its own database through this connection.
    command: () => run(bin("tsx"), ["bench/run.ts", "--smoke"], { BENCH_DATABASE_URL: process.env.BENCH_DATABASE_URL || testDatabaseUrl }),
  },
  {
    name: "e2e (playwright test)",
    selected: only.has("e2e"),
    skipReason: existsSync(path.join(root, PLAYWRIGHT_CONFIG)) ? undefined : `no ${PLAYWRIGHT_CONFIG}`,
    command: () => run(bin("playwright"), ["test", "--config", PLAYWRIGHT_CONFIG, "--reporter=list,json"]),
  },
];

let failed = false;
for (const step of steps) {
  if (!step.selected) {
    results.push({ name: step.name, status: "not selected" });
    continue;
  }
  if (failed) {
    results.push({ name: step.name, status: "not run", note: "an earlier step failed" });
    continue;
  }
  header(step.name);
  if (step.skipReason) {
    console.log(`SKIPPED: ${step.skipReason}${ci ? " — CI=true, so this is a failure." : ""}`);
    results.push({ name: step.name, status: ci ? "failed" : "skipped", note: step.skipReason });
    if (ci) failed = true;
    continue;
  }
  const started = Date.now();
  const ok = step.command();
  results.push({ name: step.name, status: ok ? "passed" : "failed", seconds: (Date.now() - started) / 1000 });
  if (!ok) failed = true;
}

// The Postgres half of the integration tests runs inside the vitest step; report it on its own line.
if (only.has("integration")) {
  const vitest = results.find((r) => r.name === vitestLabel);
  if (testDatabaseUrl) {
    results.push({ name: "Postgres integration", status: vitest?.status ?? "not run", note: "TEST_DATABASE_URL is set" });
  } else {
    results.push({ name: "Postgres integration", status: ci ? "failed" : "skipped", note: "set TEST_DATABASE_URL" });
    if (ci) failed = true;
  }
}

header("Summary");
const width = Math.max(...results.map((r) => r.name.length));
for (const r of results) {
  const time = r.seconds !== undefined ? ` in ${r.seconds.toFixed(1)}s` : "";
  const note = r.note ? ` (${r.note})` : "";
  console.log(`  ${r.name.padEnd(width)}  ${r.status.toUpperCase()}${time}${note}`);
}
const skipped = results.filter((r) => r.status === "skipped");
if (skipped.length) console.log(`\n  ${skipped.length} step(s) skipped — CI (CI=true) treats a skipped step as a failure.`);
if (!testDatabaseUrl && only.has("integration"))
  console.log(
    `\n  Postgres integration: ${ci ? "FAILED — CI requires it" : "SKIPPED"} (set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres)`,
  );
console.log(failed ? "\nnpm test: FAILED" : "\nnpm test: all selected steps passed");

// One closing line over every test case that ran (vitest + Playwright), in the plain "N passed, N failed" form.
function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path.join(root, file), "utf8"));
  } catch {
    return undefined;
  }
}
const counts = { passed: 0, failed: 0, skipped: 0 };
for (const file of [VITEST_JSON, PRODUCTION_JSON]) {
  const vitestJson = readJson(file) as { numPassedTests?: number; numFailedTests?: number; numPendingTests?: number; numTodoTests?: number } | undefined;
  if (!vitestJson) continue;
  counts.passed += vitestJson.numPassedTests ?? 0;
  counts.failed += vitestJson.numFailedTests ?? 0;
  counts.skipped += (vitestJson.numPendingTests ?? 0) + (vitestJson.numTodoTests ?? 0);
}
const playwrightJson = readJson(PLAYWRIGHT_JSON) as { stats?: { expected?: number; unexpected?: number; flaky?: number; skipped?: number } } | undefined;
if (playwrightJson?.stats) {
  counts.passed += (playwrightJson.stats.expected ?? 0) + (playwrightJson.stats.flaky ?? 0);
  counts.failed += playwrightJson.stats.unexpected ?? 0;
  counts.skipped += playwrightJson.stats.skipped ?? 0;
}
// A step that failed before writing its results still fails the run, whatever the counts say.
if (failed && counts.failed === 0) counts.failed = 1;
console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(failed ? 1 : 0);
