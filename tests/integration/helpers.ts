// Fixtures for integration tests. Every name is random, so test files can share one Postgres database and run
// in parallel without relying on an empty database.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect } from "vitest";
import type { Actor } from "@/lib/auth/actor";
import type { Role } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { resetEnv } from "@/lib/env";
import { AppError, type ErrorCode } from "@/lib/errors";
import { addMember } from "@/lib/data/members";
import { createProject } from "@/lib/data/projects";
import { createUser } from "@/lib/data/users";

/** Which database this worker runs on (the integration project sets DATABASE_URL only for Postgres). */
export const backend: "postgres" | "pglite" = process.env.DATABASE_URL ? "postgres" : "pglite";

export const uid = (bytes = 5) => randomBytes(bytes).toString("hex");

export const uniqueEmail = (label = "user") => `${label.toLowerCase()}-${uid()}@example.test`;

/** Just the Actor fields (what the app passes around), not the whole user row. */
export const toActor = ({ id, email, username, name, isAdmin }: Actor): Actor => ({ id, email, username, name, isAdmin });

/** A new user (not a member of anything) as the acting user of the data functions. */
export async function makeUser(label = "user", options: { isAdmin?: boolean; name?: string } = {}): Promise<Actor> {
  const user = await createUser({ email: uniqueEmail(label), name: options.name ?? label, isAdmin: options.isAdmin });
  return toActor(user);
}

/** A unique, valid `namespace/path` pair. */
export function uniqueProjectPath(prefix = "p") {
  return { namespace: `${prefix}-${uid()}`, path: `svc-${uid(3)}` };
}

export type ActorName = "anon" | "nonMember" | "guest" | "reporter" | "developer" | "maintainer" | "owner";

export const MEMBER_ROLES: Record<Exclude<ActorName, "anon" | "nonMember" | "owner">, Role> = {
  guest: "GUEST",
  reporter: "REPORTER",
  developer: "DEVELOPER",
  maintainer: "MAINTAINER",
};

export interface ProjectFixture {
  fullPath: string;
  projectId: number;
  actors: Record<ActorName, Actor | null> & { owner: Actor; maintainer: Actor; nonMember: Actor; guest: Actor };
}

/** A project created by its Owner, with one member of each other role and a signed-in non-member. */
export async function makeProjectWithMembers(): Promise<ProjectFixture> {
  const owner = await makeUser("owner");
  const project = await createProject(owner, uniqueProjectPath());
  const actors = { anon: null, owner, nonMember: await makeUser("outsider") } as Record<ActorName, Actor | null>;
  for (const [name, role] of Object.entries(MEMBER_ROLES)) {
    const user = await makeUser(name);
    await addMember(owner, project.fullPath, user.email, role);
    actors[name as ActorName] = user;
  }
  return { fullPath: project.fullPath, projectId: project.id, actors: actors as ProjectFixture["actors"] };
}

/** Adds a fresh user with `role` (through the Owner) and returns them. */
export async function addFreshMember(fixture: ProjectFixture, role: Role, label = role.toLowerCase()): Promise<Actor> {
  const user = await makeUser(label);
  await addMember(fixture.actors.owner, fixture.fullPath, user.email, role);
  return user;
}

/** The AppError a promise rejects with (fails the test if it resolves or throws anything else). */
export async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected an AppError, got a result: ${JSON.stringify(value)?.slice(0, 200)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** "ok" when the promise resolves, else the AppError code (other errors fail the test). */
export async function outcome(promise: Promise<unknown>): Promise<"ok" | ErrorCode> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

export async function membershipRole(projectId: number, userId: string): Promise<Role | null> {
  const row = await db().membership.findUnique({ where: { projectId_userId: { projectId, userId } }, select: { role: true } });
  return row?.role ?? null;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sets environment variables for the enclosing describe block (undefined unsets one) and puts the previous
 * values back afterwards; the validated env() is re-read both times.
 */
export function withEnv(vars: Record<string, string | undefined>) {
  const saved: Record<string, string | undefined> = {};
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    resetEnv();
  };
  beforeAll(() => {
    for (const key of Object.keys(vars)) saved[key] = process.env[key];
    apply(vars);
  });
  afterAll(() => apply(saved));
}

/** Every kind of actor, in rank order, for table-driven authorization tests. */
export const ALL_ACTORS: ActorName[] = ["anon", "nonMember", "guest", "reporter", "developer", "maintainer", "owner"];

/** Expected outcome of a Maintainer-and-up function: below Maintainer it is not theirs to know about (404). */
export const MAINTAINER_ONLY: Record<ActorName, string> = {
  anon: "unauthorized",
  nonMember: "not_found",
  guest: "not_found",
  reporter: "not_found",
  developer: "not_found",
  maintainer: "ok",
  owner: "ok",
};
