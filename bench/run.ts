// `npm run bench [-- --smoke]`: measures intake, tracker, thread and outbox against the bare stack on a fresh
// Postgres database, prints each figure with its ratio, budget and PASS/FAIL, and writes bench/results.json.
// The exit code says whether something broke (an error, a wrong page, a failed request), never a missed budget.
// Ports 3600–3699. Postgres: BENCH_DATABASE_URL (an admin URL), default postgresql://postgres@127.0.0.1:5432/postgres.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { intakeRounds } from "./intake";
import { runLoad, type LoadResult } from "./load";
import { sendRawPosts } from "./mail";
import { outboxRun, rawSdkRun } from "./outbox";
import { timePages, type PageTarget } from "./pages";
import type { FakeSendGrid } from "@/tests/support/sendgrid-server";
import { createBenchDatabase, DEFAULT_ADMIN_URL, makeFixtures, RARE_WORD, seedThread, seedTracker, seedWatchers, type BenchDatabase, type BenchProject, type Fixtures } from "./setup";
import { median, round } from "./stats";

const PORTS = { app: 3601, baseline: 3602, sendgrid: 3603, unsent: 3604 };

const FULL = {
  trackerSmall: 1_000,
  trackerLarge: 100_000,
  threadSmall: 10,
  threadLarge: 1_000,
  pageWarmup: 5,
  pageRuns: 15,
  intakeWarmup: 64,
  intakePerRound: 400,
  intakeRounds: 3,
  concurrency: 32,
  outboxMails: 500,
  outboxRounds: 3,
  watchers: 200,
  watchPerRound: 40,
  watchRounds: 3,
};

const SMOKE: typeof FULL = {
  trackerSmall: 100,
  trackerLarge: 1_000,
  threadSmall: 10,
  threadLarge: 100,
  pageWarmup: 1,
  pageRuns: 3,
  intakeWarmup: 8,
  intakePerRound: 48,
  intakeRounds: 1,
  concurrency: 32,
  outboxMails: 50,
  outboxRounds: 1,
  watchers: 200,
  watchPerRound: 8,
  watchRounds: 1,
};

interface Line {
  part: string;
  measure: string;
  value: string;
  reference: string;
  ratio: number | null;
  budget: string;
  pass: boolean;
}

const fmt = (n: number, unit = "") => `${round(n, n >= 100 ? 0 : n >= 10 ? 1 : 2)}${unit}`;

function ratioLine(part: string, measure: string, value: number, reference: number, unit: string, max: number | null, min: number | null): Line {
  const ratio = value / reference;
  const budget = max !== null ? `≤ ${max}` : `≥ ${min}`;
  return { part, measure, value: fmt(value, unit), reference: fmt(reference, unit), ratio, budget, pass: max !== null ? ratio <= max : ratio >= min! };
}

function log(message: string) {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function printTable(lines: Line[]) {
  const head = ["Measure", "Value", "Reference", "Ratio", "Budget", "Result"];
  const rows = lines.map((l) => [l.measure, l.value, l.reference, l.ratio === null ? "—" : fmt(l.ratio), l.budget, l.pass ? "PASS" : "FAIL"]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
}

/** The baseline server as its own process (like the app), ready once it prints its port. */
async function startBaseline(databaseUrl: string, projectId: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join("bench", "baseline-server.ts"), String(PORTS.baseline), databaseUrl, String(projectId)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`baseline server exited with ${code}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("listening")) resolve();
    });
  });
  return child;
}

function summariseLoad(results: LoadResult[]) {
  return {
    perSecond: median(results.map((r) => r.perSecond)),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    failures: results.flatMap((r) => r.failures).slice(0, 5),
  };
}

type Sizes = typeof FULL;

interface Context {
  n: Sizes;
  lines: Line[];
  details: Record<string, unknown>;
  fixtures: Fixtures;
  /** Set when something failed that is not a budget miss. */
  broken: string[];
}

/** 4. Outbox: in this process, as cron and the CLI call it. */
async function outboxPart({ n, lines, details }: Context, sendgrid: FakeSendGrid) {
  log("outbox");
  // One call at a time, as the outbox sends (a mail whose answer never comes must not hold others behind it).
  const concurrency = 1;
  await outboxRun(Math.min(20, n.outboxMails), "warm");
  await rawSdkRun(sendgrid, Math.min(20, n.outboxMails), "warm", concurrency);
  const outbox: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < n.outboxRounds; r++) {
    outbox.push(await outboxRun(n.outboxMails, `o${r}`));
    raw.push(await rawSdkRun(sendgrid, n.outboxMails, `r${r}`, concurrency));
  }
  details.outbox = { outboxPerSecond: outbox, rawSdkPerSecond: raw, concurrency, mails: n.outboxMails };
  lines.push(ratioLine("outbox", "Outbox drain mails/s (vs raw SDK)", median(outbox), median(raw), "/s", null, 0.7));
}

/** 2. Tracker and 3. thread: page server times for the signed-in Reporter. */
async function pagesPart({ n, lines, details, fixtures }: Context, base: string, threads: { short: number; long: number }) {
  log("pages");
  const { small, large } = fixtures.projects;
  const tracker = (project: BenchProject, query = "") => `${base}/${project.fullPath}/service-desk${query}`;
  // An open Service Desk request near the middle: the generator makes issue g a request when g % 3 = 0 and
  // closes it when g % 4 = 2 (the tracker shows open ones by default).
  const iidOf = (count: number) => Math.floor(count / 2 / 12) * 12;
  const targets: PageTarget[] = [
    { label: "page1-small", url: tracker(small), expect: "Service Desk" },
    { label: "page1-large", url: tracker(large), expect: "Service Desk" },
    { label: "iid-small", url: tracker(small, `?search=%23${iidOf(n.trackerSmall)}`), expect: `(seed ${iidOf(n.trackerSmall)})` },
    { label: "iid-large", url: tracker(large, `?search=%23${iidOf(n.trackerLarge)}`), expect: `(seed ${iidOf(n.trackerLarge)})` },
    { label: "text-small", url: tracker(small, `?search=${RARE_WORD}`), expect: `The ${RARE_WORD} widget` },
    { label: "text-large", url: tracker(large, `?search=${RARE_WORD}`), expect: `The ${RARE_WORD} widget` },
    { label: "thread-short", url: `${base}/${small.fullPath}/issues/${threads.short}`, expect: `Note ${n.threadSmall}:` },
    { label: "thread-long", url: `${base}/${small.fullPath}/issues/${threads.long}`, expect: `Note ${n.threadLarge}:` },
  ];
  const pages = new Map((await timePages(targets, fixtures.sessionToken, n.pageWarmup, n.pageRuns)).map((t) => [t.label, t]));
  details.pages = Object.fromEntries(pages);
  const page = (label: string) => pages.get(label)!;
  const [long, short] = [page("thread-long"), page("thread-short")];
  lines.push(
    ratioLine("tracker", `Tracker page 1 (${n.trackerLarge} vs ${n.trackerSmall} issues)`, page("page1-large").medianMs, page("page1-small").medianMs, " ms", 1.5, null),
    ratioLine("tracker", "Tracker #iid search", page("iid-large").medianMs, page("iid-small").medianMs, " ms", 1.5, null),
    ratioLine("tracker", "Tracker text search", page("text-large").medianMs, page("text-small").medianMs, " ms", 3, null),
    ratioLine("thread", `Thread page (${n.threadLarge} vs ${n.threadSmall} notes)`, long.medianMs, short.medianMs, " ms", 3, null),
    { part: "thread", measure: `Thread first view, ${n.threadLarge} notes (info)`, value: fmt(long.firstMs, " ms"), reference: fmt(short.firstMs, " ms"), ratio: long.firstMs / short.firstMs, budget: "—", pass: true },
  );
}

/** 1. Intake against the baseline, and 5. the app's peak RSS meanwhile. */
async function intakePart({ n, lines, details, fixtures, broken }: Context, appUrl: string, appPid: number) {
  log("intake: preparing mail");
  const { intake, baseline } = fixtures.projects;
  const rounds = async (to: string, tag: string) => {
    const all = [];
    for (let r = 0; r < n.intakeRounds; r++) all.push(await sendRawPosts(to, n.intakePerRound, `${tag}${r}`));
    return all;
  };
  const [appWarm, baseWarm] = [await sendRawPosts(intake.address, n.intakeWarmup, "aw"), await sendRawPosts(baseline.address, n.intakeWarmup, "bw")];
  const [appPosts, basePosts] = [await rounds(intake.address, "a"), await rounds(baseline.address, "b")];
  const baselineUrl = `http://127.0.0.1:${PORTS.baseline}/`;
  log("intake: warm-up");
  const warm = await intakeRounds({ appUrl, baselineUrl, appPid, appPosts: [appWarm], baselinePosts: [baseWarm], concurrency: n.concurrency });
  log(`intake: ${n.intakeRounds} round(s) of ${n.intakePerRound} mails each, ${n.concurrency} at a time`);
  const measured = await intakeRounds({ appUrl, baselineUrl, appPid, appPosts, baselinePosts: basePosts, concurrency: n.concurrency });
  const app = summariseLoad(measured.app);
  const base = summariseLoad(measured.baseline);
  const warmFailures = [...warm.app, ...warm.baseline].flatMap((r) => r.failures);
  details.intake = { app: measured.app, baseline: measured.baseline, warmup: { app: warm.app, baseline: warm.baseline }, concurrency: n.concurrency };
  if (app.non2xx || base.non2xx || warmFailures.length) broken.push(`intake requests failed: ${[...app.failures, ...base.failures, ...warmFailures].join(" | ")}`);
  lines.unshift(
    ratioLine("intake", "Intake emails/s (app vs baseline)", app.perSecond, base.perSecond, "/s", null, 0.5),
    ratioLine("intake", "Intake p99 latency", app.p99Ms, base.p99Ms, " ms", 2, null),
    { part: "intake", measure: "Intake p50 latency (info)", value: fmt(app.p50Ms, " ms"), reference: fmt(base.p50Ms, " ms"), ratio: app.p50Ms / base.p50Ms, budget: "—", pass: true },
    { part: "intake", measure: "Intake non-2xx answers", value: String(app.non2xx), reference: String(base.non2xx), ratio: null, budget: "= 0", pass: app.non2xx === 0 },
    {
      part: "rss",
      measure: "App peak RSS during intake",
      value: fmt(measured.appPeakRss / 1048576, " MB"),
      reference: "—",
      ratio: null,
      budget: "≤ 400 MB",
      pass: measured.appPeakRss > 0 && measured.appPeakRss <= 400 * 1048576,
    },
  );
}

/** Waits until the app has fanned out and sent everything queued (so one round's mail does not slow the next). */
async function quiet(timeoutMs = 300_000): Promise<number> {
  const { db } = await import("@/lib/db/client");
  const started = Date.now();
  for (;;) {
    const [row] = await db().$queryRawUnsafe<{ n: bigint }[]>(
      // Team mail only: the baseline server's outbox rows stay pending for ever (it never sends).
      "SELECT (SELECT count(*) FROM outbound_emails WHERE kind = 'team_notification' AND status IN ('pending', 'sending')) + (SELECT count(*) FROM issue_events WHERE status = 'pending') AS n",
    );
    if (Number(row.n) === 0 || Date.now() - started > timeoutMs) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Team notifications: new requests to a project with `watchers` watching members (each request becomes that
 * many queued mails, fanned out after the answer) against a project nobody watches, in alternating rounds, a
 * few at a time, each round started once the previous one's mail is sent. The budget: ≤ 20 % more time per mail.
 */
async function watchersPart({ n, lines, details, fixtures, broken }: Context, appUrl: string, mode: "queued" | "sent") {
  const { intake, watched } = fixtures.projects;
  log(`watchers (${mode}): ${n.watchRounds} round(s) of ${n.watchPerRound} requests, ${n.watchers} watching members`);
  const plain: LoadResult[] = [];
  const watching: LoadResult[] = [];
  const accept = (body: string) => body.includes('"created_issue"');
  let fanOutMs = 0;
  for (let r = 0; r < n.watchRounds; r++) {
    plain.push(await runLoad(appUrl, await sendRawPosts(intake.address, n.watchPerRound, `wp${mode}${r}`), { concurrency: 4, accept }));
    await quiet();
    watching.push(await runLoad(appUrl, await sendRawPosts(watched.address, n.watchPerRound, `ww${mode}${r}`), { concurrency: 4, accept }));
    fanOutMs += await quiet();
  }
  const { db } = await import("@/lib/db/client");
  const [mails] = await db().$queryRawUnsafe<{ n: bigint }[]>(
    "SELECT count(*) AS n FROM outbound_emails WHERE kind = 'team_notification' AND status = ANY($1::text[])",
    mode === "queued" ? ["dev"] : ["sent", "pending", "sending", "failed"],
  );
  const a = summariseLoad(watching);
  const b = summariseLoad(plain);
  details[`watchers_${mode}`] = { plain, watching, teamMails: Number(mails.n), drainMs: fanOutMs };
  if (a.non2xx || b.non2xx) broken.push(`watcher intake requests failed: ${[...a.failures, ...b.failures].join(" | ")}`);
  const expected = n.watchRounds * n.watchPerRound * n.watchers;
  if (Number(mails.n) < expected) broken.push(`watchers: ${Number(mails.n)} team mails queued, ${expected} expected`);
  if (mode === "queued")
    lines.push(
      ratioLine("watchers", `Intake p50, ${n.watchers} watchers vs none (mails queued)`, a.p50Ms, b.p50Ms, " ms", 1.2, null),
      { part: "watchers", measure: "Intake emails/s, watchers vs none, queued (info)", value: fmt(a.perSecond, "/s"), reference: fmt(b.perSecond, "/s"), ratio: a.perSecond / b.perSecond, budget: "—", pass: true },
      // The fan-out yields to the webhook answers and runs one event at a time: how long the team waits for its mail.
      { part: "watchers", measure: "Team mails queued after each round (info)", value: String(Number(mails.n)), reference: `${round(fanOutMs / 1000 / n.watchRounds, 1)} s per round of ${n.watchPerRound}`, ratio: null, budget: "—", pass: true },
    );
  else
    lines.push(
      { part: "watchers", measure: `Intake p50, ${n.watchers} watchers vs none, mails sent by the same process (info)`, value: fmt(a.p50Ms, " ms"), reference: fmt(b.p50Ms, " ms"), ratio: a.p50Ms / b.p50Ms, budget: "—", pass: true },
      { part: "watchers", measure: "Team mails sent (info)", value: String(Number(mails.n)), reference: `${round(fanOutMs / 1000, 1)} s to send`, ratio: null, budget: "—", pass: true },
    );
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { smoke: { type: "boolean", default: false }, only: { type: "string" }, profile: { type: "boolean", default: false } } });
  const mode = values.smoke ? "smoke" : "full";
  const n = values.smoke ? SMOKE : FULL;
  // `--only outbox,pages,intake`: a part of the bench, while working on it.
  const parts = new Set((values.only ?? "outbox,pages,intake,watchers").split(",").map((p) => p.trim()));
  // A bench script's own setting, like TEST_DATABASE_URL for the tests: the app's configuration stays in lib/env.ts.
  const adminUrl = process.env.BENCH_DATABASE_URL || DEFAULT_ADMIN_URL;
  const started = Date.now();
  const lines: Line[] = [];
  const details: Record<string, unknown> = {};
  const broken: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];

  try {
    log(`mode ${mode}; creating a fresh database on ${new URL(adminUrl).host}`);
    const database: BenchDatabase = await createBenchDatabase(adminUrl);
    cleanups.push(() => database.drop());
    const { startFakeSendGrid } = await import("@/tests/support/sendgrid-server");
    const sendgrid = await startFakeSendGrid("SG.bench-key", { port: PORTS.sendgrid });
    cleanups.push(() => sendgrid.close());
    const inboundSecret = randomBytes(16).toString("hex");
    const appEnv = {
      DATABASE_URL: database.url,
      AUTH_SECRET: randomBytes(32).toString("hex"),
      APP_URL: `http://127.0.0.1:${PORTS.app}`,
      SENDGRID_INBOUND_SECRET: inboundSecret,
      SENDGRID_API_KEY: sendgrid.apiKey,
      SENDGRID_API_BASE_URL: sendgrid.url,
      SENDGRID_FROM_EMAIL: "support@bench.example",
      NEXT_TELEMETRY_DISABLED: "1",
    };
    // This process uses the same database and mail settings through lib/ (fixtures, seeding, the outbox part).
    Object.assign(process.env, appEnv);
    const { closeDb } = await import("@/lib/db/client");
    cleanups.push(() => closeDb());

    log("fixtures and seed data");
    const fixtures = await makeFixtures();
    const context: Context = { n, lines, details, fixtures, broken };
    const { small, large, baseline } = fixtures.projects;
    const threads = { short: 0, long: 0 };
    if (parts.has("pages")) {
      await seedTracker(small.id, fixtures.owner.id, n.trackerSmall);
      const seedStart = Date.now();
      await seedTracker(large.id, fixtures.owner.id, n.trackerLarge);
      log(`seeded ${n.trackerLarge} issues in ${Date.now() - seedStart} ms`);
      threads.short = await seedThread(small.id, fixtures.owner.id, n.threadSmall);
      threads.long = await seedThread(small.id, fixtures.owner.id, n.threadLarge);
    }

    if (parts.has("outbox")) await outboxPart(context, sendgrid);

    if (parts.has("watchers")) await seedWatchers(fixtures.projects.watched.id, n.watchers);

    if (parts.has("pages") || parts.has("intake") || parts.has("watchers")) {
      log("production build (reused when the sources match)");
      const { ensureProductionBuild, startProductionServer } = await import("@/tests/support/production-server");
      await ensureProductionBuild();
      log("starting the app and the baseline server");
      // `--profile`: the app writes a V8 CPU profile when it stops; `npm run bench:profile` summarises it.
      const nodeArgs = values.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve("bench", "profiles")}`] : [];
      const app = await startProductionServer({ port: PORTS.app, env: appEnv, nodeArgs });
      cleanups.push(() => app.stop());
      const baselineServer = await startBaseline(database.url, baseline.id);
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            if (baselineServer.exitCode !== null) return resolve();
            baselineServer.once("exit", () => resolve());
            baselineServer.kill("SIGTERM");
          }),
      );
      try {
        if (parts.has("pages")) await pagesPart(context, app.url, threads);
        if (parts.has("intake")) await intakePart(context, `${app.url}/api/inbound/sendgrid?token=${inboundSecret}`, app.pid);
        if (parts.has("watchers")) {
          // The budget is for queuing (the issue: "the mails are queued, not sent, in the request"): an instance
          // without SENDGRID_API_KEY keeps every mail in the outbox as dev mail, so 200 sends per request do not
          // share its event loop. The info line below it says what sending them costs on top.
          const unsentEnv: Record<string, string | undefined> = { ...appEnv, APP_URL: `http://127.0.0.1:${PORTS.unsent}` };
          for (const key of ["SENDGRID_API_KEY", "SENDGRID_API_BASE_URL", "SENDGRID_FROM_EMAIL"]) delete unsentEnv[key];
          const unsent = await startProductionServer({ port: PORTS.unsent, env: unsentEnv });
          cleanups.push(() => unsent.stop());
          await watchersPart(context, `${unsent.url}/api/inbound/sendgrid?token=${inboundSecret}`, "queued");
          await watchersPart(context, `${app.url}/api/inbound/sendgrid?token=${inboundSecret}`, "sent");
        }
      } finally {
        // What the server said: the first thing to read when something broke.
        writeFileSync(path.join("bench", "app-output.log"), app.output());
      }
    }
  } catch (error) {
    broken.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  }

  const seconds = (Date.now() - started) / 1000;
  if (lines.length) printTable(lines);
  const results = {
    mode,
    date: new Date().toISOString(),
    seconds: round(seconds, 1),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: round(os.totalmem() / 2 ** 30, 1), node: process.version, loadAverage: os.loadavg().map((l) => round(l)) },
    sizes: n,
    lines,
    details,
    broken,
  };
  writeFileSync(path.join("bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const failed = lines.filter((l) => !l.pass).length;
  log(`${mode} run: ${lines.length - failed} PASS, ${failed} FAIL in ${round(seconds, 1)} s; bench/results.json written`);
  if (broken.length) {
    console.error(`BROKEN:\n${broken.join("\n")}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
