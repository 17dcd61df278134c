// Users: creation (sign-up, invitations, CLI) with a unique GitLab-style username.
import { actorSelect, type Actor } from "@/lib/auth/actor";
import { db, type Db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import { emailSchema } from "@/lib/schemas";

type Tx = Pick<Db, "user">;

function baseUsername(email: string): string {
  const local = email.split("@")[0].toLowerCase().replace(/\+.*$/, "");
  const cleaned = local.replace(/[^a-z0-9_.-]+/g, "-").replace(/^[._-]+|[._-]+$/g, "");
  return (cleaned || "user").slice(0, 60);
}

/**
 * Whether `error` is a unique-constraint violation (optionally: on the database column `field`, e.g. "full_path").
 * Only the constraint's own columns and name are compared — Prisma's message quotes the caller's source code, which names every field.
 */
/** The columns of a Postgres unique violation's DETAIL ("Key (a, b)=(…) already exists."). */
function keyColumns(detail: string | undefined): string[] {
  return detail?.match(/Key \(([^)]+)\)/)?.[1].split(", ") ?? [];
}

export function isUniqueViolation(error: unknown, field?: string): boolean {
  // A raw query's failure (lib/db/sql.ts on PGlite) arrives as P2010 wrapping the driver adapter's error.
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2010") {
    const inner = (error.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError;
    return inner !== undefined && inner !== error && isUniqueViolation(inner, field);
  }
  let where: { fields: string[]; text: string } | undefined;
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
    const meta = (error.meta ?? {}) as { target?: unknown; driverAdapterError?: { cause?: { constraint?: { fields?: string[]; index?: string }; originalMessage?: string } } };
    const cause = meta.driverAdapterError?.cause;
    const target = Array.isArray(meta.target) ? meta.target.map(String) : typeof meta.target === "string" ? [meta.target] : [];
    where = { fields: [...target, ...(cause?.constraint?.fields ?? [])], text: `${cause?.constraint?.index ?? ""} ${cause?.originalMessage ?? ""}` };
  } else if (error instanceof Error && error.name === "DriverAdapterError") {
    // pglite-prisma-adapter 0.6 does not map Postgres errors to Prisma's kinds: on embedded PGlite a unique
    // violation arrives as a DriverAdapterError whose cause is the raw Postgres error (SQLSTATE 23505), not P2002.
    const cause = error.cause as { kind?: string; code?: string; message?: string; detail?: string } | undefined;
    if (cause?.kind === "postgres" && cause.code === "23505") {
      where = { fields: keyColumns(cause.detail), text: cause.message ?? "" };
    }
  } else if (error instanceof Error && (error as { code?: unknown }).code === "23505") {
    // Plain SQL on Postgres (lib/db/sql.ts): node-postgres's own error, with the constraint's name.
    const pgError = error as Error & { constraint?: string; detail?: string };
    where = { fields: keyColumns(pgError.detail), text: `${pgError.constraint ?? ""} ${pgError.message}` };
  }
  if (!where) return false;
  if (!field) return true;
  // The constraint name (e.g. users_username_key) when the driver reports no columns.
  return where.fields.includes(field) || new RegExp(`_${field}_key\\b`).test(where.text);
}

export interface NewUser {
  email: string;
  name?: string | null;
  isAdmin?: boolean;
  emailVerified?: Date | null;
  image?: string | null;
}

// Names that would pass for the system's own accounts.
const RESERVED_USERNAMES = new Set(["support-bot", "ghost", "admin", "root", "system"]);

/** Picks `name`, `name2`, … — the first username not taken (or reserved) yet. */
async function freeUsername(base: string, tx: Tx): Promise<string> {
  const taken = new Set(
    (await tx.user.findMany({ where: { username: { startsWith: base } }, select: { username: true } })).map((u) => u.username),
  );
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}${n}`;
    if (!taken.has(candidate) && !RESERVED_USERNAMES.has(candidate)) return candidate;
  }
}

/** Creates a user with a unique username derived from the email address. */
export async function createUser(input: NewUser, tx: Tx = db()) {
  const parsed = emailSchema.safeParse(input.email);
  if (!parsed.success)
    throw new AppError("bad_request", `Invalid email address: ${input.email}`, { email: "Enter a valid email address." });
  const email = parsed.data;
  if (await tx.user.findUnique({ where: { email }, select: { id: true } }))
    throw new AppError("conflict", `A user with email ${email} already exists.`, { email: "This email address is already registered." });
  // Two sign-ups racing for the same username: the loser picks again (outside transactions this is safe to retry).
  for (let attempt = 0; ; attempt++) {
    const username = await freeUsername(baseUsername(email), tx);
    try {
      return await tx.user.create({
        data: {
          email,
          username,
          name: input.name ?? null,
          isAdmin: input.isAdmin ?? false,
          emailVerified: input.emailVerified ?? null,
          image: input.image ?? null,
        },
      });
    } catch (error) {
      if (attempt >= 3 || !isUniqueViolation(error)) throw error;
    }
  }
}

/**
 * Makes a user whose address is in ADMIN_EMAILS an instance admin (called at sign-in), so a hosted deploy needs
 * no CLI against its database. Only ever grants: removing an address from the list takes nothing away.
 */
export async function grantListedAdmin(user: { id: string; email?: string | null }): Promise<void> {
  const email = user.email?.trim().toLowerCase();
  if (!email || !env().ADMIN_EMAILS.includes(email)) return;
  await db().user.updateMany({ where: { id: user.id, email, isAdmin: false, isBot: false }, data: { isAdmin: true } });
}

export async function findActorByEmail(email: string): Promise<Actor | null> {
  return db().user.findUnique({ where: { email: email.trim().toLowerCase() }, select: actorSelect });
}

export async function findActorById(id: string): Promise<Actor | null> {
  return db().user.findFirst({ where: { id, isBot: false }, select: actorSelect });
}

/** The user of a database session while it lasts (not signed out, not expired), for long-lived requests. */
export async function findActorBySessionToken(sessionToken: string, now = new Date()): Promise<Actor | null> {
  const session = await db().session.findUnique({ where: { sessionToken }, select: { expires: true, userId: true } });
  if (!session || session.expires <= now) return null;
  return findActorById(session.userId);
}

/** The signed-in user's own profile (GET /api/v4/user): their account, never someone else's. */
export async function getCurrentUser(actor: Actor | null) {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  const user = await db().user.findUnique({
    where: { id: actor.id },
    select: { id: true, username: true, name: true, email: true, isAdmin: true, isBot: true, createdAt: true },
  });
  if (!user) throw new AppError("unauthorized", "Sign in to continue.");
  return user;
}

