// A real IMAP server for the mailbox tests: Debian's dovecot, started on a free local port with a throwaway
// config, maildir and one user, and stopped (folder removed) afterwards. Without dovecot the tests skip with a
// visible notice — except under CI=true, where .ci/run installs it and its absence fails the run.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { ImapFlow } from "imapflow";

const DOVECOT = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"].find((file) => existsSync(file));
const ci = process.env.CI === "true" || process.env.CI === "1";

export const dovecotAvailable = !!DOVECOT;

/** Call at the top of a test file: fails under CI when dovecot is missing, else says loudly that tests are skipped. */
export function requireDovecot(suite: string): boolean {
  if (DOVECOT) return true;
  if (ci) throw new Error(`CI=true but dovecot is not installed (${suite}): .ci/run installs dovecot-imapd; install it with apt-get.`);
  console.warn(
    [
      "",
      "#".repeat(78),
      `#  IMAP tests SKIPPED (${suite}): dovecot is not installed.`,
      "#  Install it with `apt-get install -y dovecot-imapd` (CI does this in .ci/run).",
      "#".repeat(78),
      "",
    ].join("\n"),
  );
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 15_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`dovecot: timed out waiting for ${what}`);
}

export interface Dovecot {
  host: string;
  /** Plain IMAP (STARTTLS offered). */
  port: number;
  /** IMAP over TLS with a self-signed certificate (`ca`). */
  tlsPort: number;
  ca: string;
  user: string;
  password: string;
  /** A client for test set-up (APPEND, listing folders); close it with logout(). */
  client(): Promise<ImapFlow>;
  /** Appends a raw message to a folder (created if missing). */
  append(raw: string | Uint8Array, folder?: string): Promise<void>;
  /** How many messages a folder holds (0 when it does not exist). */
  count(folder?: string): Promise<number>;
  /** Subjects of a folder's messages, oldest first. */
  subjects(folder?: string): Promise<string[]>;
  /** Stops the server, keeping its mail (see start()). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same mail (after stop()). */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

/** Starts a dovecot with one user (`support@desk.test`). destroy() it in afterAll. */
export async function startDovecot(): Promise<Dovecot> {
  if (!DOVECOT) throw new Error("dovecot is not installed");
  const dir = mkdtempSync(path.join(tmpdir(), "sd-dovecot-"));
  const port = await freePort();
  const tlsPort = await freePort();
  // A self-signed certificate for the TLS listener (tests of certificate errors, and of TLS working with its CA).
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { stdio: "ignore" });
  if (made.status !== 0) throw new Error("openssl could not make a test certificate");
  const user = "support@desk.test";
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const root = process.getuid?.() === 0;
  // Dovecot will not run its login and mail processes as root; unprivileged, everything runs as ourselves.
  const self = userInfo().username;
  const loginUser = root ? "dovenull" : self;
  const internalUser = root ? "dovecot" : self;
  const mailUid = root ? 65534 : userInfo().uid; // nobody: any unprivileged id owning the throwaway maildir
  const mailGid = root ? 65534 : userInfo().gid;
  const mail = path.join(dir, "mail");
  mkdirSync(mail);
  mkdirSync(path.join(dir, "run"));
  chmodSync(dir, 0o755);
  if (root) chownSync(mail, mailUid, mailGid);
  writeFileSync(path.join(dir, "users"), `${user}:{PLAIN}${password}\n`);
  const conf = path.join(dir, "dovecot.conf");
  writeFileSync(
    conf,
    [
      "protocols = imap",
      "listen = 127.0.0.1",
      `base_dir = ${dir}/run`,
      `state_dir = ${dir}/run`,
      `log_path = ${dir}/dovecot.log`,
      `default_login_user = ${loginUser}`,
      `default_internal_user = ${internalUser}`,
      "first_valid_uid = 1",
      "ssl = yes",
      `ssl_cert = <${cert}`,
      `ssl_key = <${key}`,
      "disable_plaintext_auth = no",
      "auth_mechanisms = plain login",
      `service imap-login {\n  inet_listener imap {\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = ${tlsPort}\n    ssl = yes\n  }\n}`,
      `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${dir}/users\n}`,
      `userdb {\n  driver = static\n  args = uid=${mailUid} gid=${mailGid} home=${mail}/%u\n}`,
      `mail_location = maildir:${mail}/%u/Maildir`,
      "",
    ].join("\n"),
  );

  const start = async () => {
    const run = spawnSync(DOVECOT, ["-c", conf], { stdio: "ignore" });
    if (run.status !== 0) {
      const log = existsSync(path.join(dir, "dovecot.log")) ? readFileSync(path.join(dir, "dovecot.log"), "utf8") : "";
      throw new Error(`dovecot did not start (exit ${run.status}):\n${log}`);
    }
    await waitFor(() => portOpen(port), `port ${port}`);
  };
  const stop = async () => {
    const pidFile = path.join(dir, "run", "master.pid");
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, "utf8").trim()), "SIGTERM");
      } catch {
        // already gone
      }
    }
    await waitFor(async () => !(await portOpen(port)), `port ${port} to close`);
  };
  await start();

  const client = async () => {
    const imap = new ImapFlow({ host: "127.0.0.1", port, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false, disableAutoIdle: true });
    imap.on("error", () => undefined);
    await imap.connect();
    return imap;
  };
  const withClient = async <T>(work: (imap: ImapFlow) => Promise<T>) => {
    const imap = await client();
    try {
      return await work(imap);
    } finally {
      await imap.logout().catch(() => imap.close());
    }
  };

  return {
    host: "127.0.0.1",
    port,
    tlsPort,
    ca: readFileSync(cert, "utf8"),
    user,
    password,
    client,
    append: (raw, folder = "INBOX") =>
      withClient(async (imap) => {
        if (folder !== "INBOX") await imap.mailboxCreate(folder);
        await imap.append(folder, Buffer.from(raw));
      }),
    count: (folder = "INBOX") =>
      withClient(async (imap) => {
        const status = await imap.status(folder, { messages: true }).catch(() => false as const);
        return status ? (status.messages ?? 0) : 0;
      }),
    subjects: (folder = "INBOX") =>
      withClient(async (imap) => {
        const status = await imap.status(folder, { messages: true }).catch(() => false as const);
        if (!status || !status.messages) return [];
        await imap.mailboxOpen(folder);
        const out: string[] = [];
        for await (const message of imap.fetch("1:*", { envelope: true, uid: true }, { uid: true })) out.push(message.envelope?.subject ?? "");
        return out;
      }),
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
