// The app as a self-hoster runs it: `npm run build` (standalone output, assets copied), then
// `node .next/standalone/server.js` with production settings. Production smoke tests and the bench use it.
// SERVICE_DESK_REUSE_BUILD=1 keeps whatever standalone build exists (for iterating on tests while the app's
// sources change underneath); otherwise a build is reused only while the build inputs are unchanged.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { processAlive } from "@/lib/db/embedded-lock";

const root = path.resolve(__dirname, "../..");
const standaloneDir = path.join(root, ".next", "standalone");
const stampFile = path.join(standaloneDir, ".service-desk-sources");
const lockDir = path.join(root, ".tmp", "production-build.lock");

// What `next build` reads. Tests, docs, the bench and the CLI are not part of the server, so editing them
// does not force a rebuild.
const BUILD_INPUTS = [
  "app/",
  "lib/",
  "emails/",
  "public/",
  "prisma/",
  "instrumentation.ts",
  "proxy.ts",
  "middleware.ts",
  "next.config.mjs",
  "postcss.config.mjs",
  "tsconfig.json",
  "package.json",
  "package-lock.json",
  "scripts/standalone-assets.mjs",
];

/** A digest of every build input (tracked or new, not ignored) — the build is reused while it matches. */
function sourceDigest(): string {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ...BUILD_INPUTS], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const hash = createHash("sha256");
  for (const file of [...new Set(listed.stdout.split("\0").filter(Boolean))].sort()) {
    const full = path.join(root, file);
    if (!existsSync(full)) continue; // deleted but still in the index
    hash.update(file).update("\0").update(readFileSync(full)).update("\0");
  }
  return hash.digest("hex");
}

const hasBuild = () => existsSync(path.join(standaloneDir, "server.js")) && existsSync(path.join(standaloneDir, ".next", "static"));

function builtDigest(): string | undefined {
  if (!hasBuild()) return undefined;
  return existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One build at a time across processes (the smoke test and the bench may both ask): a directory as a lock. */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let holder = 0;
      try {
        holder = Number.parseInt(readFileSync(path.join(lockDir, "pid"), "utf8"), 10);
      } catch {
        // the holder has made the directory but not yet written its pid
      }
      if (holder && !processAlive(holder)) rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another process (pid ${holder}) has held ${lockDir} for 15 minutes`);
      else await sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function runBuild(): Promise<void> {
  // The build must not need or touch a database: it gets an embedded-database directory that must still not
  // exist afterwards (a build opening it would fight a running dev server for it).
  const probe = mkdtempSync(path.join(tmpdir(), "service-desk-build-"));
  const pgliteDir = path.join(probe, "pglite");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    // scripts/test.ts runs `tsc --noEmit` over the same sources before this step.
    SERVICE_DESK_BUILD_SKIP_TYPECHECK: "1",
    DATABASE_URL: "",
    PGLITE_DATA_DIR: pgliteDir,
  };
  delete env.NEXT_DIST_DIR; // the E2E dev server's build folder; the standalone output lives in .next
  return new Promise<void>((resolve, reject) => {
    const child = spawn("npm", ["run", "build", "--silent"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const touched = existsSync(pgliteDir) || existsSync(`${pgliteDir}.lock`);
      rmSync(probe, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`npm run build failed (exit ${code}):\n${output.slice(-6000)}`));
      if (touched) return reject(new Error(`npm run build opened the embedded database (${pgliteDir}); nothing may touch a database at build time`));
      resolve();
    });
  });
}

let building: Promise<{ dir: string }> | undefined;

/**
 * Builds the standalone server once for the current sources (`npm run build`), or reuses the build whose
 * sources match. Returns the standalone folder (with `server.js`, `.next/static` and `public` in it). Checked
 * once per process: servers started later in the same run use the same build even if sources change meanwhile.
 */
export function ensureProductionBuild(): Promise<{ dir: string }> {
  building ??= withBuildLock(async () => {
    const digest = sourceDigest();
    const reuseAny = process.env.SERVICE_DESK_REUSE_BUILD === "1" && hasBuild();
    if (!reuseAny && builtDigest() !== digest) {
      rmSync(stampFile, { force: true });
      await runBuild();
      writeFileSync(stampFile, `${digest}\n`);
    }
    return { dir: standaloneDir };
  });
  // A failed build is not remembered: the next call tries again.
  building.catch(() => (building = undefined));
  return building;
}

export interface ProductionServer {
  url: string;
  pid: number;
  /** Everything the server printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  stop(): Promise<void>;
  /** Sends a signal to the server (e.g. SIGKILL to make it die mid-work). */
  kill(signal: NodeJS.Signals): void;
  /** Resident memory of the server process and its children, in bytes (Linux /proc). */
  rssBytes(): number;
}

export interface ProductionServerOptions {
  port: number;
  /** The app's settings (DATABASE_URL, AUTH_SECRET, APP_URL, …); the parent's environment is not passed on. */
  env: Record<string, string | undefined>;
  /** Extra Node options for the server process (e.g. `--cpu-prof` for the bench's profile). */
  nodeArgs?: string[];
}

/**
 * The Node options `npm start` gives the server (package.json), so tests and the bench run it as deployed:
 * e.g. the heap limit that keeps its memory in budget (docs/PERFORMANCE.md).
 */
function startNodeOptions(): string[] {
  const start = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith("--"));
}

// Only what any process needs from the parent: the app's configuration comes from `env` alone, so a test
// never leaks its own DATABASE_URL or secrets into the server by accident.
function baseEnv(): Record<string, string | undefined> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "TZ", "SYSTEMROOT"];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

function spawnServer(dir: string, { port, env, nodeArgs = [] }: ProductionServerOptions): { child: ChildProcess; output: () => string; exited: ProductionServer["exited"] } {
  const childEnv: NodeJS.ProcessEnv = {
    ...baseEnv(),
    NEXT_TELEMETRY_DISABLED: "1",
    ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)),
    NODE_ENV: "production",
    PORT: String(port),
    HOSTNAME: "127.0.0.1",
  };
  // Its own process group, so stopping it also stops anything it started.
  const child = spawn(process.execPath, [...startNodeOptions(), ...nodeArgs, path.join(dir, "server.js")], { cwd: dir, env: childEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const reap = () => signalGroup(child, "SIGKILL");
  process.once("exit", reap);
  void exited.then(() => process.removeListener("exit", reap));
  return { child, output: () => output, exited };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Resident memory of `pid` and its descendants, read from /proc. */
function treeRss(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  let total = 0;
  const queue = [pid];
  while (queue.length) {
    const current = queue.shift()!;
    try {
      const status = readFileSync(`/proc/${current}/status`, "utf8");
      total += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      continue;
    }
    queue.push(...(children.get(current) ?? []));
  }
  return total;
}

/**
 * Starts the standalone server (building it first if needed) and resolves once `/api/health` answers 200.
 * Rejects with the server's output if it exits or stays unhealthy for 60 s.
 */
export async function startProductionServer(options: ProductionServerOptions): Promise<ProductionServer> {
  const { dir } = await ensureProductionBuild();
  const { child, output, exited } = spawnServer(dir, options);
  const url = `http://127.0.0.1:${options.port}`;
  let gone: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((result) => (gone = result));
  const stop = async () => {
    signalGroup(child, "SIGTERM");
    const timer = setTimeout(() => signalGroup(child, "SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 60_000;
  let last = "no answer";
  for (;;) {
    if (gone) throw new Error(`the production server exited (code ${gone.code}, signal ${gone.signal}) before it was healthy:\n${output()}`);
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) });
      if (response.status === 200) break;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the production server at ${url} was not healthy within 60 s (last: ${last}):\n${output()}`);
    }
    await sleep(250);
  }

  return {
    url,
    pid: child.pid!,
    output,
    exited,
    stop,
    kill: (signal) => signalGroup(child, signal),
    rssBytes: () => treeRss(child.pid!),
  };
}

/**
 * Runs the standalone server with a configuration it should refuse, and returns how it ended. Stops it (and
 * says so in `timedOut`) if it is still running after `timeoutMs`.
 */
export async function runProductionServerUntilExit(
  options: ProductionServerOptions & { timeoutMs?: number },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; timedOut: boolean }> {
  const { dir } = await ensureProductionBuild();
  const { child, output, exited } = spawnServer(dir, options);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(child, "SIGKILL");
  }, options.timeoutMs ?? 30_000);
  const result = await exited;
  clearTimeout(timer);
  return { ...result, output: output(), timedOut };
}
