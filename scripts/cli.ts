// The admin CLI: `npm run cli -- <command>`. Works on the embedded database (when no server holds it) and on
// DATABASE_URL. Exit code 0 on success, 1 on failure, 2 on bad usage.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { Actor } from "@/lib/auth/actor";
import { parseRole, ROLE_LABELS, ROLES } from "@/lib/auth/roles";
import { closeDb, db, embeddedPGlite } from "@/lib/db/client";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import { deliverOutbox } from "@/lib/mail/outbox";
import { processInbound } from "@/lib/service-desk/intake";
import { connectPostgres, pgliteConnection } from "@/lib/db/connect";
import { migrate, migrationsCurrent } from "@/lib/db/migrate";
import { createAccessToken } from "@/lib/data/access-tokens";
import { describeErasure, eraseCustomer } from "@/lib/privacy/erase-customer";
import { exportCustomer } from "@/lib/privacy/export-customer";
import { addMember } from "@/lib/data/members";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { createUser, findActorByEmail } from "@/lib/data/users";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { splitFullPath } from "@/lib/schemas";

class UsageError extends Error {}

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  user:create <email> [--name N] [--admin]             create a user (they sign in with an email link)
  project:create <group/project> --owner <email> [--service-desk]
                                                       create a project owned by an existing user
  member:add <group/project> <email> <role>            add a member (role: ${ROLES.map((r) => ROLE_LABELS[r].toLowerCase()).join(", ")})
  mail:send <file.eml> [--url U] [--parsed] [--to ADDR]
                                                       post a mail to a running app exactly as SendGrid would
                                                       (Send Raw mode, or the default parsed mode with --parsed)
  inbound:replay <id> | --failed                       process stored inbound mail again
  token:create <email> [--name N] [--scope api|read_api] [--expires yyyy-mm-dd]
                                                       create a REST API token (printed as the last line)
  outbox:drain                                         send every due mail in the outbox
  customer:export <email>                              print everything held about a customer address (JSON)
  customer:erase <email>                               replace a customer address by a pseudonym everywhere,
                                                       delete their raw mail and attachments (audited)

Database: DATABASE_URL when set, else the embedded database in PGLITE_DATA_DIR (default .data/pglite).`;

// The CLI is run by whoever administers the server: it acts with an instance admin's rights.
const CLI_ACTOR: Actor = { id: "cli", email: "cli@localhost", username: "cli", name: "Admin CLI", isAdmin: true };

function positionals(args: string[], count: number, usage: string): string[] {
  if (args.length !== count) throw new UsageError(`Expected: ${usage}`);
  return args;
}

async function prepareDatabase() {
  const config = env();
  if (config.DATABASE_URL) {
    const conn = await connectPostgres(config.DATABASE_URL);
    try {
      if (!(await migrationsCurrent(conn)))
        throw new Error(`The database at DATABASE_URL is not migrated: run \`npm run db:migrate\` first.`);
    } finally {
      await conn.close();
    }
    return;
  }
  const pglite = embeddedPGlite()!;
  await migrate(pgliteConnection(pglite, config.PGLITE_DATA_DIR, false));
}

const commands: Record<string, (argv: string[]) => Promise<string>> = {
  async "user:create"(argv) {
    const { values, positionals: rest } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: "string" }, admin: { type: "boolean", default: false } },
    });
    const [email] = positionals(rest, 1, "user:create <email> [--name N] [--admin]");
    await prepareDatabase();
    const user = await createUser({ email, name: values.name, isAdmin: values.admin });
    return `Created user ${user.email} (@${user.username})${user.isAdmin ? " as instance admin" : ""}.`;
  },

  async "project:create"(argv) {
    const { values, positionals: rest } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { owner: { type: "string" }, "service-desk": { type: "boolean", default: false }, name: { type: "string" } },
    });
    const [fullPath] = positionals(rest, 1, "project:create <group/project> --owner <email> [--service-desk]");
    const parts = splitFullPath(fullPath);
    if (!parts) throw new UsageError(`Project path must look like group/project, got "${fullPath}".`);
    if (!values.owner) throw new UsageError("--owner <email> is required: the project needs an Owner.");
    await prepareDatabase();
    const owner = await findActorByEmail(values.owner);
    if (!owner) throw new Error(`No user with email ${values.owner}: create one with \`npm run cli -- user:create ${values.owner}\`.`);
    const project = await createProject(owner, { ...parts, name: values.name });
    const lines = [`Created project ${project.fullPath} (id ${project.id}), owned by ${owner.email}.`];
    if (values["service-desk"]) {
      const desk = await setServiceDeskEnabled(owner, project.fullPath, true);
      lines.push(`Service Desk is on. Address: ${desk.address}`);
      if (desk.aliasAddress) lines.push(`Alias address: ${desk.aliasAddress}`);
    }
    return lines.join("\n");
  },

  async "member:add"(argv) {
    const { positionals: rest } = parseArgs({ args: argv, allowPositionals: true, options: {} });
    const [fullPath, email, roleName] = positionals(rest, 3, "member:add <group/project> <email> <role>");
    const role = parseRole(roleName);
    if (!role) throw new UsageError(`Unknown role "${roleName}": use one of ${ROLES.map((r) => ROLE_LABELS[r]).join(", ")}.`);
    await prepareDatabase();
    const result = await addMember(CLI_ACTOR, fullPath, email, role);
    return `Added ${result.email} to ${fullPath} as ${ROLE_LABELS[result.role]}.`;
  },
};

commands["mail:send"] = async (argv) => {
  const { values, positionals: rest } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { url: { type: "string" }, parsed: { type: "boolean", default: false }, to: { type: "string", multiple: true } },
  });
  const [file] = positionals(rest, 1, "mail:send <file.eml> [--url U] [--parsed] [--to ADDR]");
  const raw = await readFile(file).catch(() => {
    throw new UsageError(`Cannot read ${file}.`);
  });
  const { body, contentType } = await buildSendGridRequest(new Uint8Array(raw), values.parsed ? "parsed" : "raw", { to: values.to });
  const base = (values.url ?? env().APP_URL).replace(/\/+$/, "");
  const target = base.endsWith("/api/inbound/sendgrid") ? base : `${base}/api/inbound/sendgrid`;
  const headers: Record<string, string> = { "content-type": contentType };
  const secret = env().SENDGRID_INBOUND_SECRET;
  if (secret) headers.authorization = `Basic ${Buffer.from(`sendgrid:${secret}`).toString("base64")}`;
  let response: Response;
  try {
    response = await fetch(target, { method: "POST", headers, body: Buffer.from(body) });
  } catch (error) {
    throw new Error(`Could not reach ${target}: ${(error as Error).cause ?? (error as Error).message}. Is the app running (npm run dev)?`);
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${target} answered ${response.status}: ${text}`);
  return text;
};

commands["inbound:replay"] = async (argv) => {
  const { values, positionals: rest } = parseArgs({ args: argv, allowPositionals: true, options: { failed: { type: "boolean", default: false } } });
  if (!values.failed && rest.length !== 1) throw new UsageError("Expected: inbound:replay <id> | --failed");
  await prepareDatabase();
  const ids = values.failed
    ? (await db().inboundEmail.findMany({ where: { status: { in: ["failed", "received"] }, purgedAt: null }, select: { id: true }, orderBy: { receivedAt: "asc" } })).map((r) => r.id)
    : rest;
  const purged = await db().inboundEmail.findFirst({ where: { id: { in: ids }, purgedAt: { not: null } }, select: { id: true } });
  if (purged) throw new Error(`Inbound mail ${purged.id} was purged (retention or erasure): there is no raw source left to replay.`);
  if (ids.length === 0) return "No failed inbound mail to replay.";
  const lines: string[] = [];
  for (const id of ids) {
    const outcome = await processInbound(id);
    if (outcome.outboxIds.length) await deliverOutbox({ ids: outcome.outboxIds });
    lines.push(JSON.stringify({ status: outcome.status, inboundEmailId: id, issueIid: outcome.issueIid, reason: outcome.reason }));
  }
  return lines.join("\n");
};

commands["token:create"] = async (argv) => {
  const { values, positionals: rest } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: "string" }, scope: { type: "string", multiple: true }, expires: { type: "string" } },
  });
  const [email] = positionals(rest, 1, "token:create <email> [--name N] [--scope api|read_api] [--expires yyyy-mm-dd]");
  await prepareDatabase();
  const user = await findActorByEmail(email);
  if (!user) throw new Error(`No user with email ${email}: create one with \`npm run cli -- user:create ${email}\`.`);
  const token = await createAccessToken(user, { name: values.name ?? "cli", scopes: (values.scope ?? ["api"]) as ("api" | "read_api")[], expiresAt: values.expires });
  // The token is the last line, so scripts can take it with `tail -n 1`.
  return [`Created token "${token.name}" (${token.scopes.join(", ")}) for ${user.email}. It is shown only once:`, token.token].join("\n");
};

commands["outbox:drain"] = async () => {
  await prepareDatabase();
  if (!env().SENDGRID_API_KEY) return "SENDGRID_API_KEY is not set: outgoing mail stays in the dev mailbox, nothing to send.";
  const total = { sent: 0, failed: 0, retrying: 0 };
  for (;;) {
    const result = await deliverOutbox({ limit: 50 });
    total.sent += result.sent;
    total.failed += result.failed;
    total.retrying += result.retrying;
    if (result.sent + result.failed + result.retrying < 50) break;
  }
  return `Outbox drained: ${total.sent} sent, ${total.failed} failed, ${total.retrying} to retry later.`;
};

commands["customer:export"] = async (argv) => {
  const { positionals: rest } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [email] = positionals(rest, 1, "customer:export <email>");
  await prepareDatabase();
  return JSON.stringify(await exportCustomer(CLI_ACTOR, email), null, 2);
};

commands["customer:erase"] = async (argv) => {
  const { positionals: rest } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [email] = positionals(rest, 1, "customer:erase <email>");
  await prepareDatabase();
  return describeErasure(await eraseCustomer(CLI_ACTOR, email));
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  try {
    console.log(await command(rest));
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof AppError) {
      // Field messages say exactly what is wrong; the form-level summary adds nothing on a command line.
      const fields = Object.values(error.fieldErrors ?? {});
      console.error(`Error: ${fields.length ? fields.join(" ") : error.message}`);
      return 1;
    }
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  } finally {
    await closeDb().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});



