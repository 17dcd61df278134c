// Vitest for Service Desk: `vitest --config tests/vitest.config.ts` (scripts/test.ts runs it).
//   unit                  tests/unit, no database
//   integration-pglite    tests/integration on an in-memory PGlite per test file (always)
//   integration-postgres  the same files on a fresh database of the server in TEST_DATABASE_URL (only when set)
//   production            the standalone build against fresh databases on TEST_DATABASE_URL's server (only when
//                         named: `--project production`, since it builds the app first)
import { fileURLToPath } from "node:url";
import type { Reporter } from "vitest/reporters";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("..", import.meta.url));
const integrationFiles = ["tests/integration/**/*.test.ts"];
const testDatabaseUrl = process.env.TEST_DATABASE_URL?.trim() || undefined;
const ci = process.env.CI === "true" || process.env.CI === "1";

// Environment of the integration workers: never the developer's own database or secret.
const integrationEnv = {
  NODE_ENV: "test" as const,
  AUTH_SECRET: "test-auth-secret",
  PGLITE_DATA_DIR: "memory://",
  DATABASE_URL: "",
};

const SKIP_NOTICE = [
  "",
  "#".repeat(78),
  "#  Postgres integration tests SKIPPED: set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres",
  "#  (a fresh database is created on that server for the run and dropped afterwards).",
  "#".repeat(78),
  "",
].join("\n");

// Only nag when integration tests are part of this run (`--project unit` alone does not need Postgres).
const projectArgs = process.argv.flatMap((arg, i, all) =>
  arg === "--project" ? [all[i + 1] ?? ""] : arg.startsWith("--project=") ? [arg.slice("--project=".length)] : [],
);
const runsIntegration = projectArgs.length === 0 || projectArgs.some((p) => p.includes("integration"));
const runsProduction = projectArgs.includes("production");

if (!testDatabaseUrl && ci && runsIntegration)
  throw new Error(
    "CI=true but TEST_DATABASE_URL is not set: the Postgres integration tests must run in CI " +
      "(e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres).",
  );

const skipNotice: Reporter = {
  onInit() {
    if (!testDatabaseUrl && runsIntegration) console.warn(SKIP_NOTICE);
  },
  onTestRunEnd() {
    if (!testDatabaseUrl && runsIntegration) console.warn(SKIP_NOTICE);
  },
};

export default defineConfig({
  root,
  resolve: {
    alias: [
      { find: /^@\//, replacement: `${root}` },
      { find: /^server-only$/, replacement: `${root}tests/setup/server-only.ts` },
    ],
  },
  test: {
    // 2-core machines; each integration worker holds an in-memory PGlite (~100 MB).
    maxWorkers: 2,
    reporters: ["default", skipNotice],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"], environment: "node" },
      },
      {
        extends: true,
        test: {
          name: "integration-pglite",
          include: integrationFiles,
          environment: "node",
          env: integrationEnv,
          setupFiles: ["tests/setup/pglite.ts"],
        },
      },
      ...(testDatabaseUrl
        ? [
            {
              extends: true as const,
              test: {
                name: "integration-postgres",
                include: integrationFiles,
                environment: "node" as const,
                env: { ...integrationEnv, TEST_DATABASE_URL: testDatabaseUrl },
                globalSetup: ["tests/setup/postgres-global.ts"],
                setupFiles: ["tests/setup/postgres.ts"],
              },
            },
          ]
        : []),
      ...(runsProduction
        ? [
            {
              extends: true as const,
              test: {
                name: "production",
                include: ["tests/production/**/*.test.ts"],
                environment: "node" as const,
                // The test process only builds requests and reads the databases; the servers get their own settings.
                env: { NODE_ENV: "test" as const, DATABASE_URL: "", PGLITE_DATA_DIR: "memory://" },
                globalSetup: ["tests/production/global-setup.ts"],
                // Each file runs real servers on fixed ports: one file at a time on these 2-core machines.
                fileParallelism: false,
                testTimeout: 120_000,
                hookTimeout: 180_000,
              },
            },
          ]
        : []),
    ],
  },
});
