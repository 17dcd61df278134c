// The bench's inbound mail: distinct SendGrid "Send Raw" posts, each a 12 KB text body and a 40 KB attachment
// with its own Message-ID and sender (so neither dedupe nor the per-sender rate limit changes the outcome).
import { randomBytes } from "node:crypto";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import type { PreparedRequest } from "./load";

const WORDS = ["printer", "invoice", "cannot", "login", "refund", "please", "help", "order", "account", "error", "today", "thanks"];

function paragraphText(bytes: number, seed: number): string {
  const lines: string[] = [];
  let size = 0;
  let i = seed;
  while (size < bytes) {
    const line = Array.from({ length: 12 }, () => WORDS[(i = (i * 1103515245 + 12345) & 0x7fffffff) % WORDS.length]).join(" ");
    lines.push(line);
    size += line.length + 2;
  }
  return lines.join("\r\n");
}

/** One raw MIME message of about 12 KB text + 40 KB attachment, addressed to `to`. */
export function rawMail(to: string, n: number, tag: string): string {
  const boundary = `bench-${randomBytes(8).toString("hex")}`;
  const attachment = randomBytes(40 * 1024).toString("base64").replace(/.{76}/g, "$&\r\n");
  return [
    `From: Customer ${n} <customer-${tag}-${n}@bench.example>`,
    `To: ${to}`,
    `Subject: Bench request ${tag} ${n}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <bench-${tag}-${n}-${randomBytes(6).toString("hex")}@bench.example>`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "",
    paragraphText(12 * 1024, n),
    `--${boundary}`,
    `Content-Type: application/octet-stream; name="log-${n}.bin"`,
    "Content-Transfer-Encoding: base64",
    `Content-Disposition: attachment; filename="log-${n}.bin"`,
    "",
    attachment,
    `--${boundary}--`,
    "",
  ].join("\r\n");
}

/** `count` distinct Send Raw posts to `to`. */
export async function sendRawPosts(to: string, count: number, tag: string): Promise<PreparedRequest[]> {
  const posts: PreparedRequest[] = [];
  for (let n = 0; n < count; n++) posts.push(await buildSendGridRequest(rawMail(to, n, tag), "raw"));
  return posts;
}
