// Intake measurement: the built app's SendGrid webhook against the bare baseline server, loaded by the same
// generator with the same kind of mail, in alternating rounds; peak RSS of the app process while it works.
import { readFileSync, writeFileSync } from "node:fs";
import { runLoad, type LoadResult, type PreparedRequest } from "./load";

export interface IntakeRounds {
  app: LoadResult[];
  baseline: LoadResult[];
  /** Highest resident set size of the app process during its rounds, in bytes. */
  appPeakRss: number;
}

function procStatus(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Forgets the process's high-water mark so that VmHWM covers only what follows (Linux: clear_refs 5). */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

export async function intakeRounds(options: {
  appUrl: string;
  baselineUrl: string;
  appPid: number;
  appPosts: PreparedRequest[][];
  baselinePosts: PreparedRequest[][];
  concurrency: number;
}): Promise<IntakeRounds> {
  const accept = (body: string) => {
    try {
      return (JSON.parse(body) as { status?: string }).status === "created_issue";
    } catch {
      return false;
    }
  };
  const result: IntakeRounds = { app: [], baseline: [], appPeakRss: 0 };
  const hwm = resetPeak(options.appPid);
  // Sampling as well: it works where clear_refs is not allowed, and catches the peak either way.
  const sampler = setInterval(() => {
    result.appPeakRss = Math.max(result.appPeakRss, procStatus(options.appPid, "VmRSS") ?? 0);
  }, 50);
  try {
    for (let round = 0; round < options.appPosts.length; round++) {
      result.app.push(await runLoad(options.appUrl, options.appPosts[round], { concurrency: options.concurrency, accept }));
      result.baseline.push(await runLoad(options.baselineUrl, options.baselinePosts[round], { concurrency: options.concurrency, accept }));
    }
  } finally {
    clearInterval(sampler);
  }
  if (hwm) result.appPeakRss = Math.max(result.appPeakRss, procStatus(options.appPid, "VmHWM") ?? 0);
  return result;
}
