// The admin CLI: `npm run cli -- <command>`. Works on the embedded database (when no server holds it) and on
// DATABASE_URL. Exit code 0 on success, 1 on failure, 2 on bad usage.
import { parseArgs } from "node:util";
import type { Actor } from "@/lib/auth/actor";
import { parseRole, ROLE_LABELS, ROLES } from "@/lib/auth/roles";
import { closeDb, embeddedPGlite } from "@/lib/db/client";
import { connectPostgres, pgliteConnection } from "@/lib/db/connect";
import { migrate, migrationsCurrent } from "@/lib/db/migrate";
import { addMember } from "@/lib/data/members";
import { createProject } from "@/lib/data/projects";
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

Later releases add: token:create, mail:send, inbound:replay, outbox:drain.
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
    if (values["service-desk"])
      lines.push("Note: Service Desk is not available in this release yet; the project was created without it.");
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



